"""A synchronous client for scripts, notebooks and thread-pool trainers.

:class:`Client` runs an :class:`~dive_env.client.AsyncClient` on an event loop
of its own, in a daemon thread, so it can be called from plain code, from any
number of threads at once (SkyRL and ROLL run environments in thread pools),
and even from inside another event loop's thread without nesting loops.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Optional

from .client import DEFAULT_URL, AsyncClient
from .types import Episode, EpisodeState, Hello, Reward, StepResult


class Client:
    """The blocking twin of :class:`AsyncClient`; the same methods, same arguments."""

    def __init__(self, url: str = DEFAULT_URL, **kwargs):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="dive-env-client", daemon=True)
        self._thread.start()
        self.aio = self._call(self._make(url, kwargs))

    @staticmethod
    async def _make(url, kwargs) -> AsyncClient:
        return AsyncClient(url, **kwargs)

    def _call(self, coro):
        if threading.current_thread() is self._thread:
            raise RuntimeError("dive_env.Client called from its own I/O thread; use the AsyncClient in self.aio")
        if not self._thread.is_alive() or self._loop.is_closed():
            coro.close()
            raise RuntimeError("dive_env.Client is closed")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def __enter__(self) -> "Client":
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def session(self) -> str:
        return self.aio.session

    @property
    def hello_info(self) -> Optional[Hello]:
        return self.aio.hello_info

    def connect(self) -> Hello:
        return self._call(self.aio.connect())

    def close(self) -> None:
        """Closes the connection and stops the I/O thread."""
        if not self._loop.is_running():
            return
        try:
            self._call(self.aio.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def request(self, op: str, params: Optional[dict] = None):
        return self._call(self.aio.request(op, params))

    def hello(self) -> Hello:
        return self._call(self.aio.hello())

    def tasks_list(self, **kw):
        return self._call(self.aio.tasks_list(**kw))

    def tasks_sample(self, n: int = 1, **kw):
        return self._call(self.aio.tasks_sample(n, **kw))

    def reset(self, task_id: Optional[str] = None, **kw) -> Episode:
        return self._call(self.aio.reset(task_id, **kw))

    def reset_many(self, task_ids, **options) -> list:
        return self._call(self.aio.reset_many(list(task_ids), **options))

    def step(self, episode: str, message=None, *, text: Optional[str] = None) -> StepResult:
        return self._call(self.aio.step(episode, message, text=text))

    def step_many(self, steps) -> list:
        return self._call(self.aio.step_many(list(steps)))

    def state(self, episode: str) -> EpisodeState:
        return self._call(self.aio.state(episode))

    def close_episode(self, episode: str) -> None:
        return self._call(self.aio.close_episode(episode))

    def score(self, task_id: str, answer: Optional[str] = None, *, messages: Optional[list] = None) -> Reward:
        return self._call(self.aio.score(task_id, answer, messages=messages))

    def toolsets(self, task_ids=(), *, ids=()) -> tuple:
        return self._call(self.aio.toolsets(list(task_ids), ids=list(ids)))

    def score_many(self, items) -> list:
        return self._call(self.aio.score_many(list(items)))

    def awaitable(self, coro):
        """Runs a coroutine of ``self.aio`` on the client's loop and returns an awaitable for
        another event loop (async trainers such as verl share the client without blocking)."""
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))
