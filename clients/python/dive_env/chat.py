"""Helpers for models and trainers that work on text rather than OpenAI messages.

Most chat templates (Qwen2.5/3, Hermes) render tools into the system prompt
and expect calls as ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``
blocks, with results fed back as ``<tool_response>`` blocks. When a trainer
applies the model's own chat template with ``tools=...``, it does this itself;
these helpers are for the ones that do not (raw-text trainers such as
OpenRLHF or NeMo-RL, and scripted policies).
"""

from __future__ import annotations

import itertools
import json
from typing import Iterable, Optional

_TOOLS_PREAMBLE = (
    "# Tools\n\n"
    "You may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
)
_TOOLS_POSTAMBLE = (
    "\n</tools>\n\n"
    "For each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\n<tool_call>\n"
    '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
)


def tools_system_prompt(tools: Iterable[dict]) -> str:
    """Renders OpenAI function tools as the Hermes/Qwen tool block of a system prompt."""
    lines = [json.dumps(t, ensure_ascii=False) for t in tools]
    return _TOOLS_PREAMBLE + "\n".join(lines) + _TOOLS_POSTAMBLE


def with_tools_in_system_prompt(messages: list, tools: Iterable[dict]) -> list:
    """Returns a copy of messages whose system message ends with the tool block (one is added if absent)."""
    block = tools_system_prompt(tools)
    out = [dict(m) for m in messages]
    if out and out[0].get("role") == "system":
        content = out[0].get("content") or ""
        out[0]["content"] = f"{content}\n\n{block}" if content else block
    else:
        out.insert(0, {"role": "system", "content": block})
    return out


def tool_call_text(name: str, arguments: dict) -> str:
    """One call in the Hermes text format that the server's ``hermes`` parser reads."""
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False) + "\n</tool_call>"


def tool_call_xml(name: str, arguments: dict) -> str:
    """One call in the XML layout of Qwen3-Coder and Qwen3.5, which the server's ``hermes`` and
    ``qwen3_coder`` formats read: string values bare, others as JSON (the server types each value
    by the tool's schema)."""
    lines = ["<tool_call>", f"<function={name}>"]
    for key, value in arguments.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines += [f"<parameter={key}>", text, "</parameter>"]
    return "\n".join(lines + ["</function>", "</tool_call>"])


def tool_results_text(tool_messages: Iterable[dict]) -> str:
    """Renders a step's tool messages as the Qwen/Hermes user turn of ``<tool_response>`` blocks."""
    return "\n".join(f"<tool_response>\n{m.get('content', '')}\n</tool_response>" for m in tool_messages)


_call_ids = itertools.count(1)


def assistant_message(content: Optional[str] = "", tool_calls: Iterable[tuple] = ()) -> dict:
    """Builds an OpenAI assistant message; ``tool_calls`` are (name, arguments-dict) pairs."""
    msg: dict = {"role": "assistant", "content": content}
    calls = [{"id": f"call_{next(_call_ids)}", "type": "function",
              "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)}}
             for name, args in tool_calls]
    if calls:
        msg["tool_calls"] = calls
    return msg
