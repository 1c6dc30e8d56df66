#!/usr/bin/env python3
"""verl: write the tool config for a task's tools, then run the BaseTool lifecycle verl's tool agent loop runs
(create → execute → release for each call) and score the final response with compute_score.

In a verl run:
    actor_rollout_ref.rollout.multi_turn.tool_config_path=dive_tools.yaml
    custom_reward_function.path=<site-packages>/dive_env/adapters/verl.py  custom_reward_function.name=compute_score
and each dataset row made with dive_env.adapters.verl.dataset_row(...).
"""

import asyncio, json, os, sys, tempfile  # noqa: E401

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from _model import args, chat  # noqa: E402
from dive_env.adapters import shared_client, trl, verl  # noqa: E402

a = args(__doc__)
config_path = os.path.join(tempfile.mkdtemp(), "dive_tools.yaml")
verl.write_tool_config(config_path, [a.task], a.env)
schemas = trl.toolset([a.task], a.env)
tools = {s["function"]["name"]: verl.DiveTool({"type": "native", "url": a.env}, s) for s in schemas}
ep = shared_client(a.env).reset(a.task)  # only for the initial messages, as the dataset row would hold them
messages = list(ep.messages)


async def rollout():
    while True:
        msg = chat(a, messages, schemas)
        calls = msg.get("tool_calls") or []
        messages.append({"role": "assistant", "content": msg.get("content")})
        if not calls:
            return msg.get("content") or ""
        for c in calls:
            tool = tools[c["function"]["name"]]
            created = await tool.create(create_kwargs={"task_id": a.task})
            iid = created[0] if isinstance(created, tuple) else created
            resp, _, _ = await tool.execute(iid, json.loads(c["function"]["arguments"]))
            await tool.release(iid)
            messages.append({"role": "tool", "tool_call_id": c["id"], "content": getattr(resp, "text", resp)})

final = asyncio.run(rollout())
score = verl.compute_score("dive", final, None, {"task_id": a.task, "dive_url": a.env})
print(f"{a.task}: tool config {config_path}, reward {score}")
