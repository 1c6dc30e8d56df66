#!/usr/bin/env python3
"""A Python websocket environment server speaking the subset of dive.v1 that `dive bench` uses
(hello, reset, step with one calculator call, close; msgpack or JSON frames), shaped like the
Python servers trainers use today (OpenEnv-style: asyncio + websockets, one request at a time per
connection). Debian packages only: python3-websockets, python3-msgpack.

    /usr/bin/python3 bench/pyserver.py --port 8799
    dive bench --url ws://127.0.0.1:8799/v1/env --task bench-builtin

It exists to compare against `dive serve` on the same machine in one run (scripts/bench-compare).
"""

import argparse
import ast
import asyncio
import itertools
import json
import operator

import msgpack
import websockets

CALCULATOR = {"type": "function", "function": {"name": "calculator", "description": "Evaluate an arithmetic expression.",
              "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}
OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv, ast.USub: operator.neg}


def evaluate(expr):
    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in OPS:
            return OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in OPS:
            return OPS[type(node.op)](ev(node.operand))
        raise ValueError("unsupported expression")
    return ev(ast.parse(expr, mode="eval"))


ids = itertools.count(1)


def handle(req, episodes):
    op, p = req.get("op"), req.get("params") or {}
    if op == "hello":
        return {"server": "pyserver", "protocol": "dive.v1", "limits": {"max_batch": 1}}
    if op == "reset":
        ep = f"py-{next(ids)}"
        episodes[ep] = {"turns": 0, "max_turns": (p.get("options") or {}).get("max_turns", 16)}
        return {"episode": ep, "task_id": p.get("task_id"), "tools": [CALCULATOR],
                "messages": [{"role": "user", "content": "What is 17 * 23?"}], "limits": {}}
    if op == "step":
        st = episodes.get(p.get("episode"))
        if st is None:
            raise KeyError("unknown_episode")
        st["turns"] += 1
        out = []
        for call in (p.get("message") or {}).get("tool_calls") or []:
            args = call["function"]["arguments"]
            args = json.loads(args) if isinstance(args, str) else args
            try:
                content = json.dumps({"expression": args["expression"], "result": evaluate(args["expression"])})
            except Exception as exc:  # noqa: BLE001 - a tool error is an observation
                content = f"Error (tool_error): {exc}"
            out.append({"role": "tool", "tool_call_id": call.get("id", ""), "name": "calculator", "content": content})
        done = st["turns"] >= st["max_turns"]
        return {"episode": p["episode"], "messages": out, "done": done, "info": {"turn": st["turns"]}}
    if op == "close":
        episodes.pop(p.get("episode"), None)
        return {"episode": p.get("episode"), "closed": True}
    raise KeyError("unknown_op")


async def serve(ws, path=None):
    use_msgpack = ws.subprotocol == "dive.v1.msgpack"
    episodes = {}
    try:
        await loop(ws, use_msgpack, episodes)
    except websockets.ConnectionClosed:
        pass


async def loop(ws, use_msgpack, episodes):
    async for data in ws:
        req = msgpack.unpackb(data, raw=False) if use_msgpack else json.loads(data)
        try:
            reply = {"id": req.get("id"), "op": req.get("op"), "result": handle(req, episodes)}
        except KeyError as exc:
            reply = {"id": req.get("id"), "op": req.get("op"), "error": {"code": str(exc.args[0]), "message": str(exc)}}
        await ws.send(msgpack.packb(reply, use_bin_type=True) if use_msgpack else json.dumps(reply))


async def main(port):
    async with websockets.serve(serve, "127.0.0.1", port, subprotocols=["dive.v1.msgpack", "dive.v1.json"], compression=None):
        print(f"pyserver on ws://127.0.0.1:{port}/v1/env", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8799)
    asyncio.run(main(ap.parse_args().port))
