"""The agent command server over HTTP/JSON (stdlib only): the operations, behind auth
and the rate limit. One PostgreSQL connection per request keeps a cut link's
damage to that request.

Run a process: ``python -m reference_impl.agt.server --dsn ... [--redis-url ...]``;
it prints ``listening <port>`` once it accepts connections.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg

from reference_impl.agt import tokens
from reference_impl.agt.clock import SystemClock
from reference_impl.agt.config import Deployment
from reference_impl.agt.errors import (
    AgtError,
    InvalidArgument,
    InvalidToken,
    RateLimited,
    UnknownAgent,
    UnknownCommand,
)
from reference_impl.agt.ops.ack import acknowledge
from reference_impl.agt.ops.poll import poll
from reference_impl.agt.ops.register import register
from reference_impl.agt.ops.renew import renew
from reference_impl.agt.ratelimit import Limiter, LocalLimiter, NoLimiter, RedisLimiter
from reference_impl.agt.variants import Variants

_COMMANDS = re.compile(r"^/agents/([0-9a-f-]{36})/commands$")
_ACK = re.compile(r"^/agents/([0-9a-f-]{36})/commands/(\d{1,18})/ack$")
_RENEW = re.compile(r"^/agents/([0-9a-f-]{36})/renew$")

_STATUS = {
    InvalidArgument: HTTPStatus.BAD_REQUEST,
    InvalidToken: HTTPStatus.UNAUTHORIZED,
    UnknownAgent: HTTPStatus.NOT_FOUND,
    UnknownCommand: HTTPStatus.NOT_FOUND,
    RateLimited: HTTPStatus.TOO_MANY_REQUESTS,
}


class App:
    """What a request handler needs: where the database is, the deployment, the limiter."""

    def __init__(self, dsn: str, dep: Deployment, limiter: Limiter) -> None:
        self.dsn, self.dep, self.limiter = dsn, dep, limiter

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=2)

    def handle(self, method: str, path: str, headers: Any, body: dict[str, Any]) -> Any:
        if method == "POST" and path == "/agents/register":
            with self.connect() as conn:
                reg = register(
                    conn,
                    self.dep,
                    body.get("registration_token"),  # type: ignore[arg-type]
                    body.get("hostname"),  # type: ignore[arg-type]
                    body.get("agent_secret"),  # type: ignore[arg-type]
                )
            return {
                "agent_id": reg.agent_id,
                "refresh_token": reg.refresh_token,
                "access_token": reg.access_token,
                "recovered": reg.recovered,
            }
        if method == "POST" and (m := _RENEW.match(path)):
            with self.connect() as conn:
                out = renew(conn, self.dep, m.group(1), body.get("refresh_token"))  # type: ignore[arg-type]
            return {"access_token": out.access_token}
        if method == "GET" and (m := _COMMANDS.match(path)):
            agent = self._authorize(headers, m.group(1))
            decision = self.limiter.check(agent)
            if not decision.allowed:
                raise RateLimited(agent, decision.retry_after_s)
            with self.connect() as conn:
                commands = poll(conn, self.dep, agent)
            return {"commands": [c.to_json() for c in commands], "limiter": decision.source}
        if method == "POST" and (m := _ACK.match(path)):
            agent = self._authorize(headers, m.group(1))
            with self.connect() as conn:
                acknowledge(conn, self.dep, agent, int(m.group(2)), body.get("result"))
            return {"ok": True}
        raise UnknownCommand(f"no route {method} {path}")

    def _authorize(self, headers: Any, agent: str) -> str:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise InvalidToken("missing bearer access token")
        claims = tokens.verify_access_token(self.dep.signing_key, auth[7:], self.dep.clock.now())
        if claims.agent_id != agent:
            raise InvalidToken("access token belongs to another agent")
        return agent


def make_handler(app: App) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: scenarios read histories
            pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                body = json.loads(raw or b"{}")
                if not isinstance(body, dict):
                    raise InvalidArgument("request body must be a JSON object")
                status, reply = HTTPStatus.OK, app.handle(method, self.path, self.headers, body)
            except json.JSONDecodeError:
                status, reply = HTTPStatus.BAD_REQUEST, {"error": "request body is not JSON"}
            except AgtError as exc:
                status = next(
                    (s for t, s in _STATUS.items() if isinstance(exc, t)), HTTPStatus.BAD_REQUEST
                )
                reply = {"error": str(exc), "kind": type(exc).__name__}
                if isinstance(exc, RateLimited):
                    reply["retry_after_s"] = exc.retry_after_s
            except psycopg.Error as exc:
                status, reply = (
                    HTTPStatus.SERVICE_UNAVAILABLE,
                    {"error": f"database: {type(exc).__name__}"},
                )
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


class Server:
    """An HTTP server on a loopback port, served from a daemon thread until ``close``."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0) -> None:
        self.httpd = ThreadingHTTPServer((host, port), make_handler(app))
        self.httpd.daemon_threads = True
        self.host, self.port = host, int(self.httpd.server_address[1])
        # serve_forever checks for shutdown once per poll_interval (0.5 s by default):
        # every close() waited that long for nothing.
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> Server:
        self._thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None, on_listening: Callable[[int], None] | None = None) -> int:
    """The server process. ``on_listening(port)``: told the port once connections are
    accepted, beside the ``listening <port>`` line (a harness child's stdout is /dev/null)."""
    parser = argparse.ArgumentParser(description="agent command server")
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--signing-key-hex", required=True)
    parser.add_argument("--redis-url", help="rate limiter store; absent: a per-process limit")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--window-s", type=float, default=60.0)
    parser.add_argument("--variants", default="", help="e.g. AGT-5=prefix")
    args = parser.parse_args(argv)
    try:
        variants = Variants.parse(args.variants)
        clock = SystemClock()
        dep = Deployment(bytes.fromhex(args.signing_key_hex), clock=clock, variants=variants)
        limiter: Limiter
        if variants.prefix("AGT-5"):
            limiter = NoLimiter()
        elif args.redis_url:
            limiter = RedisLimiter.from_url(args.redis_url, args.limit, args.window_s, clock)
        else:
            limiter = LocalLimiter(args.limit, args.window_s, clock)
    except (AgtError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = Server(App(args.dsn, dep, limiter))
    print(f"listening {server.port}", flush=True)
    if on_listening is not None:
        on_listening(server.port)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
