#!/usr/bin/env python3
"""Gymnasium-style: reset() / step() over a dive episode, the model behind an OpenAI-compatible endpoint."""

import os, sys  # noqa: E401

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from _model import args, chat  # noqa: E402
from dive_env.adapters.gym import DiveGymEnv  # noqa: E402

a = args(__doc__)
env = DiveGymEnv(a.task, url=a.env)
messages, info = env.reset(seed=0)
done, reward = False, 0.0
while not done:
    action = chat(a, messages, info["tools"])  # an OpenAI assistant message
    obs, reward, terminated, truncated, step_info = env.step(action)
    messages += [action] + obs
    done = terminated or truncated
env.close()
print(f"{a.task}: {step_info['reason']} after {step_info['turn']} turns, reward {reward}")
