"""Typed results of the dive.v1 protocol, as dataclasses.

Every result keeps the fields this client knows as attributes; fields added by
a newer server are kept in ``extra`` rather than dropped.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional

Message = dict  # an OpenAI chat message: {"role": ..., "content": ..., ...}


def _build(cls, data: Optional[dict]):
    """Builds dataclass ``cls`` from a reply object, unknown fields into ``extra``."""
    if data is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    known = {k: v for k, v in data.items() if k in names and k != "extra"}
    obj = cls(**known)
    obj.extra = {k: v for k, v in data.items() if k not in names}
    return obj


@dataclass
class Reward:
    """The reward of a finished episode (or of a scored answer)."""

    score: float = 0.0
    label: str = ""
    components: dict = field(default_factory=dict)
    explanation: str = ""
    extracted: str = ""
    scorer: str = ""
    decided_by: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when the answer was judged correct."""
        return self.label == "correct"

    @property
    def scoring_failed(self) -> bool:
        """True when the scorer could not decide (mask such episodes, do not train on their 0)."""
        return self.label == "scoring_failed"

    @property
    def undecided(self) -> bool:
        """True when the rules could not decide and no LLM judge did (score 0, no verdict)."""
        return self.label == "undecided"

    @property
    def masked(self) -> bool:
        """True when the reward is no verdict (undecided or scoring_failed): leave it out of training."""
        return self.label in ("undecided", "scoring_failed")

    @classmethod
    def from_dict(cls, data: Optional[dict]) -> Optional["Reward"]:
        return _build(cls, data)


@dataclass
class ToolError:
    """Why a tool call failed: ``kind`` is unknown_tool, invalid_arguments, tool_error, timeout, ..."""

    kind: str
    message: str = ""


@dataclass
class ToolCallInfo:
    """One tool call of a step: timing, outcome, truncation."""

    id: str = ""
    name: str = ""
    duration_ms: float = 0.0
    error: Optional[ToolError] = None
    truncated: bool = False
    replayed: bool = False
    output_bytes: int = 0
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> "ToolCallInfo":
        info = _build(cls, data)
        if isinstance(info.error, dict):
            info.error = ToolError(kind=info.error.get("kind", ""), message=info.error.get("message", ""))
        return info


@dataclass
class StepInfo:
    """Per-step detail: the turn number, each call's info, totals, shaping."""

    turn: int = 0
    tool_calls: list = field(default_factory=list)
    tool_calls_total: int = 0
    duration_ms: float = 0.0
    shaping: Optional[float] = None
    resent: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Optional[dict]) -> "StepInfo":
        info = _build(cls, data or {})
        info.tool_calls = [ToolCallInfo.from_dict(c) for c in (info.tool_calls or [])]
        return info


@dataclass
class StepResult:
    """The reply to a step: tool messages to append, and when done, why and the reward."""

    episode: str = ""
    messages: list = field(default_factory=list)
    done: bool = False
    reason: str = ""
    reward: Optional[Reward] = None
    info: StepInfo = field(default_factory=StepInfo)
    extra: dict = field(default_factory=dict)

    @property
    def score(self) -> float:
        """The final reward's score, or 0.0 while the episode runs."""
        return self.reward.score if self.reward else 0.0

    @property
    def tool_errors(self) -> list:
        """The failed calls of this step (their messages tell the model what went wrong)."""
        return [c for c in self.info.tool_calls if c.error is not None]

    @classmethod
    def from_dict(cls, data: dict) -> "StepResult":
        res = _build(cls, data)
        res.reward = Reward.from_dict(data.get("reward"))
        res.info = StepInfo.from_dict(data.get("info"))
        res.messages = res.messages or []
        res.reason = res.reason or ""
        return res


@dataclass
class Episode:
    """The reply to reset: the episode id, the initial conversation and the toolset."""

    episode: str = ""
    task_id: str = ""
    domain: str = ""
    messages: list = field(default_factory=list)
    tools: list = field(default_factory=list)
    toolset: str = ""  # the tools' content id (toolsets.get)
    tool_call_format: str = "openai"
    limits: dict = field(default_factory=dict)
    seed: Optional[int] = None
    extra: dict = field(default_factory=dict)

    @property
    def question(self) -> str:
        """The user's question (the last initial message)."""
        return self.messages[-1]["content"] if self.messages else ""

    @property
    def tool_names(self) -> list:
        return [t["function"]["name"] for t in self.tools]

    @classmethod
    def from_dict(cls, data: dict) -> "Episode":
        return _build(cls, data)


@dataclass
class EpisodeState:
    """The reply to state: the transcript so far."""

    episode: str = ""
    task_id: str = ""
    messages: list = field(default_factory=list)
    turns: int = 0
    tool_calls: int = 0
    done: bool = False
    reason: str = ""
    reward: Optional[Reward] = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> "EpisodeState":
        st = _build(cls, data)
        st.reward = Reward.from_dict(data.get("reward"))
        st.reason = st.reason or ""
        return st


@dataclass
class TaskSummary:
    """A task as listed: never its answer."""

    id: str = ""
    domain: str = ""
    split: str = ""
    question: str = ""
    tools: int = 0
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> "TaskSummary":
        return _build(cls, data)


@dataclass
class Hello:
    """The reply to hello: server identity, limits, counts, and the resume session."""

    server: str = ""
    version: str = ""
    protocol: str = ""
    encoding: str = ""
    limits: dict = field(default_factory=dict)
    tool_call_formats: list = field(default_factory=list)
    tasks: int = 0
    tools: int = 0
    scorers: list = field(default_factory=list)
    session: str = ""
    resume_grace_s: float = 0.0
    resumed: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> "Hello":
        h = _build(cls, data)
        h.resumed = h.resumed or []
        return h


@dataclass
class Trajectory:
    """A whole episode as a client saw it: for rollout drivers and trainers."""

    episode: str
    task_id: str
    messages: list
    tools: list
    reward: Optional[Reward]
    reason: str
    turns: int
    tool_calls: int = 0
    tool_errors: int = 0
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return d
