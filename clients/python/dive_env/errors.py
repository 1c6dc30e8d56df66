"""Typed errors of the dive.v1 protocol.

A request the server cannot honour comes back as an error reply with a code;
the client raises the matching subclass of :class:`DiveError`. A tool call that
fails is *not* an error: it comes back as the tool message the model reads.
"""

from __future__ import annotations


class DiveError(Exception):
    """A protocol error: ``code`` is the server's error code, ``message`` its text."""

    code = "error"

    def __init__(self, message: str, code: str | None = None, op: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.op = op

    def __str__(self) -> str:
        where = f" ({self.op})" if self.op else ""
        return f"{self.code}{where}: {self.message}"


class BadFrame(DiveError):
    """The server could not decode a frame."""

    code = "bad_frame"


class BadRequest(DiveError):
    """Missing, malformed or unknown parameters."""

    code = "bad_request"


class UnknownOp(DiveError):
    """The server has no such operation (an older server?)."""

    code = "unknown_op"


class UnknownTask(DiveError):
    """No task with that id, or none matches a sample's filter."""

    code = "unknown_task"


class UnknownEpisode(DiveError):
    """No open episode with that id on this connection."""

    code = "unknown_episode"


class EpisodeDone(DiveError):
    """A step on an episode that has ended."""

    code = "episode_done"


class LimitExceeded(DiveError):
    """A per-connection limit (running episodes, batch size) was reached."""

    code = "limit_exceeded"


class ShuttingDown(DiveError):
    """The server is draining: retry on another server."""

    code = "shutting_down"


class TurnMismatch(DiveError):
    """A step's turn number is neither the next turn nor the last one."""

    code = "turn_mismatch"


class UnknownSession(DiveError):
    """A resume named a session the server no longer holds."""

    code = "unknown_session"


class InternalError(DiveError):
    """A bug in the server; the connection stays usable."""

    code = "internal"


class Capacity(DiveError):
    """The server runs all the rollouts it admits; ``retry_after_ms`` says when to try again."""

    code = "capacity"

    def __init__(self, message: str, code: str | None = None, op: str | None = None, retry_after_ms: int = 0):
        super().__init__(message, code, op)
        self.retry_after_ms = retry_after_ms


class ConnectionLost(DiveError):
    """The connection dropped and the request could not be completed."""

    code = "connection_lost"


class ResumeFailed(ConnectionLost):
    """The connection dropped and its episodes could not be resumed; they are gone."""

    code = "resume_failed"


_BY_CODE = {
    cls.code: cls
    for cls in (BadFrame, BadRequest, UnknownOp, UnknownTask, UnknownEpisode, EpisodeDone,
                LimitExceeded, ShuttingDown, TurnMismatch, UnknownSession, InternalError, Capacity)
}


def from_reply(error: dict, op: str | None = None) -> DiveError:
    """Returns the typed exception for an error reply's ``error`` object."""
    code = str(error.get("code", "error"))
    cls = _BY_CODE.get(code, DiveError)
    if cls is Capacity:
        return Capacity(str(error.get("message", "")), code=code, op=op, retry_after_ms=int(error.get("retry_after_ms", 0)))
    return cls(str(error.get("message", "")), code=code, op=op)
