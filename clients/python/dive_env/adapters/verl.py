"""verl adapters: a ``BaseTool`` over dive's tools, its YAML tool config, and ``compute_score``.

- :class:`DiveTool` follows verl's ``BaseTool`` lifecycle (verl/tools/base_tool.py):
  ``__init__(config, tool_schema)``, ``get_openai_tool_schema()``, and the async
  ``create(instance_id, **kwargs)``, ``execute(instance_id, parameters, **kwargs)
  -> (response, step_reward, metrics)``, ``calc_reward(instance_id)`` and
  ``release(instance_id)``. ``create`` starts a dive episode on the sample's task
  (``create_kwargs: {task_id: ...}`` from the row's ``extra_info.tools_kwargs``);
  each ``execute`` is one step of it; ``release`` closes it. verl currently
  creates and releases a tool around every single call, so each call gets an
  episode of its own: right for dive's stateless tools, not for state carried
  between calls (code_execution's sandbox).
- :func:`write_tool_config` writes the YAML file that verl's
  ``actor_rollout_ref.rollout.multi_turn.tool_config_path`` points at, with the
  schemas read from the server.
- :func:`compute_score` has the signature of verl's custom reward function
  (``custom_reward_function.path``/``name``) and scores the final response on
  the server, against ``extra_info["task_id"]``.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from typing import Any, Iterable, Optional

from . import shared_client

try:  # verl's base class and response type where verl is installed
    from verl.tools.base_tool import BaseTool as _Base
except Exception:  # noqa: BLE001
    _Base = object
try:
    from verl.tools.schemas import ToolResponse as _ToolResponse
except Exception:  # noqa: BLE001
    _ToolResponse = None


def _schema_dict(tool_schema) -> dict:
    if isinstance(tool_schema, dict):
        return tool_schema
    if hasattr(tool_schema, "model_dump"):  # verl's OpenAIFunctionToolSchema (pydantic)
        return tool_schema.model_dump(exclude_unset=True, exclude_none=True)
    raise TypeError(f"tool_schema must be a dict or a pydantic model, not {type(tool_schema).__name__}")


def _response(text: str):
    return _ToolResponse(text=text) if _ToolResponse is not None else text


class DiveTool(_Base):
    """One dive tool as a verl tool. config: ``url`` (default $DIVE_URL), ``task_id`` (used when
    create_kwargs carry none), ``episode_options`` (reset options)."""

    def __init__(self, config: dict, tool_schema):
        self.config = dict(config or {})
        self.tool_schema = tool_schema
        self.name = _schema_dict(tool_schema)["function"]["name"]
        self.client = shared_client(self.config.get("url", ""))
        self._episodes: dict = {}   # instance id → episode id
        self._rewards: dict = {}    # instance id → final reward, once an episode ended

    def get_openai_tool_schema(self):
        return self.tool_schema

    async def create(self, instance_id: Optional[str] = None, **kwargs):
        instance_id = instance_id or str(uuid.uuid4())
        create_kwargs = kwargs.get("create_kwargs") or kwargs
        task_id = create_kwargs.get("task_id") or self.config.get("task_id")
        if not task_id:
            raise ValueError(f"{self.name}: create needs task_id (extra_info.tools_kwargs.{self.name}.create_kwargs.task_id)")
        ep = await self.client.awaitable(self.client.aio.reset(task_id, **self.config.get("episode_options", {})))
        self._episodes[instance_id] = ep.episode
        if _ToolResponse is not None:
            return instance_id, _ToolResponse()
        return instance_id

    async def execute(self, instance_id: str, parameters: dict, **kwargs):
        episode = self._episodes.get(instance_id)
        if episode is None:
            return _response(f"Error (unknown_instance): {self.name} has no instance {instance_id}"), 0.0, {}
        msg = {"role": "assistant", "content": "", "tool_calls": [
            {"id": f"call_{instance_id[:8]}", "type": "function",
             "function": {"name": self.name, "arguments": json.dumps(parameters)}}]}
        res = await self.client.awaitable(self.client.aio.step(episode, msg))
        if res.done and res.reward is not None:
            self._rewards[instance_id] = res.reward.score
        call = res.info.tool_calls[0] if res.info.tool_calls else None
        metrics = {"duration_ms": call.duration_ms if call else 0.0,
                   "error": call.error.kind if call and call.error else None,
                   "truncated": bool(call and call.truncated)}
        text = res.messages[0]["content"] if res.messages else ""
        return _response(text), float(res.info.shaping or 0.0), metrics

    async def calc_reward(self, instance_id: str, **kwargs) -> float:
        return float(self._rewards.get(instance_id, 0.0))

    async def release(self, instance_id: str, **kwargs) -> None:
        episode = self._episodes.pop(instance_id, None)
        self._rewards.pop(instance_id, None)
        if episode is not None:
            try:
                await self.client.awaitable(self.client.aio.close_episode(episode))
            except Exception:  # noqa: BLE001 - released already, or the connection is gone
                pass


def compute_score(data_source: Any = None, solution_str: str = "", ground_truth: Any = None,
                  extra_info: Optional[dict] = None, **kwargs) -> float:
    """verl's custom reward function: the dive reward of ``solution_str`` for the row's task."""
    task_id = (extra_info or {}).get("task_id")
    if not task_id:
        raise KeyError("dive compute_score needs extra_info['task_id'] (the dive task id of the row)")
    url = (extra_info or {}).get("dive_url", "")
    return shared_client(url).score(task_id, solution_str).score


def tool_config_yaml(tools: Iterable[dict], url: str = "") -> str:
    """The YAML of verl's tool config for these OpenAI function schemas.
    Schemas are written as JSON, which is YAML too."""
    lines = ["tools:"]
    for schema in tools:
        config = {"type": "native"}
        if url:
            config["url"] = url
        lines.append("  - class_name: dive_env.adapters.verl.DiveTool")
        lines.append(f"    config: {json.dumps(config)}")
        lines.append(f"    tool_schema: {json.dumps(schema, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def write_tool_config(path: str, task_ids: Iterable[str], url: str = "") -> int:
    """Writes verl's tool config for the union of the tasks' toolsets; returns the tool count."""
    from .trl import toolset  # the same schema read-out

    tools = toolset(task_ids, url)
    with open(path, "w", encoding="utf-8") as f:
        f.write(tool_config_yaml(tools, url))
    return len(tools)


def dataset_row(task_id: str, messages: list, tool_names: Iterable[str], data_source: str = "dive") -> dict:
    """A verl RL dataset row for a dive task: ``prompt``, ``data_source``, ``reward_model``
    and ``extra_info`` with the task id and each tool's create_kwargs."""
    return {"data_source": data_source, "prompt": messages, "ability": "tool_use",
            "reward_model": {"style": "rule", "ground_truth": ""},
            "extra_info": {"task_id": task_id, "need_tools_kwargs": True,
                           "tools_kwargs": {n: {"create_kwargs": {"task_id": task_id}} for n in tool_names}}}


def main(argv=None) -> int:
    """python -m dive_env.adapters.verl --out tools.yaml [--url URL] TASK_ID...: writes verl's tool config."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m dive_env.adapters.verl", description=main.__doc__)
    ap.add_argument("--url", default=os.environ.get("DIVE_URL", ""))
    ap.add_argument("--out", required=True)
    ap.add_argument("task_ids", nargs="+")
    args = ap.parse_args(argv)
    n = write_tool_config(args.out, args.task_ids, args.url)
    print(f"wrote {n} tools to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
