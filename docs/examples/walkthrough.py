import asyncio, json, re, sys
import websockets  # Debian: python3-websockets

async def main(url):
    async with websockets.connect(url, subprotocols=["dive.v1.json"]) as ws:
        async def call(id, op, **params):
            await ws.send(json.dumps({"id": id, "op": op, "params": params}))
            reply = json.loads(await ws.recv())  # one request at a time here; with many
            assert reply["id"] == id, reply      # in flight, match replies by id
            if "error" in reply:
                raise RuntimeError(reply["error"])
            return reply["result"]

        print((await call(1, "hello"))["limits"])
        ep = await call(2, "reset", task_id="dive-default-compound_interest-1")
        messages, tools = ep["messages"], ep["tools"]  # OpenAI chat messages and function tools
        question = messages[-1]["content"]
        # Play the model: one tool call, in the OpenAI format.
        p, r, n = re.findall(r"\d+(?:\.\d+)?", question)[:3]
        call_ = {"id": "c1", "type": "function", "function": {"name": "calculator",
                 "arguments": json.dumps({"expression": f"{p} * (1 + {r}/100) ^ {n}"})}}
        assistant = {"role": "assistant", "content": "", "tool_calls": [call_]}
        step = await call(3, "step", episode=ep["episode"], message=assistant)
        messages += [assistant] + step["messages"]  # the tool messages carry tool_call_id
        value = json.loads(step["messages"][0]["content"])["result"]
        final = {"role": "assistant", "content": f"<answer>{value:.2f}</answer>"}
        step = await call(4, "step", episode=ep["episode"], message=final)
        print(step["done"], step["reason"], step["reward"]["score"], step["reward"]["explanation"])

asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:8790/v1/env"))
