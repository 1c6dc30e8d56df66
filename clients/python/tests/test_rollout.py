"""Rollout mode through the client: the server drives a GRPO group against a policy endpoint."""

from __future__ import annotations

import asyncio

import pytest

import fake_openai
from dive_env import AsyncClient, errors


@pytest.mark.parametrize("encoding", ["msgpack", "json"])
def test_rollout_group_streamed_and_whole(server, encoding):
    model, base_url = fake_openai.start()

    async def main():
        async with AsyncClient(server.url, encoding=encoding, request_timeout=30) as env:
            policy = {"base_url": base_url, "model": "fake", "temperature": 0.0}
            seen = []
            summary = await env.rollout("arith-1", n=4, seed=9, policy=policy, on_episode=seen.append)
            assert summary["n"] == 4 and summary["seed"] == 9 and summary["mean_reward"] == 1.0 and summary["failed"] == 0
            assert "episodes" not in summary and sorted(e["index"] for e in seen) == [0, 1, 2, 3]
            for ep in seen:
                assert ep["reward"]["label"] == "correct" and ep["reason"] == "answer" and ep["tool_calls"] == 1
                roles = [m["role"] for m in ep["messages"]]
                assert roles == ["system", "user", "assistant", "tool", "assistant"], roles
            whole = await env.rollout("arith-1", n=2, seed=9, policy=policy)
            assert [e["seed"] for e in whole["episodes"]] == [e["seed"] for e in sorted(seen, key=lambda e: e["index"])][:2]
            # The server sent each policy call the seed, the temperature and the task's tools.
            assert len(model.requests) == 12
            assert all(r["temperature"] == 0.0 and "seed" in r and r["tools"] for r in model.requests)
            with pytest.raises(errors.BadRequest):
                await env.rollout("arith-1", n=65, policy=policy)
            with pytest.raises(errors.UnknownTask):
                await env.rollout("nope", policy=policy)
            # A policy endpoint that refuses the connection: scored failures, not an error.
            failed = await env.rollout("arith-1", n=2, policy={"base_url": "http://127.0.0.1:9/v1", "model": "x"})
            assert failed["failed"] == 2 and all(e["reason"] == "policy_error" and e["reward"]["score"] == 0
                                                 for e in failed["episodes"])

    try:
        asyncio.run(main())
    finally:
        model.shutdown()


def test_capacity_error_is_typed():
    err = errors.from_reply({"code": "capacity", "message": "full", "retry_after_ms": 2000}, "rollout")
    assert isinstance(err, errors.Capacity) and err.retry_after_ms == 2000 and "capacity (rollout)" in str(err)
