#!/usr/bin/env python3
"""Client-side overhead: steps per second from one Python process against `dive serve`.

    go build -o /tmp/dive ./cmd/dive
    /tmp/dive serve --tasks clients/python/tests/testdata/tasks.jsonl --max-turns 100000 &
    /usr/bin/python3 clients/python/bench.py --env ws://127.0.0.1:8790/v1/env

Every step is one calculator call (a trivial tool), so the figures are the
protocol's and the client's cost, not the tools'. Modes: one step at a time
(sync and async), 256 episodes stepping concurrently (one request each), and
256 steps per batch frame; in msgpack and JSON.
"""

import argparse, asyncio, json, os, sys, time  # noqa: E401

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dive_env  # noqa: E402

CALL = dive_env.assistant_message("", [("calculator", {"expression": "6*7"})])


async def episodes(env, n):
    return [e.episode for e in await env.reset_many(["arith-0"] * n, max_turns=100000, max_tool_calls=100000)]


async def sequential(env, seconds):
    (ep,) = await episodes(env, 1)
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        await env.step(ep, CALL)
        n += 1
    return n


async def concurrent(env, seconds, width=256):
    eps = await episodes(env, width)
    count, end = [0], time.perf_counter() + seconds

    async def loop(ep):
        while time.perf_counter() < end:
            await env.step(ep, CALL)
            count[0] += 1

    await asyncio.gather(*(loop(e) for e in eps))
    return count[0]


async def batched(env, seconds, width=256):
    eps = await episodes(env, width)
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        res = await env.step_many([(e, CALL) for e in eps])
        n += len(res)
    return n


def sync_sequential(url, encoding, seconds):
    with dive_env.Client(url, encoding=encoding) as env:
        ep = env.reset("arith-0", max_turns=100000, max_tool_calls=100000).episode
        n, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            env.step(ep, CALL)
            n += 1
        return n


async def run_mode(url, encoding, mode, seconds):
    async with dive_env.AsyncClient(url, encoding=encoding) as env:
        return await {"async, one at a time": sequential, "async, 256 concurrent": concurrent,
                      "async, batches of 256": batched}[mode](env, seconds)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", default=os.environ.get("DIVE_URL", dive_env.DEFAULT_URL))
    p.add_argument("--seconds", type=float, default=3.0, help="per mode and encoding")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    rows = []
    for encoding in ("msgpack", "json"):
        t0 = time.perf_counter()
        n = sync_sequential(a.env, encoding, a.seconds)
        rows.append((encoding, "sync, one at a time", n / (time.perf_counter() - t0)))
        for mode in ("async, one at a time", "async, 256 concurrent", "async, batches of 256"):
            t0 = time.perf_counter()
            n = asyncio.run(run_mode(a.env, encoding, mode, a.seconds))
            rows.append((encoding, mode, n / (time.perf_counter() - t0)))
    if a.json:
        print(json.dumps([{"encoding": e, "mode": m, "steps_per_s": round(r)} for e, m, r in rows]))
        return
    print(f"{'encoding':9} {'mode':24} steps/s")
    for e, m, r in rows:
        print(f"{e:9} {m:24} {r:8.0f}")


if __name__ == "__main__":
    main()
