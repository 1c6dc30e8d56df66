"""The asyncio client of the dive.v1 protocol.

One :class:`AsyncClient` holds one websocket and multiplexes any number of
episodes over it: every request carries an id, replies are matched by id in
whatever order they come. ``reset_many``/``step_many`` put many requests in one
``batch`` frame. Steps carry their turn number, so after a dropped connection
the client reconnects, resumes its session (the server keeps the episodes of a
dropped connection for a grace period) and re-sends what was in flight without
running any step twice.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence, Union

import websockets
import websockets.exceptions

from . import errors
from .types import Episode, EpisodeState, Hello, Reward, StepResult, TaskSummary

try:  # Debian: python3-msgpack
    import msgpack
except ImportError:  # pragma: no cover - exercised where msgpack is absent
    msgpack = None

log = logging.getLogger("dive_env")

DEFAULT_URL = "ws://127.0.0.1:8790/v1/env"
_SUBPROTOCOL = {"msgpack": "dive.v1.msgpack", "json": "dive.v1.json"}
_GOING_AWAY = 1001  # the server drains: its episodes are gone; retry elsewhere


class _Codec:
    def __init__(self, encoding: str):
        if encoding == "auto":
            encoding = "msgpack" if msgpack is not None else "json"
        if encoding not in _SUBPROTOCOL:
            raise ValueError(f"encoding must be 'auto', 'msgpack' or 'json', not {encoding!r}")
        if encoding == "msgpack" and msgpack is None:
            raise ValueError("encoding 'msgpack' needs the msgpack package (Debian: python3-msgpack); use encoding='json'")
        self.name = encoding
        self.subprotocol = _SUBPROTOCOL[encoding]

    def encode(self, obj) -> Union[bytes, str]:
        if self.name == "msgpack":
            return msgpack.packb(obj, use_bin_type=True)
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)

    def decode(self, data) -> dict:
        if self.name == "msgpack":
            if isinstance(data, str):
                raise ValueError("text frame on a msgpack connection")
            return msgpack.unpackb(data, raw=False, strict_map_key=False)
        return json.loads(data)


@dataclass
class _Request:
    id: int
    op: str
    params: Optional[dict]
    frame: Any
    future: asyncio.Future
    sent_gen: int = -1  # the connection generation it was last sent on
    resent: bool = False
    turns: list = field(default_factory=list)  # (episode, turn) of the steps it carries
    on_event: Optional[Callable[[dict], None]] = None  # rollout.episode events before the reply


def _normalize_message(message) -> dict:
    """Accepts an OpenAI message dict, a plain string (content), or an object with model_dump()."""
    if isinstance(message, str):
        return {"role": "assistant", "content": message}
    if hasattr(message, "model_dump"):  # an openai SDK object
        message = message.model_dump(exclude_none=True)
    if not isinstance(message, dict):
        raise TypeError(f"a step message is a dict or a string, not {type(message).__name__}")
    return _wire_message(message)


_MESSAGE_FIELDS = ("role", "content", "tool_calls", "tool_call_id", "name")


def _wire_message(message: dict) -> dict:
    """Keeps the fields of an OpenAI message that the protocol carries.

    Chat-completion responses carry more (refusal, annotations, audio, vLLM's
    reasoning_content, a null function_call); the server refuses unknown
    fields, so a message passed straight from a response is trimmed here.
    """
    out = {k: message[k] for k in _MESSAGE_FIELDS if message.get(k) is not None}
    if "content" not in out and message.get("role", "assistant") == "assistant":
        out["content"] = None
    calls = out.get("tool_calls")
    if calls:
        trimmed = []
        for c in calls:
            if hasattr(c, "model_dump"):
                c = c.model_dump(exclude_none=True)
            fn = c.get("function") or {}
            call = {"type": c.get("type") or "function", "function": {"name": fn.get("name"), "arguments": fn.get("arguments", "{}")}}
            if c.get("id"):
                call["id"] = c["id"]
            trimmed.append(call)
        out["tool_calls"] = trimmed
    elif "tool_calls" in out:
        del out["tool_calls"]
    return out


class AsyncClient:
    """An asyncio client for ``dive serve``.

    >>> async with AsyncClient("ws://127.0.0.1:8790/v1/env") as env:
    ...     ep = await env.reset("dive-default-compound_interest-1")
    ...     res = await env.step(ep.episode, {"role": "assistant", "content": "<answer>42</answer>"})

    ``encoding``: "auto" (msgpack when the msgpack package is there, else JSON),
    "msgpack" or "json". ``reconnect``: on a dropped
    connection, reconnect and resume for up to ``reconnect_timeout`` seconds
    (keep it below the server's resume grace period, 60 s by default).
    ``request_timeout``: seconds to wait for any one reply (None: no limit;
    steps can legitimately take as long as their tools). ``token``: the
    server's bearer token (``dive serve`` with DIVE_TOKEN). ``ssl``: an
    ``ssl.SSLContext`` for wss:// servers with a private CA.
    """

    def __init__(self, url: str = DEFAULT_URL, *, encoding: str = "auto", token: Optional[str] = None,
                 reconnect: bool = True, reconnect_timeout: float = 30.0, request_timeout: Optional[float] = None,
                 connect_timeout: float = 10.0, max_frame_bytes: int = 64 << 20, ssl=None):
        self.url = url
        self._codec = _Codec(encoding)
        self._token = token
        self.reconnect = reconnect
        self.reconnect_timeout = reconnect_timeout
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.max_frame_bytes = max_frame_bytes
        self._ssl = ssl  # an ssl.SSLContext for wss:// with a private CA
        self.hello_info: Optional[Hello] = None
        self.reconnects = 0  # how many times the connection was resumed

        self._ids = itertools.count(1)
        self._pending: dict[int, _Request] = {}
        self._turns: dict[str, int] = {}  # running episodes → turns taken (acknowledged)
        self._ws = None
        self._gen = 0
        self._reader: Optional[asyncio.Task] = None
        self._recovering: Optional[asyncio.Task] = None
        self._closed = False
        self._connect_lock: Optional[asyncio.Lock] = None

    # -- connection ---------------------------------------------------------

    @property
    def encoding(self) -> str:
        return self._codec.name

    @property
    def session(self) -> str:
        """The resume token of the current session ("" before connect)."""
        return self.hello_info.session if self.hello_info else ""

    async def __aenter__(self) -> "AsyncClient":
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def _open(self):
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else None
        return await asyncio.wait_for(websockets.connect(
            self.url, subprotocols=[self._codec.subprotocol], compression=None, max_size=self.max_frame_bytes,
            extra_headers=headers, open_timeout=self.connect_timeout, ping_interval=20, ping_timeout=20,
            **({"ssl": self._ssl} if self._ssl is not None else {}),
        ), self.connect_timeout + 1)

    async def _handshake(self, ws, resume: str = "") -> Hello:
        """Sends hello (with resume) on a fresh socket and reads its reply, before the reader runs."""
        rid = next(self._ids)
        req = {"id": rid, "op": "hello"}
        if resume:
            req["params"] = {"resume": resume}
        await ws.send(self._codec.encode(req))
        while True:
            reply = self._codec.decode(await asyncio.wait_for(ws.recv(), self.connect_timeout))
            if reply.get("id") == rid:
                break
        if "error" in reply:
            raise errors.from_reply(reply["error"], "hello")
        return Hello.from_dict(reply["result"])

    async def connect(self) -> Hello:
        """Opens the connection (done lazily by the first request) and returns hello."""
        if self._connect_lock is None:
            self._connect_lock = asyncio.Lock()
        async with self._connect_lock:
            if self._ws is not None:
                return self.hello_info
            if self._recovering is not None:
                await asyncio.shield(self._recovering)
                if self._ws is not None:
                    return self.hello_info
            self._closed = False
            try:
                ws = await self._open()
            except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as exc:
                raise errors.ConnectionLost(f"cannot connect to {self.url}: {exc}") from exc
            try:
                self.hello_info = await self._handshake(ws)
            except BaseException:
                await ws.close()
                raise
            self._attach(ws)
            return self.hello_info

    def _attach(self, ws) -> None:
        self._gen += 1
        self._ws = ws
        self._reader = asyncio.get_running_loop().create_task(self._read_loop(ws, self._gen))

    async def close(self) -> None:
        """Closes the connection; the server releases this client's episodes."""
        self._closed = True
        if self._recovering is not None:
            self._recovering.cancel()
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()
        if self._reader is not None:
            try:
                await self._reader
            except BaseException:  # noqa: BLE001 - the reader's end is not the caller's error
                pass
        self._fail_all(errors.ConnectionLost("the client was closed"))

    async def _drop_for_test(self) -> None:
        """Closes the socket abruptly without telling the client logic (tests of resume)."""
        if self._ws is not None:
            self._ws.transport.abort()

    def _fail_all(self, exc: Exception) -> None:
        pending, self._pending = self._pending, {}
        for req in pending.values():
            if not req.future.done():
                req.future.set_exception(exc)

    async def _read_loop(self, ws, gen: int) -> None:
        try:
            async for data in ws:
                try:
                    reply = self._codec.decode(data)
                except Exception as exc:  # noqa: BLE001
                    log.error("undecodable frame from the server: %s", exc)
                    continue
                self._dispatch(reply)
        except websockets.exceptions.ConnectionClosed:
            pass
        except Exception as exc:  # noqa: BLE001 - a broken socket of any kind is a drop
            log.debug("connection read failed: %s", exc)
        if gen != self._gen or self._closed:
            return
        self._ws = None
        code = ws.close_code
        if code == _GOING_AWAY:
            self._turns.clear()
            self._fail_all(errors.ShuttingDown(f"the server closed the connection: {ws.close_reason or 'shutting down'}; its episodes are gone, retry elsewhere"))
            return
        if not self.reconnect or not self.session:
            self._turns.clear()
            self._fail_all(errors.ConnectionLost(f"connection lost (close code {code})"))
            return
        log.warning("connection lost (close code %s); resuming session", code)
        self._recovering = asyncio.get_running_loop().create_task(self._recover())

    async def _recover(self) -> None:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.reconnect_timeout
        delay = 0.05
        last: Exception = errors.ConnectionLost("connection lost")
        try:
            while not self._closed:
                try:
                    ws = await self._open()
                except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as exc:
                    last = exc
                else:
                    try:
                        hello = await self._handshake(ws, resume=self.session)
                    except errors.DiveError as exc:
                        # The episodes are gone (expired, or a server that restarted);
                        # keep the fresh connection for new ones.
                        self._turns.clear()
                        self._fail_all(errors.ResumeFailed(f"the server no longer holds this client's episodes: {exc.message}"))
                        try:
                            self.hello_info = await self._handshake(ws)
                        except Exception:  # noqa: BLE001 - the next request reconnects
                            await ws.close()
                            self.hello_info = None
                            return
                        self._attach(ws)
                        for req in sorted(self._pending.values(), key=lambda r: r.id):
                            await self._flush(req)  # requests made while this recovery ran
                        return
                    except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as exc:
                        last = exc
                        await ws.close()
                    else:
                        self.hello_info = hello
                        self.reconnects += 1
                        self._attach(ws)
                        await self._after_resume(hello)
                        return
                if loop.time() + delay > give_up:
                    break
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 2.0)
            self._turns.clear()
            self._fail_all(errors.ConnectionLost(f"connection lost and not resumed within {self.reconnect_timeout:g}s: {last}"))
        finally:
            self._recovering = None

    async def _after_resume(self, hello: Hello) -> None:
        # Episodes the server holds that this client never heard of were
        # started by a reset whose reply was lost; that reset is re-sent, so
        # the first one is closed.
        for r in hello.resumed:
            if r["episode"] not in self._turns and not r["done"]:
                self._submit_nowait("close", {"episode": r["episode"]})
        for req in sorted(self._pending.values(), key=lambda r: r.id):
            if req.op == "rollout" and req.sent_gen >= 0:
                # The server stopped it with the connection; re-sending would play the
                # group again under episodes already handed to on_episode.
                self._pending.pop(req.id, None)
                if not req.future.done():
                    req.future.set_exception(errors.ConnectionLost(
                        "the connection dropped during the rollout; the server stopped it: send it again"))
                continue
            req.resent = True
            await self._flush(req)

    # -- requests -----------------------------------------------------------

    def _dispatch(self, reply: dict) -> None:
        if reply.get("op") == "rollout.episode":  # an event: the request's reply is still to come
            req = self._pending.get(reply.get("id"))
            if req is not None and req.on_event is not None and not req.future.done():
                try:
                    req.on_event(reply.get("result"))
                except Exception:  # noqa: BLE001 - a failing callback must not stop the reader
                    log.exception("rollout on_episode callback failed")
            return
        req = self._pending.pop(reply.get("id"), None)
        if req is None:
            if reply.get("id") is None and "error" in reply:
                log.error("server error without a request id: %s", reply["error"])
            return
        if req.future.done():
            return
        if "error" in reply:
            err = reply["error"]
            if req.op == "close" and req.resent and err.get("code") == "unknown_episode":
                req.future.set_result({"episode": req.params["episode"], "closed": True})
                return
            req.future.set_exception(errors.from_reply(err, req.op))
            return
        req.future.set_result(reply.get("result"))

    def _make(self, op: str, params: Optional[dict]) -> _Request:
        rid = next(self._ids)
        msg = {"id": rid, "op": op}
        if params is not None:
            msg["params"] = params
        fut = asyncio.get_running_loop().create_future()
        return _Request(rid, op, params, self._codec.encode(msg), fut)

    async def _flush(self, req: _Request) -> None:
        ws, gen = self._ws, self._gen
        if ws is None or req.sent_gen == gen or req.future.done():
            return
        req.sent_gen = gen
        try:
            await ws.send(req.frame)
        except websockets.exceptions.ConnectionClosed:
            pass  # the reader sees the drop; the request is re-sent after the resume

    def _submit_nowait(self, op: str, params: Optional[dict]) -> _Request:
        req = self._make(op, params)
        self._pending[req.id] = req
        asyncio.get_running_loop().create_task(self._flush(req))
        req.future.add_done_callback(lambda f: f.exception() if not f.cancelled() else None)
        return req

    async def request(self, op: str, params: Optional[dict] = None, *, on_event: Optional[Callable[[dict], None]] = None,
                      timeout: Any = "default") -> Any:
        """Sends one raw request and returns its result (a dict), or raises its typed error.
        on_event receives the events the server sends under the request's id before its reply
        (rollout.episode); timeout overrides request_timeout (None: no limit)."""
        if self._ws is None and self._recovering is None:
            await self.connect()
        req = self._make(op, params)
        req.on_event = on_event
        self._pending[req.id] = req
        await self._flush(req)
        try:
            wait = self.request_timeout if timeout == "default" else timeout
            return await asyncio.wait_for(asyncio.shield(req.future), wait)
        except asyncio.TimeoutError:
            self._pending.pop(req.id, None)
            raise
        except asyncio.CancelledError:
            self._pending.pop(req.id, None)
            raise

    # -- operations ---------------------------------------------------------

    async def hello(self) -> Hello:
        """Server identity, limits and counts."""
        self.hello_info = Hello.from_dict(await self.request("hello"))
        return self.hello_info

    async def tasks_list(self, *, split: str = "", domain: str = "", ids: Sequence[str] = (),
                         offset: int = 0, limit: int = 0) -> tuple[int, list[TaskSummary]]:
        """Lists tasks (never their answers): returns (total, page)."""
        res = await self.request("tasks.list", _filter(split, domain, ids, offset=offset or None, limit=limit or None))
        return res["total"], [TaskSummary.from_dict(t) for t in res["tasks"]]

    async def tasks_sample(self, n: int = 1, *, seed: Optional[int] = None, split: str = "", domain: str = "",
                           ids: Sequence[str] = (), replace: bool = False) -> tuple[int, list[TaskSummary]]:
        """Draws n tasks, reproducibly by seed: returns (seed used, tasks)."""
        res = await self.request("tasks.sample", _filter(split, domain, ids, n=n, seed=seed, replace=replace or None))
        return res["seed"], [TaskSummary.from_dict(t) for t in res["tasks"]]

    async def reset(self, task_id: Optional[str] = None, *, sample: Optional[dict] = None,
                    traceparent: Optional[str] = None, **options) -> Episode:
        """Starts an episode on a task (by id, or drawn by ``sample``).

        ``options``: max_turns, max_tool_calls, max_consecutive_invalid_tool_calls,
        deadline_s, tool_call_format ("openai", "hermes" or "qwen3_coder"), seed,
        system_prompt. ``traceparent``: W3C trace context (e.g. from your
        OpenTelemetry span) that the episode's server-side spans join.
        """
        params = _reset_params(task_id, sample, options)
        if traceparent:
            params["traceparent"] = traceparent
        res = await self.request("reset", params)
        ep = Episode.from_dict(res)
        self._turns[ep.episode] = 0
        return ep

    async def reset_many(self, task_ids: Iterable[Optional[str]], **options) -> list[Union[Episode, errors.DiveError]]:
        """Starts one episode per task id in one batch frame (a GRPO group: the same id n times).

        Returns episodes in order; a reset that failed is its exception, not raised.
        """
        reqs = [{"id": i, "op": "reset", "params": _reset_params(t, None, options)} for i, t in enumerate(task_ids)]
        out = []
        for sub in await self._batch(reqs):
            if isinstance(sub, errors.DiveError):
                out.append(sub)
                continue
            ep = Episode.from_dict(sub)
            self._turns[ep.episode] = 0
            out.append(ep)
        return out

    def _step_params(self, episode: str, message=None, text: Optional[str] = None) -> dict:
        if episode not in self._turns:
            # Not reset by this client (or already finished): let the server say why.
            turn = None
        else:
            turn = self._turns[episode] + 1
        params: dict = {"episode": episode}
        if turn is not None:
            params["turn"] = turn
        if text is not None:
            if message is not None:
                raise ValueError("give message or text, not both")
            params["text"] = text
        elif message is not None:
            params["message"] = _normalize_message(message)
        else:
            raise ValueError("step needs message or text")
        return params

    def _stepped(self, res: StepResult) -> None:
        if res.done:
            self._turns.pop(res.episode, None)
        elif res.episode in self._turns:
            self._turns[res.episode] = res.info.turn

    async def step(self, episode: str, message=None, *, text: Optional[str] = None) -> StepResult:
        """Runs one assistant turn.

        ``message``: an OpenAI assistant message (dict, or a string taken as its
        content); or ``text``: the raw completion, parsed by the episode's
        tool-call format (``hermes`` turns <tool_call> blocks into calls).
        Tool failures come back as tool messages, never as exceptions.
        """
        res = StepResult.from_dict(await self.request("step", self._step_params(episode, message, text)))
        self._stepped(res)
        return res

    async def step_many(self, steps: Iterable[tuple]) -> list[Union[StepResult, errors.DiveError]]:
        """Runs one turn of many episodes in one batch frame.

        ``steps``: (episode, message) pairs, or (episode, None, text). Returns
        results in order; a step that failed is its exception, not raised.
        """
        reqs = []
        for i, s in enumerate(steps):
            episode, message = s[0], s[1]
            text = s[2] if len(s) > 2 else None
            reqs.append({"id": i, "op": "step", "params": self._step_params(episode, message, text)})
        out = []
        for sub in await self._batch(reqs):
            if isinstance(sub, errors.DiveError):
                out.append(sub)
                continue
            res = StepResult.from_dict(sub)
            self._stepped(res)
            out.append(res)
        return out

    async def state(self, episode: str) -> EpisodeState:
        """The transcript of an episode so far (finished episodes too, until closed)."""
        return EpisodeState.from_dict(await self.request("state", {"episode": episode}))

    async def close_episode(self, episode: str) -> None:
        """Releases an episode; a running one is abandoned."""
        self._turns.pop(episode, None)
        await self.request("close", {"episode": episode})

    async def score(self, task_id: str, answer: Optional[str] = None, *, messages: Optional[list] = None) -> Reward:
        """Scores an answer (or a conversation's last assistant message) to a task, without an episode."""
        return Reward.from_dict((await self.request("score", _score_params(task_id, answer, messages)))["reward"])

    async def toolsets(self, task_ids: Iterable[str] = (), *, ids: Iterable[str] = ()) -> tuple[dict, dict]:
        """The toolsets of tasks and/or by toolset id, in one request: returns ({task_id: toolset_id},
        {toolset_id: [OpenAI tool schemas]}), each distinct toolset once. Equal ids, equal tools."""
        params: dict = {}
        if task_ids:
            params["task_ids"] = list(dict.fromkeys(task_ids))
        if ids:
            params["ids"] = list(dict.fromkeys(ids))
        res = await self.request("toolsets.get", params)
        return res["tasks"], res["toolsets"]

    async def score_many(self, items: Iterable[tuple]) -> list[Union[Reward, errors.DiveError]]:
        """Scores many (task_id, answer_or_messages) pairs in one batch frame."""
        reqs = []
        for i, (task_id, what) in enumerate(items):
            params = _score_params(task_id, None, what) if isinstance(what, list) else _score_params(task_id, what, None)
            reqs.append({"id": i, "op": "score", "params": params})
        return [sub if isinstance(sub, errors.DiveError) else Reward.from_dict(sub["reward"])
                for sub in await self._batch(reqs)]

    async def rollout(self, task_id: Optional[str] = None, *, policy: dict, n: int = 1, sample: Optional[dict] = None,
                      limits: Optional[dict] = None, seed: Optional[int] = None,
                      on_episode: Optional[Callable[[dict], None]] = None) -> dict:
        """Runs a GRPO group of n episodes of one task on the server against a policy endpoint
        (rollout mode, docs/protocol.md): policy is {"base_url", "model", "api_key", "temperature",
        "top_p", "max_tokens", "tokens", "stream", "api", "template", "retries", "extra"}; limits
        {"max_turns", "max_tool_calls", "max_consecutive_invalid_tool_calls", "call_timeout_s",
        "deadline_s"}. With on_episode each episode
        (a dict: messages, reward, reason, tokens, ...) is handed over as it ends and the result is
        the summary; without it the result carries "episodes" in index order. A full server raises
        errors.Capacity (its retry_after_ms says when to try again). Waits as long as the rollout's
        own deadline: it is not bound by request_timeout."""
        params: dict = {"n": n, "policy": policy, "stream": on_episode is not None}
        if task_id is not None:
            params["task_id"] = task_id
        if sample is not None:
            params["sample"] = sample
        if limits:
            params["limits"] = limits
        if seed is not None:
            params["seed"] = seed
        return await self.request("rollout", params, on_event=on_episode, timeout=None)

    async def _batch(self, reqs: list) -> list:
        """Sends requests as batches of at most the server's max_batch; returns results or exceptions."""
        if not reqs:
            return []
        if self.hello_info is None:
            await self.connect()
        limit = int(self.hello_info.limits.get("max_batch", 1024)) or 1024
        chunks = [reqs[i:i + limit] for i in range(0, len(reqs), limit)]
        results = await asyncio.gather(*(self.request("batch", {"requests": c}) for c in chunks))
        out = []
        for chunk, res in zip(chunks, results):
            for sub_req, sub in zip(chunk, res["responses"]):
                if "error" in sub:
                    out.append(errors.from_reply(sub["error"], sub_req["op"]))
                else:
                    out.append(sub["result"])
        return out


def _filter(split: str, domain: str, ids: Sequence[str], **more) -> dict:
    p: dict = {k: v for k, v in more.items() if v is not None}
    if split:
        p["split"] = split
    if domain:
        p["domain"] = domain
    if ids:
        p["ids"] = list(ids)
    return p


def _reset_params(task_id: Optional[str], sample: Optional[dict], options: dict) -> dict:
    p: dict = {}
    if task_id is not None:
        p["task_id"] = task_id
    if sample is not None:
        p["sample"] = sample
    opts = {k: v for k, v in options.items() if v is not None}
    if opts:
        p["options"] = opts
    return p


def _score_params(task_id: str, answer: Optional[str], messages: Optional[list]) -> dict:
    p: dict = {"task_id": task_id}
    if answer is not None:
        p["answer"] = answer
    if messages is not None:
        p["messages"] = [_normalize_message(m) if not isinstance(m, dict) else m for m in messages]
    return p
