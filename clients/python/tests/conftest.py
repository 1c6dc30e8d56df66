"""Fixtures: a real `dive serve` (built from this checkout unless DIVE_BIN names
a binary) on a loopback port, and a TCP proxy that can drop connections."""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]  # the repository root
sys.path.insert(0, str(HERE.parent))

TASKS = HERE / "testdata" / "tasks.jsonl"


def _build_dive() -> str:
    if os.environ.get("DIVE_BIN"):
        return os.environ["DIVE_BIN"]
    go = shutil.which("go") or "/usr/local/go/bin/go"
    out = pathlib.Path(tempfile.mkdtemp(prefix="dive-pytest-")) / "dive"
    subprocess.run([go, "build", "-o", str(out), "./cmd/dive"], cwd=ROOT, check=True)
    return str(out)


class DiveServer:
    """A `dive serve` subprocess; url is its websocket endpoint."""

    def __init__(self, binary: str, *args: str, env: dict | None = None):
        self.trajectories = pathlib.Path(tempfile.mkdtemp(prefix="dive-traj-")) / "trajectories.jsonl"
        cmd = [binary, "serve", "--addr", "127.0.0.1:0", "--log-level", "info",
               "--trajectories", str(self.trajectories), *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 60
        self.url = ""
        lines = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"url=(ws://\S+)", line)
            if m:
                self.url = m.group(1)
                break
        if not self.url:
            self.proc.kill()
            raise RuntimeError("dive serve did not start:\n" + "".join(lines))
        # Keep draining stderr so the server never blocks on a full pipe.
        import threading
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def dive_bin() -> str:
    return _build_dive()


@pytest.fixture(scope="session")
def server(dive_bin):
    """The test task set (arithmetic and reverse complements), resume grace 30 s."""
    s = DiveServer(dive_bin, "--tasks", str(TASKS), "--resume-grace", "30s")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def default_server(dive_bin):
    """`dive serve` exactly as the README's first command runs it: embedded tasks and tools."""
    s = DiveServer(dive_bin)
    yield s
    s.stop()


class DropProxy:
    """A loopback TCP proxy in front of the server; drop() cuts every connection through it."""

    def __init__(self, upstream_url: str):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", upstream_url)
        self.host, self.port, self.path = m.group(1), int(m.group(2)), m.group(3)
        self.writers: list = []
        self.hold_replies = False  # swallow server→client bytes (replies lost in flight)
        self.server = None
        self.url = ""

    async def start(self) -> "DropProxy":
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}{self.path}"
        return self

    async def _handle(self, reader, writer):
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        self.writers += [writer, up_writer]

        async def pipe(src, dst, from_server):
            try:
                while True:
                    data = await src.read(65536)
                    if not data:
                        break
                    if from_server and self.hold_replies:
                        continue
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True))

    def drop(self) -> None:
        for w in self.writers:
            w.transport.abort()
        self.writers.clear()

    async def close(self) -> None:
        self.drop()
        self.server.close()
        await self.server.wait_closed()
