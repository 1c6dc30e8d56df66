"""TRL adapters: reward functions and environment classes for GRPOTrainer.

- :func:`reward_function` returns a function with TRL's ``reward_funcs``
  signature, ``f(prompts, completions, **kwargs) -> list[float]``, that scores
  each completion on the server (the dataset's ``task_id`` column arrives in
  kwargs). With ``environment_factory`` it ends each rollout's episode instead,
  through the ``environments`` kwarg TRL passes to reward functions.
- :func:`environment_class` builds the class for GRPOTrainer's
  ``environment_factory`` (TRL PR #5093): one instance per rollout, whose
  public methods (not ``reset``, not ``_``-prefixed) TRL exposes as tools, with
  the schema read from each method's signature and docstring; ``reset(**row)``
  is called with the dataset row before each generation. Each method call runs
  as one step of the rollout's dive episode, so the server validates the full
  JSON Schema that TRL's schema extraction drops.
- :func:`toolset` reads tasks' tool schemas from the server (TRL fixes a
  class's tools once: build one class per toolset, or one over the union —
  tools outside a task's set then answer ``unknown_tool``).
"""

from __future__ import annotations

import inspect
import json
import keyword
from typing import Any, Iterable, Optional

from ..sync import Client
from . import close_quietly, shared_client

_JSON_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list, "object": dict}


def _completion_text(completion) -> str:
    if isinstance(completion, str):
        return completion
    for m in reversed(completion or []):
        if m.get("role") == "assistant":
            content = m.get("content")
            if isinstance(content, list):  # content parts
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return content or ""
    return ""


def reward_function(url: str = "", *, client: Optional[Client] = None, task_id_column: str = "task_id",
                    name: str = "dive_reward", mask_scoring_failures: bool = True):
    """A TRL reward function scoring completions through the server.

    Without environments, each completion is scored against its row's task
    (conversational completions as messages, so failed tool calls count as in
    an episode). With ``environments`` (environment_factory), each rollout's
    final completion ends its episode, and the episode's reward is returned.
    A reward that is no verdict (labelled undecided or scoring_failed) is None
    (TRL ignores it) unless ``mask_scoring_failures`` is False.
    """

    def dive_reward(prompts=None, completions=None, environments=None, **kwargs) -> list:
        env_client = client or shared_client(url)
        if environments is not None:
            rewards = [env._finish(_completion_text(c)) for env, c in zip(environments, completions)]
        else:
            task_ids = kwargs.get(task_id_column)
            if task_ids is None:
                raise KeyError(f"dive reward needs the dataset column {task_id_column!r} (the dive task id of each row)")
            items = [(t, c if isinstance(c, str) else [m for m in c if m.get("role") in ("assistant", "tool")])
                     for t, c in zip(task_ids, completions)]
            rewards = env_client.score_many(items)
        out = []
        for r in rewards:
            if isinstance(r, Exception):
                raise r
            if r is None or (mask_scoring_failures and r.masked):
                out.append(None)
            else:
                out.append(r.score)
        return out

    dive_reward.__name__ = name
    dive_reward.__qualname__ = name
    return dive_reward


def toolset(task_ids: Iterable[str], url: str = "", *, client: Optional[Client] = None) -> list:
    """The union of the tool schemas of tasks, by name, in first-seen order (one toolsets.get request)."""
    c = client or shared_client(url)
    ids = list(dict.fromkeys(task_ids))
    by_task, toolsets = c.toolsets(ids)
    seen: dict = {}
    for task_id in ids:
        for t in toolsets[by_task[task_id]]:
            seen.setdefault(t["function"]["name"], t)
    return list(seen.values())


class DiveEnvironment:
    """Base of the classes :func:`environment_class` builds: one dive episode per rollout."""

    _url = ""
    _task_id_key = "task_id"
    _episode_options: dict = {}

    def __init__(self):
        self._client = shared_client(self._url)
        self._episode = None
        self._done = None  # the final StepResult once the episode ended
        self.reward: Optional[float] = None

    def reset(self, **kwargs) -> Optional[str]:
        """Starts this rollout's episode on the row's task (kwargs are the dataset row)."""
        self._close()
        task_id = kwargs.get(self._task_id_key)
        if not task_id:
            raise KeyError(f"the dataset row has no {self._task_id_key!r}: the dive task id")
        self._episode = self._client.reset(task_id, **self._episode_options)
        self._done, self.reward = None, None
        return None

    def _call_tool(self, name: str, arguments: dict) -> str:
        if self._episode is None:
            raise RuntimeError("reset() was not called")
        if self._done is not None:
            return f"Error (episode_done): the episode has ended ({self._done.reason}); give your final answer"
        msg = {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_0", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}]}
        res = self._client.step(self._episode.episode, msg)
        if res.done:
            self._done = res
        return res.messages[0]["content"] if res.messages else ""

    def _finish(self, final_text: str):
        """Ends the episode with the model's final answer; returns its Reward."""
        if self._episode is None:
            return None
        if self._done is None:
            self._done = self._client.step(self._episode.episode, {"role": "assistant", "content": final_text})
        self.reward = self._done.score
        return self._done.reward

    def _close(self) -> None:
        close_quietly(self._client, self._episode)
        self._episode = None


def _tool_method(schema: dict):
    fn = schema["function"]
    name = fn["name"]
    params = fn.get("parameters") or {}
    props = params.get("properties") or {}
    required = set(params.get("required") or [])
    sig_params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict = {"return": str}
    doc_args = []
    for pname, pschema in props.items():
        if not pname.isidentifier() or keyword.iskeyword(pname):
            raise ValueError(f"tool {name}: parameter {pname!r} is not a Python identifier")
        ptype = pschema.get("type")
        ann = _JSON_TYPES.get(ptype if isinstance(ptype, str) else "", Any)
        if pname not in required:
            ann = Optional[ann]
        annotations[pname] = ann
        default = inspect.Parameter.empty if pname in required else None
        sig_params.append(inspect.Parameter(pname, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann))
        desc = (pschema.get("description") or pname).replace("\n", " ")
        if "enum" in pschema:
            desc += f" One of: {', '.join(map(str, pschema['enum']))}."
        doc_args.append(f"    {pname}: {desc}")

    def method(self, **kwargs) -> str:
        args = {k: v for k, v in kwargs.items() if v is not None or k in required}
        return self._call_tool(name, args)

    method.__name__ = name
    method.__qualname__ = f"DiveEnvironment.{name}"
    method.__signature__ = inspect.Signature(sig_params, return_annotation=str)
    method.__annotations__ = annotations
    doc = (fn.get("description") or name).strip()
    if doc_args:
        doc += "\n\nArgs:\n" + "\n".join(doc_args)
    doc += "\n\nReturns:\n    The tool's result (JSON), or an error message saying what went wrong."
    method.__doc__ = doc
    return method


def environment_class(tools: list, url: str = "", *, task_id_key: str = "task_id", name: str = "DiveToolEnvironment",
                      **episode_options) -> type:
    """Builds an ``environment_factory`` class whose public methods are the given dive tools
    (OpenAI function schemas, e.g. from :func:`toolset` or an Episode's ``tools``)."""
    namespace: dict = {"_url": url, "_task_id_key": task_id_key, "_episode_options": dict(episode_options)}
    for schema in tools:
        tool_name = schema["function"]["name"]
        if tool_name == "reset" or tool_name.startswith("_") or hasattr(DiveEnvironment, tool_name):
            raise ValueError(f"tool name {tool_name!r} clashes with the environment's own methods")
        namespace[tool_name] = _tool_method(schema)
    return type(name, (DiveEnvironment,), namespace)
