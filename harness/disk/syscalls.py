"""Interpret a process tree's system calls as file operations under one root.

Every syscall recorder (``strace``, ``ptrace``) hands over the same thing: a list of
``Syscall`` (pid, name, decoded arguments, return value) in the order the kernel ran
them. This module keeps what the kernel would: each process's descriptors (shared
offsets after ``dup``, inherited across ``fork``) and working directory, and turns
the calls that touch files under ``root`` into trace operations. Calls outside the
root, and calls that failed, change nothing.

Arguments may come as strace prints them (flag names, ``AT_FDCWD``) or as raw
integers (a ptrace recorder): both are accepted.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from harness.disk.builder import TraceBuilder

AT_FDCWD = -100
AT_REMOVEDIR = 0x200
F_DUPFD, F_DUPFD_CLOEXEC = 0, 1030
CLONE_FILES, CLONE_FS = 0x400, 0x200


@dataclass(frozen=True)
class Syscall:
    pid: int
    name: str
    args: tuple[Any, ...]
    ret: int


def flag_bits(value: Any) -> int:
    """``O_WRONLY|O_CREAT`` (strace) or 65 (ptrace) as an int."""
    if isinstance(value, int):
        return value
    bits = 0
    for part in str(value).split("|"):
        part = part.strip()
        if not part:
            continue
        try:
            bits |= int(part, 0)
        except ValueError:
            bits |= int(getattr(os, part, 0) or _EXTRA_FLAGS.get(part, 0))
    return bits


_EXTRA_FLAGS = {"O_LARGEFILE": 0o100000, "AT_REMOVEDIR": AT_REMOVEDIR, "CLONE_FILES": CLONE_FILES}


def as_int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if value == "AT_FDCWD":
        return AT_FDCWD
    return flag_bits(value)


@dataclass
class _Desc:
    """An open file description (shared by dup'd descriptors)."""

    kind: str  # "file", "dir", "ack"
    ino: int = -1
    name: str = ""
    offset: int = 0
    append: bool = False
    sync: bool = False  # O_SYNC / O_DSYNC: each write returns once its data is durable


@dataclass
class _Proc:
    fds: dict[int, _Desc] = field(default_factory=dict)
    cwd: str = "/"


class SyscallInterpreter:
    """Feed syscalls in order; the builder's trace grows with the file operations."""

    def __init__(
        self, builder: TraceBuilder, root: str, *, cwd: str, ack_fd: int | None = None
    ) -> None:
        self.builder = builder
        self.root = os.path.realpath(root)
        self._first_cwd = cwd
        self._ack_fd = ack_fd
        self._procs: dict[int, _Proc] = {}
        self._ack_buffer = b""

    # ---- processes ------------------------------------------------------------

    def _proc(self, pid: int) -> _Proc:
        proc = self._procs.get(pid)
        if proc is None:  # the first process seen: the traced command itself
            proc = _Proc(cwd=self._first_cwd)
            if self._ack_fd is not None:
                proc.fds[self._ack_fd] = _Desc("ack")
            self._procs[pid] = proc
        return proc

    def _child(self, parent: _Proc, pid: int, flags: int) -> None:
        if pid in self._procs:
            return
        fds = parent.fds if flags & CLONE_FILES else dict(parent.fds)
        self._procs[pid] = _Proc(fds=fds, cwd=parent.cwd)

    # ---- paths ----------------------------------------------------------------

    def _abs(self, proc: _Proc, dirfd: Any, path: Any) -> str:
        text = path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else str(path)
        if text.startswith("/"):
            return posixpath.normpath(text)
        fd = as_int(dirfd)
        if fd == AT_FDCWD:
            base = proc.cwd
        else:
            desc = proc.fds.get(fd)
            base = posixpath.join(self.root, desc.name) if desc and desc.kind == "dir" else "/?"
        return posixpath.normpath(posixpath.join(base, text))

    def _rel(self, absolute: str) -> str | None:
        """The name under the root, "" for the root itself, None outside it."""
        if absolute == self.root:
            return ""
        if absolute.startswith(self.root + "/"):
            return absolute[len(self.root) + 1 :]
        return None

    def _name(self, proc: _Proc, dirfd: Any, path: Any) -> str | None:
        return self._rel(self._abs(proc, dirfd, path))

    # ---- the calls ------------------------------------------------------------

    def feed(self, call: Syscall) -> None:
        if call.ret < 0:
            return
        handler = getattr(self, "_sys_" + call.name, None)
        if handler is not None:
            handler(self._proc(call.pid), call.args, call.ret, call.pid)

    def _open(self, proc: _Proc, name: str | None, flags: int, fd: int) -> None:
        proc.fds.pop(fd, None)
        if name is None:
            return
        b = self.builder
        if flags & os.O_DIRECTORY or name in b.dirs:
            proc.fds[fd] = _Desc("dir", name=name)
            return
        writable = flags & (os.O_WRONLY | os.O_RDWR)
        ino = b.open(
            name, create=bool(flags & os.O_CREAT), truncate=bool(writable and flags & os.O_TRUNC)
        )
        if ino is not None:
            sync = bool(flags & (os.O_SYNC | os.O_DSYNC))
            proc.fds[fd] = _Desc(
                "file", ino=ino, name=name, append=bool(flags & os.O_APPEND), sync=sync
            )

    def _sys_open(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        self._open(proc, self._name(proc, AT_FDCWD, args[0]), flag_bits(args[1]), ret)

    def _sys_openat(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        self._open(proc, self._name(proc, args[0], args[1]), flag_bits(args[2]), ret)

    def _sys_creat(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        flags = os.O_CREAT | os.O_WRONLY | os.O_TRUNC
        self._open(proc, self._name(proc, AT_FDCWD, args[0]), flags, ret)

    def _sys_close(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        proc.fds.pop(as_int(args[0]), None)

    def _dup(self, proc: _Proc, old: int, new: int) -> None:
        desc = proc.fds.get(old)
        if desc is None:
            proc.fds.pop(new, None)
        else:
            proc.fds[new] = desc

    def _sys_dup(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        self._dup(proc, as_int(args[0]), ret)

    def _sys_dup2(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        self._dup(proc, as_int(args[0]), ret)

    _sys_dup3 = _sys_dup2

    def _sys_fcntl(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        if flag_bits(args[1]) in (F_DUPFD, F_DUPFD_CLOEXEC) or str(args[1]).startswith("F_DUPFD"):
            self._dup(proc, as_int(args[0]), ret)

    def _write(self, proc: _Proc, fd: int, data: bytes, offset: int | None) -> None:
        desc = proc.fds.get(fd)
        if desc is None:
            return
        if desc.kind == "ack":
            self._acks(data)
            return
        if desc.kind != "file":
            return
        if offset is None:
            if desc.append:
                desc.offset = self.builder.size(desc.ino)
            self.builder.write(desc.ino, desc.offset, data)
            desc.offset += len(data)
        else:
            self.builder.write(desc.ino, offset, data)
        if desc.sync:
            self.builder.fsync(desc.ino)

    def _acks(self, data: bytes) -> None:
        self._ack_buffer += data
        *lines, self._ack_buffer = self._ack_buffer.split(b"\n")
        for line in lines:
            kind, _, label = line.decode("utf-8", "replace").partition(" ")
            self.builder.mark(kind, label)

    def _sys_write(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        self._write(proc, as_int(args[0]), bytes(args[1])[:ret], None)

    def _sys_pwrite64(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        self._write(proc, as_int(args[0]), bytes(args[1])[:ret], as_int(args[3]))

    def _sys_writev(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        self._write(proc, as_int(args[0]), b"".join(args[1])[:ret], None)

    def _sys_pwritev(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        self._write(proc, as_int(args[0]), b"".join(args[1])[:ret], as_int(args[3]))

    _sys_pwritev2 = _sys_pwritev

    def _sys_lseek(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        desc = proc.fds.get(as_int(args[0]))
        if desc is not None:
            desc.offset = ret

    def _sys_ftruncate(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        desc = proc.fds.get(as_int(args[0]))
        if desc is not None and desc.kind == "file":
            self.builder.truncate(desc.ino, as_int(args[1]))

    def _sys_truncate(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        name = self._name(proc, AT_FDCWD, args[0])
        ino = self.builder.names.get(name) if name is not None else None
        if ino is not None:
            self.builder.truncate(ino, as_int(args[1]))

    def _sys_fsync(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        desc = proc.fds.get(as_int(args[0]))
        if desc is None:
            return
        if desc.kind == "file":
            self.builder.fsync(desc.ino)
        elif desc.kind == "dir":
            self.builder.dirsync(desc.name)

    _sys_fdatasync = _sys_fsync

    def _sys_sync(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        """sync(2)/syncfs(2): every file and directory under the root is durable."""
        for ino in sorted(set(self.builder.names.values())):
            self.builder.fsync(ino)
        for name in sorted(self.builder.dirs, key=lambda d: (d.count("/"), d)):
            self.builder.dirsync(name)

    _sys_syncfs = _sys_sync

    def _rename(self, src: str | None, dst: str | None) -> None:
        if src is not None and dst is not None:
            self.builder.rename(src, dst)
        elif src is not None:  # moved out of the root: gone from it
            self.builder.unlink(src)

    def _sys_rename(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        self._rename(self._name(proc, AT_FDCWD, args[0]), self._name(proc, AT_FDCWD, args[1]))

    def _sys_renameat(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        self._rename(self._name(proc, args[0], args[1]), self._name(proc, args[2], args[3]))

    _sys_renameat2 = _sys_renameat

    def _unlink(self, name: str | None, is_dir: bool) -> None:
        if name is None:
            return
        if is_dir:
            self.builder.rmdir(name)
        else:
            self.builder.unlink(name)

    def _sys_unlink(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        self._unlink(self._name(proc, AT_FDCWD, args[0]), False)

    def _sys_unlinkat(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        is_dir = bool(flag_bits(args[2]) & AT_REMOVEDIR) if len(args) > 2 else False
        self._unlink(self._name(proc, args[0], args[1]), is_dir)

    def _sys_rmdir(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        self._unlink(self._name(proc, AT_FDCWD, args[0]), True)

    def _sys_mkdir(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        name = self._name(proc, AT_FDCWD, args[0])
        if name:
            self.builder.mkdir(name)

    def _sys_mkdirat(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        name = self._name(proc, args[0], args[1])
        if name:
            self.builder.mkdir(name)

    def _sys_chdir(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        proc.cwd = self._abs(proc, AT_FDCWD, args[0])

    def _sys_fchdir(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        desc = proc.fds.get(as_int(args[0]))
        if desc is not None and desc.kind == "dir":
            proc.cwd = posixpath.join(self.root, desc.name) if desc.name else self.root

    def _sys_clone(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        if ret > 0:
            flags = 0
            for arg in args:
                if isinstance(arg, str) and "flags=" in arg:
                    text = arg.split("flags=", 1)[1]
                    flags = flag_bits(re.split(r"[,}\s]", text, maxsplit=1)[0])
                elif isinstance(arg, int) and not flags:
                    flags = arg
            self._child(proc, ret, flags)

    def _sys_fork(self, proc: _Proc, args: tuple[Any, ...], ret: int, pid: int) -> None:
        if ret > 0:
            self._child(proc, ret, 0)

    _sys_vfork = _sys_fork
    _sys_clone3 = _sys_clone


TRACED_CALLS = (
    "open,openat,creat,close,dup,dup2,dup3,fcntl,write,pwrite64,writev,pwritev,pwritev2,"
    "lseek,ftruncate,truncate,fsync,fdatasync,sync,syncfs,rename,renameat,renameat2,unlink,unlinkat,"
    "rmdir,mkdir,mkdirat,chdir,fchdir,clone,clone3,fork,vfork"
)
