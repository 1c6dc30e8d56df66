#!/usr/bin/env python3
"""The smallest complete loop: sample tasks, run episodes against an OpenAI-compatible model, write the results.

    python3 examples/rollout.py --base-url http://127.0.0.1:8000/v1 --model Qwen/Qwen3-8B --tasks 8 --group 4

Each task is run --group times (a GRPO group), --concurrency episodes at once,
over one websocket to `dive serve`. Every trajectory (messages, reward) is one
JSON line of --out. Standard library and dive_env only.
"""

import argparse, asyncio, json, os, sys, urllib.request  # noqa: E401

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import dive_env  # noqa: E402


def chat(base_url, api_key, body):
    """One blocking POST /chat/completions; returns the first choice's message."""
    req = urllib.request.Request(base_url.rstrip("/") + "/chat/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.load(resp)["choices"][0]["message"]


async def main(a):
    async def policy(messages, tools):  # the model's next turn, off the event loop
        body = {"model": a.model, "messages": messages, "tools": tools, "temperature": a.temperature,
                "max_tokens": a.max_tokens}
        return await asyncio.to_thread(chat, a.base_url, a.api_key, body)

    async with dive_env.AsyncClient(a.env) as env:
        seed, tasks = await env.tasks_sample(a.tasks, seed=a.seed, split=a.split or "")
        ids = [t.id for t in tasks for _ in range(a.group)]
        results = await dive_env.run_episodes(env, policy, ids, concurrency=a.concurrency, max_turns=a.max_turns)
    scores = []
    with open(a.out, "w") as out:
        for task_id, r in zip(ids, results):
            if isinstance(r, Exception):
                print(f"{task_id}: failed: {r}", file=sys.stderr)
                continue
            scores.append(r.reward.score)
            out.write(json.dumps(r.to_dict()) + "\n")
    print(f"{len(scores)}/{len(ids)} episodes (sample seed {seed}), mean reward {sum(scores) / max(len(scores), 1):.3f}"
          f" -> {a.out}")
    return 0 if len(scores) == len(ids) else 1


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", default=os.environ.get("DIVE_URL", dive_env.DEFAULT_URL), help="dive serve websocket URL")
    p.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"))
    p.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY", "none"))
    p.add_argument("--model", required=True)
    p.add_argument("--tasks", type=int, default=8, help="tasks to sample")
    p.add_argument("--group", type=int, default=4, help="episodes per task")
    p.add_argument("--split", default="")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--max-turns", type=int, default=16)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--max-tokens", type=int, default=2048)
    p.add_argument("--out", default="rollouts.jsonl")
    sys.exit(asyncio.run(main(p.parse_args())))
