"""Parse ``strace -f -xx`` output into ``Syscall`` records.

Lines look like ``1234 write(3, "\\x68\\x69", 2) = 2``; with several processes a call
may be split into ``<unfinished ...>`` and ``<... write resumed>`` halves, which are
joined. Strings are all-hex (``-xx``) so bytes come back exactly. A child's first
call can be printed before its parent's ``clone`` returns: the parser then emits the
clone (with the child's pid) first, so the child inherits its parent's descriptors.
"""

from __future__ import annotations

import re
from typing import Any

from harness.disk.syscalls import Syscall
from harness.errors import HarnessError

_LINE = re.compile(r"^(\d+)\s+(.*)$")
_CALL = re.compile(r"^([a-z0-9_]+)\((.*)$", re.S)
_RESUMED = re.compile(r"^<\.\.\. ([a-z0-9_]+) resumed>(.*)$", re.S)
_RET = re.compile(r"\)\s+=\s+(-?\d+|0x[0-9a-f]+|\?)")
_UNFINISHED = " <unfinished ...>"
_FORKS = frozenset({"clone", "clone3", "fork", "vfork"})


class StraceOutputError(HarnessError):
    """strace printed something the parser cannot read back exactly."""


def _split_args(text: str) -> list[str]:
    """Split at top-level commas (outside strings, brackets, braces)."""
    parts, depth, start, i, n = [], 0, 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


_ESCAPES = {"n": 10, "t": 9, "r": 13, "v": 11, "f": 12, '"': 34, "\\": 92}


def _string(token: str) -> bytes:
    if token.endswith("..."):
        raise StraceOutputError("strace truncated a string (raise its -s limit): " + token[:60])
    body = token[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            nxt = body[i + 1]
            if nxt == "x":
                out.append(int(body[i + 2 : i + 4], 16))
                i += 4
                continue
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            j = i + 1
            while j < len(body) and j < i + 4 and body[j] in "01234567":
                j += 1
            out.append(int(body[i + 1 : j], 8))
            i = j
            continue
        out += c.encode()
        i += 1
    return bytes(out)


def _value(token: str) -> Any:
    if token.startswith('"'):
        return _string(token)
    if token.startswith("["):
        inner = token[1:-1]
        return [_iov(p) for p in _split_args(inner)] if "iov_base" in inner else inner
    try:
        return int(token, 0)
    except ValueError:
        return token


def _iov(token: str) -> bytes:
    match = re.search(r'iov_base=("(?:[^"\\]|\\.)*"(?:\.\.\.)?)', token)
    return _string(match.group(1)) if match else b""


def parse(text: str) -> list[Syscall]:
    calls: list[Syscall] = []
    pending: dict[int, tuple[str, str]] = {}
    known: set[int] = set()
    for raw in text.splitlines():
        line = _LINE.match(raw)
        if line is None:
            continue
        pid, rest = int(line.group(1)), line.group(2)
        if pid not in known:
            known.add(pid)
            forker = next((p for p, (name, _) in pending.items() if name in _FORKS), None)
            if forker is not None and calls:
                calls.append(Syscall(forker, pending[forker][0], (pending[forker][1],), pid))
        resumed = _RESUMED.match(rest)
        if resumed is not None:
            name, head = pending.pop(pid, (resumed.group(1), ""))
            rest = f"{name}({head}{resumed.group(2)}"
        if rest.endswith(_UNFINISHED):
            call = _CALL.match(rest[: -len(_UNFINISHED)])
            if call is not None:
                pending[pid] = (call.group(1), call.group(2))
            continue
        call = _CALL.match(rest)
        if call is None:
            continue  # "+++ exited", "--- SIG", "<... resumed>" of an unknown call
        name, body = call.group(1), call.group(2)
        ret = list(_RET.finditer(body))
        if not ret or ret[-1].group(1) == "?":
            continue
        args_text = body[: ret[-1].start()]
        try:
            args = tuple(_value(a) for a in _split_args(args_text))
        except (ValueError, IndexError) as exc:
            raise StraceOutputError(f"cannot read strace line {raw[:120]!r}: {exc}") from None
        calls.append(Syscall(pid, name, args, int(ret[-1].group(1), 0)))
    return calls
