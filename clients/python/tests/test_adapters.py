"""Each trainer adapter driven through the interface its trainer documents, against a real server."""

from __future__ import annotations

import asyncio
import inspect
import json
import typing

import pytest

import dive_env

from dive_env.adapters import gym as dgym
from dive_env.adapters import skyrl, trl, verl
from dive_env.chat import tool_call_text
from policies import plan, result_of


def test_gym_env(server):
    env = dgym.DiveGymEnv("arith-4", url=server.url)
    obs, info = env.reset(seed=3)
    assert obs[-1]["role"] == "user" and [t["function"]["name"] for t in info["tools"]] == ["calculator"]
    name, args = plan(obs[-1]["content"])
    call = {"role": "assistant", "content": "", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}]}
    obs, reward, terminated, truncated, info = env.step(call)
    assert obs[0]["role"] == "tool" and reward == 0.0 and not terminated and not truncated
    obs, reward, terminated, truncated, info = env.step(f"<answer>{result_of(obs[0])}</answer>")
    assert reward == 1.0 and terminated and not truncated and info["reason"] == "answer"
    # A turn budget of one: the tool call uses it up, the episode is truncated.
    env.reset(options={"max_turns": 1})
    _, reward, terminated, truncated, info = env.step(call)
    assert truncated and not terminated and reward == 0.0 and info["reason"] == "max_turns"
    # Invalid calls in a row end the episode as a failure of the model's own: terminated.
    env.reset(options={"max_consecutive_invalid_tool_calls": 2})
    bad = {"role": "assistant", "content": "", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "no_such_tool", "arguments": "{}"}}]}
    _, _, terminated, truncated, info = env.step(bad)
    assert not terminated and not truncated
    _, reward, terminated, truncated, info = env.step(bad)
    assert terminated and not truncated and reward == 0.0 and info["reason"] == "max_consecutive_invalid_tool_calls"
    env.close()


@pytest.mark.parametrize("role", ["tool", "user"])
def test_skyrl_text_env(server, role):
    env = skyrl.DiveTextEnv({"url": server.url, "observation_role": role}, {"task_id": "revcomp-2"})
    prompt, meta = env.init([{"role": "user", "content": "ignored"}])
    assert meta["task_id"] == "revcomp-2" and "<tools>" in prompt[0]["content"]
    assert '"bio_seq_reverse_complement"' in prompt[0]["content"]
    name, args = plan(prompt[-1]["content"])
    out = env.step("Let me compute it.\n" + tool_call_text(name, args))
    assert set(out) == {"observations", "reward", "done", "metadata", "postprocessed_action"}
    assert not out["done"] and out["reward"] == 0.0 and out["observations"][0]["role"] == role
    content = out["observations"][0]["content"]
    if role == "user":
        assert content.startswith("<tool_response>")
        content = content.split("\n")[1]
    answer = json.loads(content)["result"]
    out = env.step(f"<answer>{answer}</answer>")
    assert out["done"] and out["reward"] == 1.0 and out["metadata"]["label"] == "correct"
    env.close()
    with pytest.raises(ValueError):
        skyrl.DiveTextEnv({"url": server.url}, {})


def test_trl_reward_function(server):
    reward = trl.reward_function(server.url)
    assert reward.__name__ == "dive_reward"
    env = dgym.DiveGymEnv("arith-6", url=server.url)
    obs, _ = env.reset()
    name, args = plan(obs[-1]["content"])
    truth = result_of(env.step({"role": "assistant", "content": "", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}]})[0][0])
    env.close()
    scores = reward(prompts=["p"] * 3,
                    completions=[f"<answer>{truth}</answer>", [{"role": "assistant", "content": "<answer>7</answer>"}],
                                 [{"role": "assistant", "content": f"\\boxed{{{truth}}}"}]],
                    task_id=["arith-6"] * 3)
    assert scores == [1.0, 0.0, 1.0]
    with pytest.raises(KeyError):
        reward(prompts=["p"], completions=["x"])


def test_trl_environment_factory(server):
    tools = trl.toolset(["revcomp-0", "arith-0"], server.url)
    assert [t["function"]["name"] for t in tools] == ["bio_seq_reverse_complement", "calculator"]
    cls = trl.environment_class(tools, server.url)
    env = cls()
    # TRL reads tools from public methods: signature, type hints and docstring.
    public = [n for n, _ in inspect.getmembers(env, inspect.ismethod) if not n.startswith("_") and n != "reset"]
    assert public == ["bio_seq_reverse_complement", "calculator"]
    sig = inspect.signature(env.bio_seq_reverse_complement)
    assert list(sig.parameters) == ["sequence"] and typing.get_type_hints(env.calculator)["expression"] is str
    assert "Args:\n    sequence:" in env.bio_seq_reverse_complement.__doc__
    assert env.reset(task_id="revcomp-3", prompt=[{"role": "user", "content": "..."}]) is None
    seq = plan(env._episode.question)[1]["sequence"]
    out = json.loads(env.bio_seq_reverse_complement(sequence=seq))
    bad = env.bio_seq_reverse_complement(sequence="XYZ")
    assert bad.startswith("Error (invalid_arguments)")
    reward = trl.reward_function(server.url)
    scores = reward(prompts=["p"], completions=[[{"role": "assistant", "content": f"<answer>{out['result']}</answer>"}]],
                    environments=[env])
    assert scores == [1.0] and env.reward == 1.0
    env._close()


def test_verl_tool_and_score(server, tmp_path):
    schemas = trl.toolset(["revcomp-0"], server.url)
    schema = schemas[0]
    tool = verl.DiveTool({"type": "native", "url": server.url}, schema)
    assert tool.get_openai_tool_schema() == schema and tool.name == "bio_seq_reverse_complement"

    async def lifecycle():
        created = await tool.create(create_kwargs={"task_id": "revcomp-4"})
        iid = created[0] if isinstance(created, tuple) else created
        ep = tool._episodes[iid]
        seq = plan((await tool.client.awaitable(tool.client.aio.state(ep))).messages[-1]["content"])[1]["sequence"]
        text, step_reward, metrics = await tool.execute(iid, {"sequence": seq})
        text = getattr(text, "text", text)
        assert step_reward == 0.0 and metrics["error"] is None
        bad, _, bad_metrics = await tool.execute(iid, {"sequence": 12})
        assert bad_metrics["error"] == "invalid_arguments"
        assert await tool.calc_reward(iid) == 0.0
        await tool.release(iid)
        assert iid not in tool._episodes
        return json.loads(text)["result"]

    answer = asyncio.run(lifecycle())
    score = verl.compute_score("dive", f"<answer>{answer}</answer>", None, {"task_id": "revcomp-4", "dive_url": server.url})
    assert score == 1.0
    assert verl.compute_score("dive", "<answer>A</answer>", None, {"task_id": "revcomp-4", "dive_url": server.url}) == 0.0

    path = tmp_path / "tools.yaml"
    verl.main(["--url", server.url, "--out", str(path), "revcomp-0", "arith-0"])
    yaml = pytest.importorskip("yaml", reason="python3-yaml reads the config back")
    config = yaml.safe_load(path.read_text())
    assert [t["class_name"] for t in config["tools"]] == ["dive_env.adapters.verl.DiveTool"] * 2
    assert config["tools"][0]["tool_schema"] == schema and config["tools"][1]["config"]["url"] == server.url
    row = verl.dataset_row("revcomp-0", [{"role": "user", "content": "q"}], ["bio_seq_reverse_complement"])
    assert row["extra_info"]["tools_kwargs"]["bio_seq_reverse_complement"]["create_kwargs"]["task_id"] == "revcomp-0"


def test_reward_masked_labels():
    """undecided and scoring_failed are no verdict: masked; the others are verdicts."""
    for label, masked in [("correct", False), ("partial", False), ("incorrect", False), ("undecided", True),
                          ("scoring_failed", True)]:
        r = dive_env.Reward.from_dict({"score": 0, "label": label, "decided_by": "rule", "future_field": 1})
        assert r.masked is masked and r.decided_by == "rule" and r.extra == {"future_field": 1}
    assert dive_env.Reward.from_dict({"label": "undecided"}).undecided
