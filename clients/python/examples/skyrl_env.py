#!/usr/bin/env python3
"""SkyRL: the BaseTextEnv loop SkyRL's generator runs — init(prompt), then step(raw completion text) until done.

With SkyRL installed, register the environment instead and name it in the dataset rows (env_class: dive):
    skyrl_gym.envs.register(id="dive", entry_point="dive_env.adapters.skyrl:DiveTextEnv")
"""

import os, sys  # noqa: E401

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from _model import args, chat  # noqa: E402
from dive_env.adapters.skyrl import DiveTextEnv  # noqa: E402

a = args(__doc__)
env = DiveTextEnv({"url": a.env}, {"task_id": a.task})
chat_history, metadata = env.init(None)  # the tools are rendered into the system prompt (Hermes format)
while True:
    text = chat(a, chat_history)["content"]  # raw text: <tool_call> blocks are parsed by the server
    out = env.step(text)
    chat_history += [{"role": "assistant", "content": text}] + out["observations"]
    if out["done"]:
        break
env.close()
print(f"{a.task}: {out['metadata']['reason']}, reward {out['reward']}")
