"""dive_env: the Python client of dive, the RL environment server for tool-using LLM agents.

Depends only on the standard library and the packages Debian ships
(python3-websockets, python3-msgpack). See clients/python/README.md.
"""

from .chat import (assistant_message, tool_call_text, tool_call_xml, tool_results_text, tools_system_prompt,
                   with_tools_in_system_prompt)
from .client import DEFAULT_URL, AsyncClient
from .errors import (BadFrame, BadRequest, ConnectionLost, DiveError, EpisodeDone, InternalError, LimitExceeded,
                     ResumeFailed, ShuttingDown, TurnMismatch, UnknownEpisode, UnknownOp, UnknownSession,
                     UnknownTask)
from .rollout import run_episode, run_episodes
from .sync import Client
from .types import (Episode, EpisodeState, Hello, Reward, StepInfo, StepResult, TaskSummary, ToolCallInfo,
                    ToolError, Trajectory)

__version__ = "0.1.0"

__all__ = [
    "AsyncClient", "Client", "DEFAULT_URL", "run_episode", "run_episodes",
    "Episode", "EpisodeState", "Hello", "Reward", "StepInfo", "StepResult", "TaskSummary", "ToolCallInfo",
    "ToolError", "Trajectory",
    "DiveError", "BadFrame", "BadRequest", "UnknownOp", "UnknownTask", "UnknownEpisode", "EpisodeDone",
    "LimitExceeded", "ShuttingDown", "TurnMismatch", "UnknownSession", "InternalError", "ConnectionLost",
    "ResumeFailed",
    "tools_system_prompt", "with_tools_in_system_prompt", "tool_call_text", "tool_call_xml", "tool_results_text",
    "assistant_message",
]
