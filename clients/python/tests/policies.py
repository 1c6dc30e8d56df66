"""Scripted policies for the tests: they solve the test tasks with the tools."""

from __future__ import annotations

import json
import re

from dive_env.chat import assistant_message, tool_call_text, tool_call_xml


def solve_arith(question: str) -> tuple[str, dict]:
    a, b, c = re.findall(r"\d+", question)[:3]
    return "calculator", {"expression": f"{a} * {b} + {c}"}


def solve_revcomp(question: str) -> tuple[str, dict]:
    seq = re.search(r"of ([ACGT]+)\?", question).group(1)
    return "bio_seq_reverse_complement", {"sequence": seq}


def plan(question: str) -> tuple[str, dict]:
    """The one tool call that answers a test task."""
    return solve_revcomp(question) if "reverse complement" in question else solve_arith(question)


def result_of(tool_message: dict) -> str:
    return str(json.loads(tool_message["content"])["result"])


def scripted_policy(wrong: bool = False, hermes: bool = False, xml: bool = False):
    """A policy: first turn one tool call, second turn the tool's result as the answer (with hermes
    as text, its call a Hermes block, or with xml in the XML layout)."""

    async def policy(messages, tools):
        question = next(m["content"] for m in messages if m["role"] == "user")
        tool_msgs = [m for m in messages if m["role"] == "tool"]
        if not tool_msgs:
            name, args = plan(question)
            if hermes:
                return tool_call_xml(name, args) if xml else tool_call_text(name, args)
            return assistant_message("", [(name, args)])
        answer = "nope" if wrong else result_of(tool_msgs[-1])
        return f"<answer>{answer}</answer>" if hermes else {"role": "assistant", "content": f"<answer>{answer}</answer>"}

    return policy
