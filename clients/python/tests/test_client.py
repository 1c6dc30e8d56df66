"""The client against a real `dive serve`: the protocol, multiplexing, batches, typed errors."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

import dive_env
from dive_env import AsyncClient, Client
from policies import plan, result_of, scripted_policy


def run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize("encoding", ["msgpack", "json"])
def test_hello_and_tasks(server, encoding):
    async def main():
        async with AsyncClient(server.url, encoding=encoding) as env:
            h = env.hello_info
            assert h.protocol == "dive.v1" and h.encoding == encoding
            assert h.tasks == 50 and len(h.session) == 32 and h.resume_grace_s == 30
            assert "match" in h.scorers and h.limits["max_batch"] > 0
            total, page = await env.tasks_list(domain="biological", limit=3)
            assert total == 10 and [t.id for t in page] == ["revcomp-0", "revcomp-1", "revcomp-2"]
            assert all(not hasattr(t, "ground_truth") for t in page)
            seed, a = await env.tasks_sample(5, seed=11, split="train")
            _, b = await env.tasks_sample(5, seed=11, split="train")
            assert seed == 11 and [t.id for t in a] == [t.id for t in b] and all(t.split == "train" for t in a)
    run(main())


@pytest.mark.parametrize("encoding", ["msgpack", "json"])
def test_thousand_episodes_over_one_connection(server, encoding):
    """1,000 episodes, 100 at a time, multiplexed over one websocket; every tenth answers wrong."""
    n = 1000

    async def main():
        async with AsyncClient(server.url, encoding=encoding) as env:
            right, wrong = scripted_policy(), scripted_policy(wrong=True)
            sem = asyncio.Semaphore(100)
            ids = [f"arith-{i % 40}" if i % 5 else f"revcomp-{i % 10}" for i in range(n)]

            async def one(i, task_id):
                async with sem:
                    return await dive_env.run_episode(env, wrong if i % 10 == 0 else right, task_id)

            trajs = await asyncio.gather(*(one(i, t) for i, t in enumerate(ids)))
            assert env.reconnects == 0
            return trajs

    trajs = run(main())
    assert len(trajs) == n and len({t.episode for t in trajs}) == n
    for i, t in enumerate(trajs):
        assert t.reason == "answer" and t.turns == 2 and t.tool_calls == 1 and t.tool_errors == 0
        want = 0.0 if i % 10 == 0 else 1.0
        assert t.reward.score == want, (i, t.task_id, t.reward)
        assert t.reward.passed == (want == 1.0)
        assert [m["role"] for m in t.messages[-3:]] == ["assistant", "tool", "assistant"]
    # Every finished episode reached the server's trajectory log.
    logged = {json.loads(line)["episode"] for line in server.trajectories.read_text().splitlines()}
    assert {t.episode for t in trajs} <= logged


def test_batched_group_reset_and_step(server):
    """A GRPO group: one task reset 8 times in one frame, stepped together in one frame."""
    async def main():
        async with AsyncClient(server.url) as env:
            group = await env.reset_many(["arith-3"] * 8 + ["no-such-task"], max_turns=4)
            assert isinstance(group[-1], dive_env.UnknownTask)
            eps = group[:-1]
            assert len({e.episode for e in eps}) == 8 and all(e.limits["max_turns"] == 4 for e in eps)
            name, args = plan(eps[0].question)
            calls = await env.step_many([(e.episode, dive_env.assistant_message("", [(name, args)])) for e in eps])
            assert all(r.info.turn == 1 and not r.done for r in calls)
            answers = [(e.episode, {"role": "assistant", "content": f"<answer>{result_of(r.messages[0])}</answer>"})
                       for e, r in zip(eps, calls)]
            answers.append(("ep-nope", "x"))
            final = await env.step_many(answers)
            assert isinstance(final[-1], dive_env.UnknownEpisode)
            assert [r.score for r in final[:-1]] == [1.0] * 8
    run(main())


def test_typed_errors_and_tool_errors_as_observations(server):
    async def main():
        async with AsyncClient(server.url) as env:
            with pytest.raises(dive_env.UnknownTask) as e:
                await env.reset("no-such-task")
            assert e.value.code == "unknown_task" and "no-such-task" in str(e.value)
            with pytest.raises(dive_env.UnknownEpisode):
                await env.step("ep-nope", "hi")
            with pytest.raises(dive_env.BadRequest):
                await env.reset("arith-1", tool_call_format="xml")
            with pytest.raises(dive_env.UnknownOp):
                await env.request("frobnicate")
            ep = await env.reset("revcomp-1")
            bad = dive_env.assistant_message("", [("bio_seq_reverse_complement", {"sequence": "XYZ"}),
                                                  ("web_search", {"query": "x"}),
                                                  ("calculator", {"expression": "2+2"})])
            res = await env.step(ep.episode, bad)
            kinds = [c.error.kind if c.error else None for c in res.info.tool_calls]
            assert kinds == ["invalid_arguments", "unknown_tool", None] and len(res.tool_errors) == 2
            assert res.messages[0]["content"].startswith("Error (invalid_arguments)")
            assert json.loads(res.messages[2]["content"])["result"] == 4
            done = await env.step(ep.episode, "<answer>no</answer>")
            assert done.done and done.reward.label == "incorrect" and done.reward.components["tool_errors"] == 2
            with pytest.raises(dive_env.EpisodeDone):
                await env.step(ep.episode, "again")
            st = await env.state(ep.episode)
            assert st.done and st.turns == 2 and st.tool_calls == 3
            await env.close_episode(ep.episode)
            with pytest.raises(dive_env.UnknownEpisode):
                await env.state(ep.episode)
    run(main())


@pytest.mark.parametrize("xml,fmt", [(False, "hermes"), (True, "hermes"), (True, "qwen3_coder")])
def test_hermes_text_episodes(server, xml, fmt):
    async def main():
        async with AsyncClient(server.url, encoding="json") as env:
            tasks = [f"arith-{i}" for i in range(5)] + [f"revcomp-{i}" for i in range(5)]
            trajs = await dive_env.run_episodes(env, scripted_policy(hermes=True, xml=xml), tasks, tool_call_format=fmt)
            assert [t.reward.score for t in trajs] == [1.0] * 10
            call = trajs[0].messages[-3]
            assert call["content"].startswith("<tool_call>")
            assert ("<function=calculator>" in call["content"]) == xml
    run(main())


def test_score_without_episode(server):
    async def main():
        async with AsyncClient(server.url) as env:
            ep = await env.reset("arith-5")
            name, args = plan(ep.question)
            r = await env.step(ep.episode, dive_env.assistant_message("", [(name, args)]))
            truth = result_of(r.messages[0])
            good = await env.score("arith-5", f"The answer is <answer>{truth}</answer>")
            assert good.passed and good.score == 1.0 and good.extracted == truth
            convo = [{"role": "user", "content": ep.question}, {"role": "assistant", "content": "<answer>1</answer>"}]
            many = await env.score_many([("arith-5", truth), ("arith-5", convo), ("missing", "1")])
            assert many[0].score == 1.0 and many[1].score == 0.0 and many[1].components["turns"] == 1
            assert isinstance(many[2], dive_env.UnknownTask)
    run(main())


def test_toolsets(server):
    """toolsets.get: each task's toolset id (the one its reset reports) and each distinct toolset once."""
    with Client(server.url) as env:
        by_task, toolsets = env.toolsets(["revcomp-0", "revcomp-1", "arith-0"])
        assert by_task["revcomp-0"] == by_task["revcomp-1"] != by_task["arith-0"] and len(toolsets) == 2
        ep = env.reset("arith-0")
        assert ep.toolset == by_task["arith-0"] and ep.tools == toolsets[ep.toolset]
        assert env.toolsets(ids=[ep.toolset]) == ({}, {ep.toolset: ep.tools})
        with pytest.raises(dive_env.UnknownTask):
            env.toolsets(["missing"])
        with pytest.raises(dive_env.BadRequest):
            env.toolsets(ids=["0000000000000000"])


def test_sync_client_from_threads(server):
    """The blocking client shared by 8 threads (SkyRL-style thread pools)."""
    with Client(server.url) as env:
        scores, failures = [], []

        def worker(k):
            try:
                for i in range(10):
                    ep = env.reset(f"arith-{(k * 10 + i) % 40}")
                    name, args = plan(ep.question)
                    r = env.step(ep.episode, dive_env.assistant_message("", [(name, args)]))
                    done = env.step(ep.episode, f"<answer>{result_of(r.messages[0])}</answer>")
                    scores.append(done.score)
            except Exception as exc:  # noqa: BLE001
                failures.append(exc)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures and scores == [1.0] * 80


def test_readme_server_default_tasks(default_server):
    """The README's `dive serve` with no configuration: embedded tasks, built-in tools."""
    with Client(default_server.url) as env:
        h = env.hello_info
        assert h.tasks >= 100 and h.tools >= 100
        ep = env.reset("dive-default-compound_interest-1")
        assert "calculator" in ep.tool_names
        res = env.step(ep.episode, "<answer>0</answer>")
        assert res.done and res.reason == "answer" and res.reward.label == "incorrect"


def test_connect_refused_is_typed():
    async def main():
        env = AsyncClient("ws://127.0.0.1:9/v1/env", connect_timeout=2)
        with pytest.raises(dive_env.ConnectionLost):
            await env.reset("x")
    run(main())


def test_bearer_token(dive_bin):
    from conftest import TASKS, DiveServer
    srv = DiveServer(dive_bin, "--tasks", str(TASKS), env={"DIVE_TOKEN": "t0ken"})
    try:
        async def main():
            with pytest.raises(dive_env.ConnectionLost) as e:
                await AsyncClient(srv.url, token="wrong").connect()
            assert "401" in str(e.value)
            with pytest.raises(dive_env.ConnectionLost):
                await AsyncClient(srv.url).connect()
            async with AsyncClient(srv.url, token="t0ken") as env:
                ep = await env.reset("arith-0")
                assert ep.episode
        run(main())
    finally:
        srv.stop()
