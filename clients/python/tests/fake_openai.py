"""A loopback stand-in for an OpenAI-compatible chat-completions endpoint (vLLM, SGLang),
speaking the real wire format: POST /v1/chat/completions → a chat.completion object whose
message carries tool_calls (arguments as a JSON string), plus the extra fields real
servers add (refusal, reasoning_content). Its "model" solves the test tasks with one tool call."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from policies import plan, result_of


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        if self.path != "/v1/chat/completions":
            self.send_error(404)
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        messages = body["messages"]
        tool_msgs = [m for m in messages if m["role"] == "tool"]
        tool_msgs += [{"content": m["content"].split("\n")[1]} for m in messages
                      if m["role"] == "user" and m["content"].startswith("<tool_response>")]
        question = next(m["content"] for m in messages if m["role"] == "user")
        if "tools" not in body:  # raw text mode: tools are in the system prompt, calls in Hermes text
            if not tool_msgs:
                name, args = plan(question)
                content = "<tool_call>\n" + json.dumps({"name": name, "arguments": args}) + "\n</tool_call>"
            else:
                content = f"<answer>{result_of(tool_msgs[-1])}</answer>"
            message, finish = {"role": "assistant", "content": content}, "stop"
        elif not tool_msgs:
            name, args = plan(question)
            message = {"role": "assistant", "content": None, "refusal": None, "reasoning_content": "I should call a tool.",
                       "tool_calls": [{"id": f"chatcmpl-tool-{len(self.server.requests)}", "type": "function",
                                       "function": {"name": name, "arguments": json.dumps(args)}}]}
            finish = "tool_calls"
        else:
            message = {"role": "assistant", "content": f"<answer>{result_of(tool_msgs[-1])}</answer>", "refusal": None,
                       "tool_calls": []}
            finish = "stop"
        out = {"id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
               "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
               "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def start():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.requests = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}/v1"
