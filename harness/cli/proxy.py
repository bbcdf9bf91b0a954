"""``harness proxy serve``: the Toxiproxy-compatible proxy as a foreground server."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from harness.cli import Command, register
from harness.errors import ConfigError, ServerError
from harness.proxy.app import ProxyApp


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
        "--loop",
        choices=("asyncio", "uvloop"),
        default="asyncio",
        help="event loop implementation (uvloop if installed)",
    )
    serve.add_argument(
        "--seed", type=int, default=0, help="seed of toxicity and jitter draws (default 0)"
    )


async def _serve(host: str, port: int, seed: int) -> None:
    app = ProxyApp(seed)
    try:
        await app.start(host, port)
    except OSError as exc:
        raise ServerError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; pick another --listen"
        ) from None
    print(f"harness proxy: API on http://{app.api_host}:{app.api_port} (seed {seed})", flush=True)
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
