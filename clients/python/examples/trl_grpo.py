#!/usr/bin/env python3
"""TRL: GRPOTrainer with environment_factory and a dive reward function.

With TRL installed (`--train`), this builds the trainer:

    tools = trl.toolset(task_ids, url)                    # the tasks' tool schemas, from the server
    Env = trl.environment_class(tools, url)               # public methods = tools, reset(**row) = new episode
    GRPOTrainer(model=..., train_dataset=rows,            # rows: {"prompt": [...], "task_id": ...}
                reward_funcs=[trl.reward_function(url)], environment_factory=Env, args=GRPOConfig(...))

Without it, it runs what the trainer does for one rollout, with the model behind an
OpenAI-compatible endpoint: reset the environment with the row, let the model call the
environment's methods, then score the final completion with the reward function.
"""

import json, os, sys  # noqa: E401

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from _model import args, chat  # noqa: E402
from dive_env.adapters import trl  # noqa: E402

a = args(__doc__)
tools = trl.toolset([a.task], a.env)
Env = trl.environment_class(tools, a.env)
reward_fn = trl.reward_function(a.env)
env = Env()
env.reset(task_id=a.task)
messages = list(env._episode.messages)  # in training, the dataset row's prompt
while True:
    msg = chat(a, messages, tools)
    calls = msg.get("tool_calls") or []
    messages.append({"role": "assistant", "content": msg.get("content"), "tool_calls": calls} if calls else
                    {"role": "assistant", "content": msg.get("content")})
    if not calls:
        break
    for c in calls:  # what TRL does with a tool call: call the environment's method
        result = getattr(env, c["function"]["name"])(**json.loads(c["function"]["arguments"]))
        messages.append({"role": "tool", "tool_call_id": c["id"], "content": result})
rewards = reward_fn(prompts=[messages[:2]], completions=[messages[2:]], environments=[env], task_id=[a.task])
print(f"{a.task}: reward {rewards[0]}")
