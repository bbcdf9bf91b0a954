"""The fork server: a small clean interpreter that forks harness children on request.

Started once (``ZygoteSpawner``), before the parent grows threads or servers;
each request carries a pickled ``Job`` and the child's end of a socket pair.
The job is unpickled here before the fork, so the modules it needs are imported
once, in the server, and every child starts with them warm. Children die with
the server (PR_SET_PDEATHSIG), and the server dies with the parent.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import signal
import socket
import sys
from typing import Any, NoReturn

from harness.crash import _child
from harness.crash._wire import Channel


def _spawn(control: Channel, fd: int, payload: bytes, context: dict[str, Any]) -> None:
    channel = Channel(socket.socket(fileno=fd))
    # The parent's sys.path, environment and cwd as they are now, not as they were
    # when this server started (a test may have changed them since).
    sys.path[:] = context["path"]
    try:
        job = pickle.loads(payload)
    except BaseException as exc:
        channel.send(("error", f"{type(exc).__name__}: {exc}"))
        channel.close()
        return
    pid = os.fork()
    if pid == 0:
        control.close()
        _child.prepare_after_fork()
        os.environ.clear()
        os.environ.update(context["env"])
        with contextlib.suppress(OSError):  # the parent's cwd is gone: stay here
            os.chdir(context["cwd"])
        _child.main(channel, job)
    channel.close()


def serve(control_fd: int) -> NoReturn:
    control = Channel(socket.socket(fileno=control_fd))
    _child.prepare_after_fork()  # the server too dies with its parent
    # The kernel reaps our children: nothing here waits for them.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        while True:
            message = control.recv(with_fds=True)
            if message[0] == "init":
                sys.path[:] = message[1]
                for module in message[2]:
                    importlib.import_module(module)
            elif message[0] == "spawn":
                _spawn(control, control.fds.pop(0), message[1], message[2])
            else:
                break
    except (EOFError, OSError):
        pass
    os._exit(0)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
