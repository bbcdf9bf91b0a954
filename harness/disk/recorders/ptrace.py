"""``ptrace``: a pure-Python tracer (the python-ptrace package), for machines with only pip.

It starts the command as a traced child, follows its forks, clones and execs, and
decodes the file calls it needs straight from the registers (x86-64 Linux) and the
tracee's memory: paths at entry, written bytes at exit (as many as the call
returned). Slower than strace (every system call stops the tracee, and Python
handles each stop) but it needs nothing outside pip.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import platform
import shlex
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.disk.recorders.base import (
    ProcessRecorder,
    RecorderUnavailable,
    Traced,
    ptrace_disabled,
    register,
    run_tracer_process,
)
from harness.disk.syscalls import Syscall

# Argument kinds: i int (32-bit signed), l long (64-bit signed), p path,
# b buffer (the bytes the call returned), v iovec array (same), c clone3 flags.
_ARGS: dict[str, str] = {
    "open": "pii",
    "openat": "ipii",
    "creat": "pi",
    "close": "i",
    "dup": "i",
    "dup2": "ii",
    "dup3": "iii",
    "fcntl": "iil",
    "write": "ibl",
    "pwrite64": "ibll",
    "writev": "ivi",
    "pwritev": "ivil",
    "pwritev2": "ivil",
    "lseek": "ili",
    "ftruncate": "il",
    "truncate": "pl",
    "fsync": "i",
    "fdatasync": "i",
    "sync": "",
    "syncfs": "i",
    "rename": "pp",
    "renameat": "ipip",
    "renameat2": "ipipi",
    "unlink": "p",
    "unlinkat": "ipi",
    "rmdir": "p",
    "mkdir": "pi",
    "mkdirat": "ipi",
    "chdir": "p",
    "fchdir": "i",
    "clone": "l",
    "clone3": "c",
    "fork": "",
    "vfork": "",
}
_REGS = ("rdi", "rsi", "rdx", "r10", "r8", "r9")
_PATH_MAX = 4096
_PAGE = 4096
_WALL = 0x40000000
# TRACESYSGOOD | TRACEFORK | TRACEVFORK | TRACECLONE | TRACEEXEC | EXITKILL
_OPTIONS = 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x100000


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


@register("ptrace", preference=10)
class Ptrace(ProcessRecorder):
    how = "python-ptrace (pure Python, from pip): every system call stops the tracee"

    def problem(self) -> str | None:
        if platform.system() != "Linux" or platform.machine() != "x86_64":
            return f"decodes x86-64 Linux only (this is {platform.system()} {platform.machine()})"
        try:
            import ptrace.debugger  # noqa: F401
        except ImportError:
            return "python-ptrace is not installed (pip install python-ptrace)"
        return ptrace_disabled()

    def trace(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        pass_fds: Sequence[int],
        timeout_s: float,
        workdir: Path,
    ) -> Traced:
        # The tracer runs in its own process: it waits on any child (waitpid(-1)), which in
        # this process could reap children that are not its tracees (servers, fork servers).
        out, err, result = workdir / "stdout", workdir / "stderr", workdir / "calls.pickle"
        command = [sys.executable, "-m", "harness.disk.recorders.ptrace_main"]
        command += [str(result), str(cwd), str(out), str(err), str(timeout_s), "--", *argv]
        run = run_tracer_process(
            command,
            env=env,
            pass_fds=pass_fds,
            timeout_s=timeout_s + 30,  # the tracer times the command out itself first
            label="disk-ptrace",
            stdout=False,
        )
        if run.returncode != 0 or not result.exists():
            last = run.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["(no stderr)"]
            raise RecorderUnavailable(
                f"the ptrace tracer failed (exit {run.returncode}): {last[0]}"
            )
        calls, code, timed_out = pickle.loads(result.read_bytes())
        stderr = err.read_text(errors="replace") if err.exists() else ""
        if timed_out:
            stderr += f"\ntimed out after {timeout_s} s"
        stdout = out.read_text(errors="replace") if out.exists() else ""
        return Traced(calls, code, stdout, stderr, timed_out)


def run_tracer(
    argv: Sequence[str], cwd: str, out: str, err: str, timeout_s: float
) -> tuple[list[Syscall], int, bool]:
    """In the tracer process: start ``argv`` traced, follow it to its end."""
    from ptrace.debugger.child import createChild

    # createChild has no cwd or redirections: a shell does them, then execs the command
    # (its own calls touch nothing under the root).
    script = f'cd {shlex.quote(cwd)} && exec "$@" >{shlex.quote(out)} 2>{shlex.quote(err)}'
    pid = createChild(["/bin/sh", "-c", script, "sh", *argv], False, None, close_fds=False)
    loop = _Loop(pid)
    timer = threading.Timer(timeout_s, loop.expire)
    timer.start()
    try:
        calls, code = loop.run()
    finally:
        timer.cancel()
        loop.kill_all()
    return calls, code, loop.timed_out


class _Loop:
    """Stops at every syscall entry and exit of every traced process (PTRACE_SYSCALL),
    following forks, clones and execs; memory is read through /proc/<pid>/mem."""

    def __init__(self, main_pid: int) -> None:
        from ptrace.syscall import SYSCALL_NAMES

        self.main = main_pid
        self.names: dict[int, str] = SYSCALL_NAMES
        self.live: set[int] = set()
        self.early: dict[int, int] = {}  # a new child's first stop, seen before its parent's event
        self.entered: dict[int, tuple[str, list[Any], tuple[int, ...]] | None] = {}
        self.calls: list[Syscall] = []
        self.timed_out = False
        self._mem: dict[int, int] = {}

    def expire(self) -> None:
        self.timed_out = True
        self.kill_all()

    def kill_all(self) -> None:
        for pid in list(self.live):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def run(self) -> tuple[list[Syscall], int]:
        from ptrace.binding import func as pt

        _, status = os.waitpid(self.main, _WALL)  # stopped after exec (PTRACE_TRACEME)
        pt.ptrace_setoptions(self.main, _OPTIONS)
        self.live.add(self.main)
        pt.ptrace_syscall(self.main, 0)
        code = 0
        while self.live:
            try:
                pid, status = os.waitpid(-1, _WALL)
            except ChildProcessError:
                break
            if os.WIFEXITED(status) or os.WIFSIGNALED(status):
                self.live.discard(pid)
                self.entered.pop(pid, None)
                fd = self._mem.pop(pid, None)
                if fd is not None:
                    os.close(fd)
                if pid == self.main:
                    code = os.waitstatus_to_exitcode(status)
                continue
            if pid not in self.live:  # a new child, stopped before its parent's event
                self.early[pid] = status
                continue
            sig, event = os.WSTOPSIG(status), status >> 16
            resume = 0
            if sig == signal.SIGTRAP | 0x80:
                self._stop(pid)
            elif event in (1, 2, 3):  # fork, vfork, clone
                self._new_child(pid, pt.ptrace_geteventmsg(pid), event)
            elif event == 4:  # exec: /proc/<pid>/mem is bound to the old address space
                fd = self._mem.pop(pid, None)
                if fd is not None:
                    os.close(fd)
            elif event or sig in (signal.SIGTRAP, signal.SIGSTOP):
                pass  # exec events and the stops a tracer causes are not the tracee's
            else:
                resume = sig
            with contextlib.suppress(ProcessLookupError, OSError):
                pt.ptrace_syscall(pid, resume)
        return self.calls, code

    def _new_child(self, parent: int, child: int, event: int) -> None:
        from ptrace.binding import func as pt

        pending = self.entered.get(parent)
        flags = pending[1][0] if pending and pending[0] in ("clone", "clone3") else 0
        # the child inherits its parent's descriptors before its own first call is read
        self.calls.append(Syscall(parent, "clone" if event == 3 else "fork", (flags,), child))
        self.live.add(child)
        if child in self.early:
            del self.early[child]
            with contextlib.suppress(ProcessLookupError, OSError):
                pt.ptrace_syscall(child, 0)

    def _stop(self, pid: int) -> None:
        from ptrace.binding import func as pt

        regs = pt.ptrace_getregs(pid)
        pending = self.entered.get(pid)
        if pending is None:  # entry
            name = self.names.get(regs.orig_rax, "")
            kinds = _ARGS.get(name)
            if kinds is None:
                self.entered[pid] = ("", [], ())
                return
            raw = tuple(getattr(regs, r) for r in _REGS)
            self.entered[pid] = (name, self._enter_args(pid, kinds, raw), raw)
            return
        self.entered[pid] = None
        name, args, raw = pending
        if not name:
            return
        ret = _signed(regs.rax, 64)
        if ret >= 0:
            for i, kind in enumerate(_ARGS[name]):
                if kind == "b":
                    args[i] = self._read(pid, raw[i], ret) if ret else b""
                elif kind == "v":
                    args[i] = self._iovec(pid, raw[i], _signed(raw[i + 1], 32), ret)
        self.calls.append(Syscall(pid, name, tuple(args), ret))

    def _fd(self, pid: int) -> int:
        fd = self._mem.get(pid)
        if fd is None:
            fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
            self._mem[pid] = fd
        return fd

    def _read(self, pid: int, address: int, size: int) -> bytes:
        return os.pread(self._fd(pid), size, address)

    def _cstring(self, pid: int, address: int) -> bytes:
        out = b""
        while len(out) < _PATH_MAX:
            chunk = _PAGE - (address + len(out)) % _PAGE  # never read across a page
            try:
                data = self._read(pid, address + len(out), chunk)
            except OSError:  # unmapped (a NULL path): the call fails; nothing to record
                return out
            if not data:
                return out
            end = data.find(b"\0")
            if end >= 0:
                return out + data[:end]
            out += data
        return out

    def _enter_args(self, pid: int, kinds: str, raw: tuple[int, ...]) -> list[Any]:
        args: list[Any] = []
        for kind, value in zip(kinds, raw, strict=False):
            if kind == "i":
                args.append(_signed(value, 32))
            elif kind == "l":
                args.append(_signed(value, 64))
            elif kind == "p":
                args.append(self._cstring(pid, value))
            elif kind == "c":
                args.append(int.from_bytes(self._read(pid, value, 8), "little"))
            else:
                args.append(None)  # read at exit
        return args

    def _iovec(self, pid: int, address: int, count: int, total: int) -> list[bytes]:
        out: list[bytes] = []
        raw = self._read(pid, address, 16 * max(0, count))
        for i in range(max(0, count)):
            if total <= 0:
                break
            base = int.from_bytes(raw[16 * i : 16 * i + 8], "little")
            length = min(int.from_bytes(raw[16 * i + 8 : 16 * i + 16], "little"), total)
            out.append(self._read(pid, base, length) if length else b"")
            total -= length
        return out
