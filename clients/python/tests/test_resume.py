"""Reconnect with resume: connections dropped by a TCP proxy mid-episode."""

from __future__ import annotations

import asyncio

import pytest

import dive_env
from conftest import DiveServer, DropProxy
from dive_env import AsyncClient
from policies import plan, result_of


def call_message(question):
    name, args = plan(question)
    return dive_env.assistant_message("", [(name, args)])


def test_drop_mid_episode_resumes(server):
    """20 episodes are mid-way when every connection is cut; they all finish, each step run once."""
    async def main():
        proxy = await DropProxy(server.url).start()
        try:
            async with AsyncClient(proxy.url) as env:
                token = env.session
                eps = await env.reset_many([f"arith-{i}" for i in range(20)])
                firsts = await asyncio.gather(*(env.step(e.episode, call_message(e.question)) for e in eps))
                proxy.drop()
                finals = await asyncio.gather(*(
                    env.step(e.episode, f"<answer>{result_of(r.messages[0])}</answer>") for e, r in zip(eps, firsts)))
                assert env.reconnects == 1 and env.session == token
                assert [r.score for r in finals] == [1.0] * 20
                for e in eps:
                    st = await env.state(e.episode)
                    assert st.turns == 2 and st.tool_calls == 1
        finally:
            await proxy.close()
    asyncio.run(main())


def test_lost_step_reply_is_not_run_twice(server):
    """The step reached the server but its reply was lost: the re-sent step gets the same reply."""
    async def main():
        proxy = await DropProxy(server.url).start()
        try:
            async with AsyncClient(proxy.url) as env:
                ep = await env.reset("arith-7")
                proxy.hold_replies = True
                pending = asyncio.ensure_future(env.step(ep.episode, call_message(ep.question)))
                await asyncio.sleep(0.3)  # the server has run the step; the reply went nowhere
                assert not pending.done()
                proxy.hold_replies = False
                proxy.drop()
                res = await asyncio.wait_for(pending, 10)
                assert res.info.resent and res.info.turn == 1 and not res.done
                st = await env.state(ep.episode)
                assert st.turns == 1 and st.tool_calls == 1
                done = await env.step(ep.episode, f"<answer>{result_of(res.messages[0])}</answer>")
                assert done.score == 1.0 and done.info.turn == 2
        finally:
            await proxy.close()
    asyncio.run(main())


def test_lost_reset_reply_closes_the_orphan(server):
    """A reset whose reply was lost is re-sent; the episode it had started is closed after the resume."""
    async def main():
        proxy = await DropProxy(server.url).start()
        try:
            async with AsyncClient(proxy.url) as env:
                proxy.hold_replies = True
                pending = asyncio.ensure_future(env.reset("arith-8"))
                await asyncio.sleep(0.3)
                proxy.hold_replies = False
                proxy.drop()
                ep = await asyncio.wait_for(pending, 10)
                orphans = [r["episode"] for r in env.hello_info.resumed if r["episode"] != ep.episode]
                assert len(orphans) == 1
                for _ in range(50):  # the close is sent right after the resume
                    try:
                        await env.state(orphans[0])
                    except dive_env.UnknownEpisode:
                        break
                    await asyncio.sleep(0.02)
                else:
                    pytest.fail("the orphaned episode was not closed")
                st = await env.state(ep.episode)
                assert st.turns == 0 and not st.done
        finally:
            await proxy.close()
    asyncio.run(main())


def test_resume_after_grace_fails_typed(dive_bin):
    """Past the server's grace period the episodes are gone: ResumeFailed, and the client works on."""
    from conftest import TASKS
    srv = DiveServer(dive_bin, "--tasks", str(TASKS), "--resume-grace", "500ms")

    async def main():
        proxy = await DropProxy(srv.url).start()
        try:
            async with AsyncClient(proxy.url, reconnect_timeout=10) as env:
                ep = await env.reset("arith-9")
                proxy.server.close()  # refuse reconnects for a while
                await proxy.server.wait_closed()
                proxy.drop()
                port = int(proxy.url.split(":")[2].split("/")[0])
                await asyncio.sleep(1.0)  # past the grace period
                proxy.server = await asyncio.start_server(proxy._handle, "127.0.0.1", port)
                with pytest.raises(dive_env.ResumeFailed):
                    await env.step(ep.episode, call_message(ep.question))
                again = await env.reset("arith-9")
                res = await env.step(again.episode, call_message(again.question))
                assert not res.done and res.info.turn == 1
        finally:
            await proxy.close()

    try:
        asyncio.run(main())
    finally:
        srv.stop()


def test_server_drain_is_shutting_down(dive_bin):
    """A server that drains closes with 1001: its episodes are gone, the client says so."""
    from conftest import TASKS
    srv = DiveServer(dive_bin, "--tasks", str(TASKS))

    async def main():
        env = AsyncClient(srv.url)
        ep = await env.reset("arith-1")
        srv.proc.terminate()
        await asyncio.sleep(0.5)
        with pytest.raises(dive_env.ConnectionLost):
            await env.step(ep.episode, call_message(ep.question))
        await env.close()

    try:
        asyncio.run(main())
    finally:
        srv.stop()
