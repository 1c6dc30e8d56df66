"""Running whole episodes with a policy: the loop every adapter and example shares.

A *policy* is an async callable ``policy(messages, tools) -> message`` that
returns the assistant's next turn: an OpenAI assistant message (dict), or a
string (raw text, parsed by the episode's tool-call format on the server).
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Iterable, Optional, Union

from . import errors
from .client import AsyncClient
from .types import Trajectory

Policy = Callable[[list, list], Awaitable[Union[dict, str]]]


async def run_episode(client: AsyncClient, policy: Policy, task_id: Optional[str] = None, *,
                      sample: Optional[dict] = None, close: bool = True, **options) -> Trajectory:
    """Resets an episode, alternates policy turns and steps until it ends, and returns the trajectory."""
    ep = await client.reset(task_id, sample=sample, **options)
    messages, tools = list(ep.messages), ep.tools
    calls = failed = 0
    try:
        while True:
            turn = await policy(list(messages), tools)
            if isinstance(turn, str):
                res = await client.step(ep.episode, text=turn)
                messages.append({"role": "assistant", "content": turn})
            else:
                res = await client.step(ep.episode, turn)
                messages.append(turn)
            messages.extend(res.messages)
            calls += len(res.info.tool_calls)
            failed += len(res.tool_errors)
            if res.done:
                return Trajectory(episode=ep.episode, task_id=ep.task_id, messages=messages, tools=tools,
                                  reward=res.reward, reason=res.reason, turns=res.info.turn,
                                  tool_calls=calls, tool_errors=failed)
    finally:
        if close:
            try:
                await client.close_episode(ep.episode)
            except errors.DiveError:
                pass


async def run_episodes(client: AsyncClient, policy: Policy, task_ids: Iterable[Optional[str]], *,
                       concurrency: int = 64, **options) -> list:
    """Runs one episode per task id, at most ``concurrency`` at once; results in order.

    A failed episode is its exception in the list, not raised.
    """
    sem = asyncio.Semaphore(concurrency)

    async def one(task_id):
        async with sem:
            return await run_episode(client, policy, task_id, **options)

    return await asyncio.gather(*(one(t) for t in task_ids), return_exceptions=True)
