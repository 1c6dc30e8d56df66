"""Chat-template helpers, and messages passed straight from chat-completion responses."""

from __future__ import annotations

import asyncio
import json

import dive_env
from dive_env import chat
from dive_env.client import _wire_message

TOOL = {"type": "function", "function": {"name": "calculator", "description": "Evaluate.",
                                         "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}}}}


def test_tools_system_prompt_round_trip():
    text = chat.tools_system_prompt([TOOL])
    block = text.split("<tools>\n")[1].split("\n</tools>")[0]
    assert [json.loads(line) for line in block.splitlines()] == [TOOL]
    assert "<tool_call>" in text
    msgs = chat.with_tools_in_system_prompt([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "q"}], [TOOL])
    assert msgs[0]["content"].startswith("Be brief.\n\n# Tools") and msgs[1]["content"] == "q"
    added = chat.with_tools_in_system_prompt([{"role": "user", "content": "q"}], [TOOL])
    assert added[0]["role"] == "system" and len(added) == 2


def test_tool_text_helpers():
    call = chat.tool_call_text("calculator", {"expression": "1+1"})
    assert json.loads(call.split("\n")[1]) == {"name": "calculator", "arguments": {"expression": "1+1"}}
    text = chat.tool_results_text([{"role": "tool", "content": "A"}, {"role": "tool", "content": "B"}])
    assert text == "<tool_response>\nA\n</tool_response>\n<tool_response>\nB\n</tool_response>"
    m = chat.assistant_message("", [("calculator", {"expression": "2"})])
    assert json.loads(m["tool_calls"][0]["function"]["arguments"]) == {"expression": "2"}


def test_response_message_is_trimmed_for_the_wire():
    vllm = {"role": "assistant", "content": None, "refusal": None, "reasoning_content": "hmm", "function_call": None,
            "tool_calls": [{"id": "t1", "type": "function", "index": 0,
                            "function": {"name": "calculator", "arguments": "{\"expression\": \"2\"}"}}]}
    assert _wire_message(vllm) == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "t1", "type": "function", "function": {"name": "calculator", "arguments": "{\"expression\": \"2\"}"}}]}
    assert _wire_message({"role": "assistant", "content": "x", "tool_calls": []}) == {"role": "assistant", "content": "x"}


def test_response_message_steps_on_the_server(server):
    async def main():
        async with dive_env.AsyncClient(server.url) as env:
            ep = await env.reset("arith-0")
            msg = {"role": "assistant", "content": None, "refusal": None, "reasoning_content": "hmm",
                   "tool_calls": [{"id": "t1", "type": "function", "index": 0,
                                   "function": {"name": "calculator", "arguments": "{\"expression\": \"2*3\"}"}}]}
            res = await env.step(ep.episode, msg)
            assert json.loads(res.messages[0]["content"])["result"] == 6
    asyncio.run(main())
