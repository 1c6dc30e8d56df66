"""The model the examples talk to: any OpenAI-compatible chat-completions endpoint (stdlib only)."""

import argparse, json, os, urllib.request  # noqa: E401


def args(doc):
    p = argparse.ArgumentParser(description=doc)
    p.add_argument("--env", default=os.environ.get("DIVE_URL", "ws://127.0.0.1:8790/v1/env"))
    p.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"))
    p.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY", "none"))
    p.add_argument("--model", default=os.environ.get("DIVE_MODEL", "Qwen/Qwen3-8B"))
    p.add_argument("--task", required=True, help="dive task id")
    return p.parse_args()


def chat(a, messages, tools=None):
    """The first choice's message for messages (and OpenAI tools, when the model takes them)."""
    body = {"model": a.model, "messages": messages}
    if tools:
        body["tools"] = tools
    req = urllib.request.Request(a.base_url.rstrip("/") + "/chat/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {a.api_key}"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.load(resp)["choices"][0]["message"]
