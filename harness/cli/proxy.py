"""``harness proxy serve``: the Toxiproxy-compatible proxy as a foreground server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import resource
import signal
import socket
import sys

from harness.cli import Command, register
from harness.errors import ConfigError, ServerError
from harness.proxy.addr import http_url
from harness.proxy.app import ProxyApp
from harness.proxy.collection import MAX_CONNECTIONS


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT such as 127.0.0.1:8474, got {text!r}")
    return host.strip("[]"), int(port)


def setup(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    serve = sub.add_parser("serve", help="serve the proxy API until interrupted")
    serve.add_argument(
        "--listen",
        type=_listen,
        default=("127.0.0.1", 8474),
        metavar="HOST:PORT",
        help="address of the HTTP API (default 127.0.0.1:8474, as Toxiproxy)",
    )
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow --listen beyond loopback: the API has no authentication, and "
        "anyone who reaches it can cut links or make this host dial anywhere",
    )
    serve.add_argument(
        "--loop",
        choices=("asyncio", "uvloop"),
        default="asyncio",
        help="event loop implementation (uvloop if installed)",
    )
    serve.add_argument(
        "--seed", type=int, default=0, help="seed of toxicity and jitter draws (default 0)"
    )


def _beyond_loopback(host: str, port: int) -> bool:
    """Whether binding ``host`` exposes the API beyond this machine (unresolvable: no;
    the bind itself then fails with its own message)."""
    if host == "":
        return True
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError:
        return False
    return any(not ipaddress.ip_address(str(i[4][0]).split("%")[0]).is_loopback for i in infos)


def _raise_descriptor_limit() -> None:
    """Raise the soft descriptor limit to the hard one, as Go programs (Toxiproxy) do at
    start: each proxied connection holds two descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard and hard != resource.RLIM_INFINITY:
        # If refused, the soft limit stays; the proxies refuse connections near it.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _serve(host: str, port: int, seed: int) -> None:
    app = ProxyApp(seed)
    try:
        await app.start(host, port)
    except OSError as exc:
        raise ServerError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; pick another --listen"
        ) from None
    print(
        f"harness proxy: API on {http_url(app.api_host, app.api_port)} (seed {seed}), "
        f"at most {MAX_CONNECTIONS} connections per proxy",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await app.stop()
    print("harness proxy: stopped", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    if args.action != "serve":
        raise ConfigError("say what to do: 'harness proxy serve --listen 127.0.0.1:8474'")
    host, port = args.listen
    if _beyond_loopback(host, port):
        if not args.allow_remote:
            raise ConfigError(
                f"--listen {host or '*'}:{port} is reachable beyond this machine and the API "
                "has no authentication; use a loopback address (127.0.0.1) or add --allow-remote"
            )
        print(
            f"harness proxy: warning: the API on {host or '*'}:{port} is reachable from other "
            "machines and has no authentication: anyone who reaches it can cut links and make "
            "this host connect anywhere",
            file=sys.stderr,
            flush=True,
        )
    _raise_descriptor_limit()
    if args.loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            raise ConfigError(
                "--loop uvloop: uvloop is not installed (pip install uvloop)"
            ) from None
        uvloop.run(_serve(host, port, args.seed))
    else:
        asyncio.run(_serve(host, port, args.seed))
    return 0


register(Command("proxy", "a Toxiproxy-compatible fault proxy", setup, run))
