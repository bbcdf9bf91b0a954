"""A small HTTP/1.1 server for the JSON API: bounded, strict, keep-alive.

Malformed requests get a 400 and the connection is closed; nothing a client
sends can raise out of here or stall other clients.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus

log = logging.getLogger(__name__)

MAX_LINE = 8192
MAX_HEADERS = 100
MAX_BODY = 1024 * 1024
IDLE_TIMEOUT_S = 60.0
READ_TIMEOUT_S = 15.0  # as Toxiproxy's read timeout


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Response:
    status: int
    payload: object = None  # JSON-encoded unless ``raw`` is set
    raw: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        if self.status == 204:
            return b""
        if self.raw is not None:
            return self.raw
        return json.dumps(self.payload).encode() + b"\n"


Handler = Callable[[Request], Awaitable[Response]]


class BadHttp(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error_response(status: int, message: str) -> Response:
    return Response(status, {"error": message, "status": status})


class HttpServer:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self.server = await asyncio.start_server(self._client, host, port, limit=MAX_LINE * 2)
        sockname = self.server.sockets[0].getsockname()
        return str(sockname[0]), int(sockname[1])

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self._clients):
            task.cancel()
        if self._clients:
            await asyncio.wait(list(self._clients))

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("HTTP client handler failed")
        finally:
            writer.transport.abort()
            self._clients.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                async with asyncio.timeout(IDLE_TIMEOUT_S):
                    first = await reader.readline()
                if not first:
                    return
                async with asyncio.timeout(READ_TIMEOUT_S):
                    request = await _read_request(first, reader)
            except BadHttp as exc:
                await _send(writer, error_response(exc.status, str(exc)), keep_alive=False)
                return
            except ValueError:  # a line over the stream limit
                await _send(writer, error_response(431, "request line or header too long"), False)
                return
            keep_alive = request.headers.get("connection", "").lower() != "close"
            try:
                response = await self.handler(request)
            except Exception as exc:
                log.exception("API handler failed on %s %s", request.method, request.target)
                response = error_response(500, f"internal error: {type(exc).__name__}: {exc}")
            await _send(writer, response, keep_alive)
            if not keep_alive:
                return


async def _read_request(first: bytes, reader: asyncio.StreamReader) -> Request:
    try:
        line = first.decode("ascii").rstrip("\r\n")
    except UnicodeDecodeError:
        raise BadHttp(400, "malformed HTTP request line") from None
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[0].isalpha():
        raise BadHttp(400, f"malformed HTTP request line {line[:80]!r}")
    method, target, _ = parts
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS + 1):
        raw = await reader.readline()
        if not raw:
            raise asyncio.IncompleteReadError(b"", None)
        if raw in (b"\r\n", b"\n"):
            break
        try:
            text = raw.decode("latin-1").rstrip("\r\n")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes anything
            raise BadHttp(400, "malformed header") from None
        name, sep, value = text.partition(":")
        if not sep or not name or name != name.strip():
            raise BadHttp(400, f"malformed header line {text[:80]!r}")
        headers[name.lower()] = value.strip()
    else:
        raise BadHttp(431, "too many headers")
    if "transfer-encoding" in headers:
        raise BadHttp(400, "chunked request bodies are not supported; send Content-Length")
    length_text = headers.get("content-length", "0")
    if not length_text.isdigit():
        raise BadHttp(400, f"bad Content-Length {length_text[:40]!r}")
    length = int(length_text)
    if length > MAX_BODY:
        raise BadHttp(413, f"request body over {MAX_BODY} bytes")
    body = await reader.readexactly(length) if length else b""
    return Request(method.upper(), target, headers, body)


async def _send(writer: asyncio.StreamWriter, response: Response, keep_alive: bool) -> None:
    body = response.body()
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP/1.1 {response.status} {reason}"]
    if response.status != 204:
        lines.append(f"Content-Type: {response.content_type}")
        lines.append(f"Content-Length: {len(body)}")
    for name, value in response.headers.items():
        lines.append(f"{name}: {value}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()
