"""Length-prefixed pickled messages over a stream socket (parent <-> child <-> fork server).

Both ends are this harness, so pickle is fine; a value that does not pickle is
sent as its ``repr`` by the sender (see ``_child``), never dropped silently.
"""

from __future__ import annotations

import pickle
import select
import socket
import struct
import time
from typing import Any

_HEADER = struct.Struct("!I")
_MAX_MESSAGE = 256 * 1024 * 1024


class Channel:
    """One end of a socket carrying whole messages; ``recv`` can wait with a timeout."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buf = bytearray()
        self.fds: list[int] = []  # fds received with messages (fork server only)

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, message: Any) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.sock.sendall(_HEADER.pack(len(data)) + data)

    def send_with_fd(self, message: Any, fd: int) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        frame = _HEADER.pack(len(data)) + data
        # The fd rides on the first bytes; the rest follows as plain stream data.
        sent = socket.send_fds(self.sock, [frame], [fd])
        if sent < len(frame):
            self.sock.sendall(frame[sent:])

    def _take(self) -> Any | None:
        if len(self._buf) < _HEADER.size:
            return None
        (size,) = _HEADER.unpack_from(self._buf)
        if size > _MAX_MESSAGE:
            raise EOFError(f"message of {size} bytes: the peer is not speaking this protocol")
        end = _HEADER.size + size
        if len(self._buf) < end:
            return None
        message = pickle.loads(bytes(self._buf[_HEADER.size : end]))
        del self._buf[:end]
        return message

    def pending(self) -> bool:
        """A whole message is already buffered (``recv(0)`` returns it)."""
        if len(self._buf) < _HEADER.size:
            return False
        (size,) = _HEADER.unpack_from(self._buf)
        return len(self._buf) >= _HEADER.size + size

    def recv(self, timeout: float | None = None, *, with_fds: bool = False) -> Any:
        """The next message; ``None`` when ``timeout`` passes first; EOFError when closed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            message = self._take()
            if message is not None:
                return message
            if deadline is not None:
                remaining = max(0.0, deadline - time.monotonic())
                ready, _, _ = select.select([self.sock], [], [], remaining)
                if not ready:
                    return None
            if with_fds:
                chunk, fds, _flags, _addr = socket.recv_fds(self.sock, 1 << 16, 8)
                self.fds.extend(fds)
            else:
                chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError("peer closed the channel")
            self._buf += chunk

    def close(self) -> None:
        self.sock.close()
