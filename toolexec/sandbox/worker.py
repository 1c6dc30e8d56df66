# The code-execution worker: runs inside the sandbox as an unprivileged user,
# executes Python snippets in one persistent namespace (like a notebook), and
# answers over a private pipe. Standard library only.
#
# Protocol, on the pipe that was fd 1 at start: the worker writes "ready\n",
# then for each request (on stdin: a decimal length, a newline, that many
# bytes of JSON {"code": str, "max_output": int, "nonce": str}) it writes a
# response framed the same way: {"stdout": str, "stderr": str, "error":
# str|null, "truncated": bool, "output_bytes": int, "nonce": str}.
import ast
import io
import json
import os
import signal
import sys
import time
import traceback


class Capped(io.TextIOBase):
    """A text stream that keeps the head and tail of what is written."""

    def __init__(self, limit):
        self.limit = limit
        self.head = []
        self.head_len = 0
        self.tail = []
        self.tail_len = 0
        self.total = 0

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str")
        self.total += len(s)
        room = self.limit // 2 - self.head_len
        if room > 0:
            self.head.append(s[:room])
            self.head_len += min(room, len(s))
            s = s[room:]
        if s:
            self.tail.append(s)
            self.tail_len += len(s)
            while self.tail_len > self.limit // 2 and len(self.tail) > 1:
                self.tail_len -= len(self.tail.pop(0))
            if self.tail_len > self.limit // 2:
                self.tail = [self.tail[0][-(self.limit // 2):]]
                self.tail_len = len(self.tail[0])
        return self.total

    def value(self):
        head, tail = "".join(self.head), "".join(self.tail)
        shown = len(head) + len(tail)
        if shown < self.total:
            return head + "\n...[output truncated: %d of %d characters omitted]...\n" % (self.total - shown, self.total) + tail, True
        return head + tail, False


def run(code, namespace, limit):
    out, err = Capped(limit), Capped(limit)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    error = None
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the host interrupts a call past its time
    try:
        tree = ast.parse(code, "<code>", "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, "<code>", "exec"), namespace)
        if last is not None:
            value = eval(compile(last, "<code>", "eval"), namespace)
            if value is not None:
                print(repr(value))
    except KeyboardInterrupt:
        error = "KeyboardInterrupt: the call was interrupted (time limit)"
    except BaseException as e:  # SystemExit included: the notebook survives
        lines = traceback.format_exception(type(e), e, e.__traceback__)
        # Drop the worker's own frames ("<string>": it runs with -c); keep the user's and the library's.
        error = "".join(line for line in lines if not line.startswith('  File "<string>"'))
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.stdout, sys.stderr = saved
    o, to = out.value()
    e, te = err.value()
    if error is not None and len(error) > limit:
        error = error[: limit // 2] + "\n...[error truncated]...\n" + error[-(limit // 2):]
    return {"stdout": o, "stderr": e, "error": error, "truncated": to or te, "output_bytes": out.total + err.total}


def end_children():
    """A call ends with everything it started. The worker is the init of the
    slot's pid namespace, so kill(-1) reaches every other process in it (and
    not the worker); then the dead are reaped, for up to a second."""
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        return  # nothing else runs
    for _ in range(100):
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.01)


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only calls can be interrupted
    proto = os.fdopen(os.dup(1), "wb", buffering=0)
    # Anything written to fd 1 or 2 by child processes goes nowhere near the protocol.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
    stdin = sys.stdin.buffer
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    proto.write(b"ready\n")
    while True:
        header = stdin.readline()
        if not header:
            return
        request = json.loads(stdin.read(int(header)))
        response = run(request["code"], namespace, int(request.get("max_output", 65536)))
        response["nonce"] = request.get("nonce")  # the host checks the reply is this one's
        if os.getpid() == 1:
            end_children()
        data = json.dumps(response).encode("utf-8", "replace")
        proto.write(b"%d\n" % len(data) + data)


main()
