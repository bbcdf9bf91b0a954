"""Recording details: strace's output read back exactly, both recorders agreeing, the
syscall interpreter's descriptor bookkeeping, and traces stored as JSON."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from harness.disk import Trace, record_command
from harness.disk.builder import TraceBuilder, snapshot
from harness.disk.recorders.strace_output import StraceOutputError, parse
from harness.disk.syscalls import Syscall, SyscallInterpreter

WRITER = """
import os, sys
os.mkdir("d")
fd = os.open("d/f", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
os.write(fd, b"one\\n")
fd2 = os.dup(fd)
os.close(fd)
os.writev(fd2, [b"tw", b"o\\n"])
os.fsync(fd2)
os.close(fd2)
with open("d/g.tmp", "wb") as f:
    f.write(b"\\x00\\xff\\"quoted\\"\\n")
os.rename("d/g.tmp", "d/g")
os.truncate("d/f", 2)
fd = os.open("d/s", os.O_WRONLY | os.O_CREAT | os.O_DSYNC)
os.write(fd, b"s")
os.close(fd)
import threading
opened = []
t = threading.Thread(target=lambda: opened.append(os.open("d/t", os.O_WRONLY | os.O_CREAT)))
t.start()
t.join()
os.write(opened[0], b"t")  # a descriptor a thread opened: the table is shared
os.fsync(opened[0])
if os.fork() == 0:
    os.unlink("d/g")
    os.write(int(os.environ["HARNESS_DISK_ACK_FD"]), b"ack child\\n")
    os._exit(0)
os.wait()
dfd = os.open("d", os.O_RDONLY | os.O_DIRECTORY)
os.fsync(dfd)
with open("/dev/null", "w") as f:  # outside the root: not recorded
    f.write("x")
"""

EXPECTED = [
    "mkdir d",
    "create d/f (ino0)",
    "write ino0 @0 4B b'one\\n'",
    "write ino0 @4 4B b'two\\n'",
    "fsync ino0",
    "create d/g.tmp (ino1)",
    "write ino1 @0 11B b'\\x00\\xff\"quoted\"\\n'",
    "rename d/g.tmp -> d/g",
    "truncate ino0 to 2",
    "create d/s (ino2)",
    "write ino2 @0 1B b's'",
    "fsync ino2",  # O_DSYNC: the write returned once durable
    "create d/t (ino3)",
    "write ino3 @0 1B b't'",
    "fsync ino3",
    "unlink d/g (ino1)",
    "ack child",
    "dirsync d",
]


@pytest.mark.parametrize("recorder", ["strace", "ptrace"])
def test_each_recorder_records_the_same_operations(tmp_path: Path, recorder: str) -> None:
    if recorder == "strace" and shutil.which("strace") is None:
        pytest.skip("no strace on this machine (the ptrace case covers it)")
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    root = tmp_path / "root"
    root.mkdir()
    rec = record_command([sys.executable, str(script)], root, recorder=recorder)
    assert [op.describe() for op in rec.trace.ops] == EXPECTED
    assert rec.recorder == recorder


def test_a_trace_round_trips_through_json(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a").write_bytes(b"\x00old")
    trace = snapshot(tmp_path)
    b = TraceBuilder(trace)
    ino = b.open("sub/a", create=False, truncate=True)
    assert ino == 0
    b.write(ino, 0, b"\xffnew")
    b.mark("ack", "1")
    again = Trace.from_json(trace.to_json())
    assert again == trace and again.digest() == trace.digest()


def test_strace_lines_split_across_processes_are_joined() -> None:
    text = "\n".join(
        [
            '10 openat(AT_FDCWD, "\\x66", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 3',
            "10 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD <unfinished ...>",
            '11 write(3, "\\x61\\x62", 2 <unfinished ...>',
            "10 <... clone resumed>, child_tidptr=0x7f) = 11",
            "11 <... write resumed>) = 2",
            "11 +++ exited with 0 +++",
            '10 write(3, "\\x63", 1) = -1 EBADF (Bad file descriptor)',
        ]
    )
    calls = parse(text)
    # the child's write is read after a clone the parser emits for it (it inherits fd 3)
    assert [(c.pid, c.name, c.ret) for c in calls] == [
        (10, "openat", 3),
        (10, "clone", 11),  # emitted when pid 11 first shows, before its calls end
        (10, "clone", 11),
        (11, "write", 2),
        (10, "write", -1),
    ]
    assert calls[3].args == (3, b"ab", 2)


def test_a_string_strace_truncated_is_refused() -> None:
    with pytest.raises(StraceOutputError, match="raise its -s limit"):
        parse('5 write(3, "\\x61\\x62"..., 4096) = 4096')


def test_writes_through_a_dirfd_and_after_a_rename_follow_the_inode(tmp_path: Path) -> None:
    builder = TraceBuilder(snapshot(tmp_path))
    it = SyscallInterpreter(builder, str(tmp_path), cwd=str(tmp_path))
    root = str(tmp_path)
    for call in [
        Syscall(1, "openat", (-100, root.encode(), os.O_RDONLY | os.O_DIRECTORY), 3),
        Syscall(1, "openat", (3, b"x", os.O_WRONLY | os.O_CREAT), 4),
        Syscall(1, "renameat", (3, b"x", 3, b"y"), 0),
        Syscall(1, "pwrite64", (4, b"abc", 3, 10), 3),
        Syscall(1, "lseek", (4, 0, "SEEK_END"), 13),
        Syscall(1, "write", (4, b"d", 1), 1),
        Syscall(1, "fsync", (3,), 0),
        Syscall(1, "mkdir", (b"sub", 0o755), 0),
        Syscall(1, "sync", (), 0),
    ]:
        it.feed(call)
    assert [op.describe() for op in builder.trace.ops] == [
        "create x (ino0)",
        "rename x -> y",
        "write ino0 @10 3B b'abc'",
        "write ino0 @13 1B b'd'",
        "dirsync .",
        "mkdir sub",
        "fsync ino0",  # sync(2): every file and directory under the root
        "dirsync .",
        "dirsync sub",
    ]
