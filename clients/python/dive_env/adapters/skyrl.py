"""A SkyRL text environment over a dive episode.

Follows SkyRL-Gym's ``BaseTextEnv`` (skyrl_gym/envs/base_text_env.py):
constructed as ``Env(env_config, extras)``; ``init(prompt) -> (prompt, metadata)``;
``step(action: str) -> BaseTextEnvStepOutput`` — a dict with ``observations``
(OpenAI messages), ``reward``, ``done``, ``metadata`` and ``postprocessed_action``;
``close()``. SkyRL passes the raw completion text, so episodes use the
server's ``hermes`` tool-call parser by default.

Register it with SkyRL-Gym (``skyrl_gym.envs.register(id="dive",
entry_point="dive_env.adapters.skyrl:DiveTextEnv")``) and put ``task_id`` in
each dataset row's ``extras`` (``env_class: dive``).
"""

from __future__ import annotations

from typing import Any, Optional

from ..chat import tool_results_text, with_tools_in_system_prompt
from . import close_quietly, shared_client

try:  # use SkyRL's base class where SkyRL is installed
    from skyrl_gym.envs.base_text_env import BaseTextEnv as _Base
except Exception:  # noqa: BLE001 - SkyRL is not installable everywhere
    _Base = object


def _get(cfg: Any, key: str, default=None):
    if cfg is None:
        return default
    if isinstance(cfg, dict):
        return cfg.get(key, default)
    return getattr(cfg, key, default)  # an OmegaConf DictConfig


class DiveTextEnv(_Base):
    """One dive episode per SkyRL trajectory.

    env_config: ``url`` (default $DIVE_URL), ``tool_call_format`` ("hermes"),
    ``observation_role`` ("tool": tool messages as the server sends them;
    "user": one user message of <tool_response> blocks, for templates without a
    tool role), ``render_tools`` (True: the tool block goes into the system
    prompt init returns), ``max_turns``.
    extras: ``task_id`` (also read from ``extras["extra_info"]["task_id"]``).
    """

    def __init__(self, env_config: Any = None, extras: Optional[dict] = None):
        if _Base is not object:
            super().__init__()
        extras = extras or {}
        self.task_id = extras.get("task_id") or (extras.get("extra_info") or {}).get("task_id")
        if not self.task_id:
            raise ValueError("DiveTextEnv needs extras['task_id'] (the dive task of this dataset row)")
        self.client = shared_client(_get(env_config, "url", ""))
        self.tool_call_format = _get(env_config, "tool_call_format", "hermes")
        self.observation_role = _get(env_config, "observation_role", "tool")
        self.render_tools = bool(_get(env_config, "render_tools", True))
        self.max_turns = _get(env_config, "max_turns", None)
        self.episode = None
        self.turns = 0

    def init(self, prompt=None):
        """Starts the episode; returns the server's conversation (with the tools rendered into
        the system prompt) and metadata. The dataset's ``prompt`` is ignored: the server's
        conversation is the task's."""
        ep = self.client.reset(self.task_id, tool_call_format=self.tool_call_format, max_turns=self.max_turns)
        self.episode = ep
        messages = with_tools_in_system_prompt(ep.messages, ep.tools) if self.render_tools else list(ep.messages)
        return messages, {"episode": ep.episode, "task_id": ep.task_id, "tools": ep.tools}

    def step(self, action: str) -> dict:
        if self.episode is None:
            raise RuntimeError("call init() before step()")
        res = self.client.step(self.episode.episode, text=action)
        self.turns = res.info.turn
        if self.observation_role == "user" and res.messages:
            observations = [{"role": "user", "content": tool_results_text(res.messages)}]
        else:
            observations = [{"role": m["role"], "content": m["content"]} for m in res.messages]
        reward = res.reward.score if res.done and res.reward else (res.info.shaping or 0.0)
        metadata = {"reason": res.reason, "turn": res.info.turn,
                    "tool_errors": [c.error.kind for c in res.tool_errors]}
        if res.reward:
            metadata.update(label=res.reward.label, components=res.reward.components,
                            explanation=res.reward.explanation)
        return {"observations": observations, "reward": reward, "done": res.done, "metadata": metadata,
                "postprocessed_action": None}

    def close(self) -> None:
        close_quietly(self.client, self.episode)
        self.episode = None

    def get_metrics(self) -> dict:
        return {"turns": self.turns}
