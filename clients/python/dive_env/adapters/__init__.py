"""Adapters that plug dive into the trainers people use.

Each follows the interface its trainer documents (see docs/trainers.md at the
repository root); none imports the trainer, so all of them load and are tested
where the trainers cannot be installed.

- :mod:`dive_env.adapters.gym` — Gymnasium-style ``reset()``/``step()``.
- :mod:`dive_env.adapters.skyrl` — a SkyRL ``BaseTextEnv``.
- :mod:`dive_env.adapters.trl` — TRL reward functions and ``environment_factory`` classes.
- :mod:`dive_env.adapters.verl` — a verl ``BaseTool``, its YAML tool config, and ``compute_score``.
"""

from __future__ import annotations

import os
import threading

from ..client import DEFAULT_URL
from ..errors import DiveError
from ..sync import Client

_shared: dict = {}
_shared_lock = threading.Lock()


def shared_client(url: str = "", encoding: str = "auto") -> Client:
    """One blocking client per (url, encoding) per process, shared by every environment
    instance: trainers create environments by the hundred, and they all multiplex over
    one websocket. ``url`` defaults to $DIVE_URL, then the local default server."""
    url = url or os.environ.get("DIVE_URL", DEFAULT_URL)
    key = (url, encoding)
    with _shared_lock:
        client = _shared.get(key)
        if client is None:
            client = _shared[key] = Client(url, encoding=encoding)
        return client


def close_quietly(client: Client, episode) -> None:
    """Closes an episode (an Episode or None), ignoring the errors of closing twice or after a lost connection:
    the server releases what a client leaves behind anyway."""
    if episode is None:
        return
    try:
        client.close_episode(episode.episode)
    except (DiveError, RuntimeError):
        pass
