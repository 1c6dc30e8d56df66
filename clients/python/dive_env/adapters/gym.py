"""A Gymnasium-style environment over a dive episode, for anything else.

``reset(seed=None, options=None) -> (observation, info)`` and
``step(action) -> (observation, reward, terminated, truncated, info)``, as in
Gymnasium's ``Env`` API. Observations are lists of OpenAI chat messages: the
initial conversation after reset, the step's tool messages after a step.
``terminated`` is True when the model answered; ``truncated`` when the episode
hit its turn, tool-call or time budget.
"""

from __future__ import annotations

from typing import Optional

from ..sync import Client
from . import close_quietly, shared_client

# Budgets that cut an episode short truncate it; an answer, or the model's
# invalid tool calls in a row (max_consecutive_invalid_tool_calls, a failure
# of its own), terminate it.
_TRUNCATING = {"max_turns", "max_tool_calls", "deadline", "abandoned"}


class DiveGymEnv:
    """One episode at a time on a task (``task_id``) or a sample (``sample``: split, domain, ids)."""

    metadata = {"render_modes": []}

    def __init__(self, task_id: Optional[str] = None, *, sample: Optional[dict] = None,
                 client: Optional[Client] = None, url: str = "", **episode_options):
        self.client = client or shared_client(url)
        self.task_id = task_id
        self.sample = sample
        self.episode_options = episode_options
        self.episode = None
        self.tools: list = []

    def reset(self, *, seed: Optional[int] = None, options: Optional[dict] = None):
        self.close()
        opts = dict(self.episode_options)
        opts.update(options or {})
        task_id = opts.pop("task_id", self.task_id)
        sample = opts.pop("sample", self.sample)
        if task_id is None and sample is None:
            sample = {}
        if seed is not None:
            opts["seed"] = seed
        ep = self.client.reset(task_id, sample=sample, **opts)
        self.episode, self.tools = ep, ep.tools
        return list(ep.messages), {"episode": ep.episode, "task_id": ep.task_id, "tools": ep.tools,
                                   "limits": ep.limits, "tool_call_format": ep.tool_call_format}

    def step(self, action):
        """``action``: an OpenAI assistant message (dict) or the raw completion text."""
        if self.episode is None:
            raise RuntimeError("call reset() before step()")
        if isinstance(action, str):
            res = self.client.step(self.episode.episode, text=action)
        else:
            res = self.client.step(self.episode.episode, action)
        reward = res.reward.score if res.done and res.reward else (res.info.shaping or 0.0)
        terminated = res.done and res.reason not in _TRUNCATING
        truncated = res.done and res.reason in _TRUNCATING
        info = {"turn": res.info.turn, "reason": res.reason, "tool_calls": res.info.tool_calls,
                "reward": res.reward}
        return list(res.messages), reward, terminated, truncated, info

    def close(self) -> None:
        close_quietly(self.client, self.episode)
        self.episode = None
