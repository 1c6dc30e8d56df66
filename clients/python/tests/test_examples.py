"""The examples run as a user runs them, against a real server."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import fake_openai

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def test_rollout_driver(server, tmp_path):
    model, base_url = fake_openai.start()
    try:
        out = tmp_path / "rollouts.jsonl"
        proc = subprocess.run([sys.executable, str(EXAMPLES / "rollout.py"), "--env", server.url, "--base-url", base_url,
                               "--model", "fake", "--tasks", "6", "--group", "4", "--seed", "5", "--out", str(out)],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert "24/24 episodes" in proc.stdout and "mean reward 1.000" in proc.stdout
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert len(rows) == 24 and len({r["task_id"] for r in rows}) == 6
        assert all(r["reward"]["score"] == 1.0 and r["turns"] == 2 for r in rows)
        assert len(model.requests) == 48 and all(r["tools"] for r in model.requests)
    finally:
        model.shutdown()


def test_adapter_examples(server):
    model, base_url = fake_openai.start()
    try:
        for name in ("gym_loop.py", "skyrl_env.py", "trl_grpo.py", "verl_tool.py"):
            before = len(model.requests)
            proc = subprocess.run([sys.executable, str(EXAMPLES / name), "--env", server.url, "--task", "revcomp-1",
                                   "--base-url", base_url, "--model", "fake"], capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, (name, proc.stdout, proc.stderr)
            assert "reward 1.0" in proc.stdout, (name, proc.stdout)
            assert len(model.requests) - before == 2, name  # one tool call, one answer
    finally:
        model.shutdown()
