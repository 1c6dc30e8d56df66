"""The package installs with what it says, and falls back to JSON without msgpack."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_pyproject_lists_every_package():
    text = (ROOT / "pyproject.toml").read_text()
    listed = set(re.search(r"packages = \[(.*?)\]", text).group(1).replace('"', "").replace(" ", "").split(","))
    found = {str(p.parent.relative_to(ROOT)).replace("/", ".") for p in (ROOT / "dive_env").rglob("__init__.py")}
    assert listed == found


def test_imports_need_only_websockets_and_msgpack():
    """Importing every module pulls in no third-party package beyond websockets and msgpack."""
    code = (
        "import sys\n"
        "before = {m.split('.')[0] for m in sys.modules}\n"
        "import dive_env, dive_env.adapters.trl, dive_env.adapters.verl, dive_env.adapters.skyrl, dive_env.adapters.gym\n"
        "new = {m.split('.')[0] for m in sys.modules} - before - set(sys.stdlib_module_names)\n"
        "print(sorted(new - {'dive_env', 'websockets', 'msgpack', 'cython_runtime'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_json_fallback_without_msgpack(server):
    """With msgpack unimportable, encoding='auto' speaks JSON and everything works."""
    code = (
        "import sys; sys.modules['msgpack'] = None\n"
        "import dive_env\n"
        f"with dive_env.Client({server.url!r}) as env:\n"
        "    assert env.hello_info.encoding == 'json', env.hello_info.encoding\n"
        "    ep = env.reset('arith-0')\n"
        "    print(env.step(ep.episode, '<answer>0</answer>').reward.label)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "incorrect"
