"""A small HTTP/1.1 server for the JSON API: bounded, strict, keep-alive.

Malformed requests get a 400 and the connection is closed; nothing a client
sends can raise out of here or stall other clients.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus

log = logging.getLogger(__name__)

MAX_LINE = 8192
MAX_HEADERS = 100
MAX_BODY = 1024 * 1024
IDLE_TIMEOUT_S = 60.0
READ_TIMEOUT_S = 15.0  # as Toxiproxy's read timeout
# A body that stops arriving short of its Content-Length is a 400 after this
# long without a byte (at once if the client closes its side): clients send a
# body with its headers, so waiting out the whole read timeout helps no one.
BODY_STALL_S = 2.0

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 field names and methods
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # not allowed in a field value
_SINGLE = ("content-length", "transfer-encoding", "host")  # ambiguous when repeated


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
    if (
        len(parts) != 3
        or not parts[2].startswith("HTTP/1.")
        or not _TOKEN.fullmatch(parts[0])
        or not parts[1]
        or _CONTROL.search(parts[1])
    ):
        raise BadHttp(400, f"malformed HTTP request line {line[:80]!r}")
    method, target, _ = parts
    headers = await _read_headers(reader)
    if "transfer-encoding" in headers:
        raise BadHttp(400, "chunked request bodies are not supported; send Content-Length")
    length_text = headers.get("content-length", "0")
    if not length_text.isdigit() or not length_text.isascii():
        raise BadHttp(400, f"bad Content-Length {length_text[:40]!r}")
    length = int(length_text)
    if length > MAX_BODY:
        raise BadHttp(413, f"request body over {MAX_BODY} bytes")
    body = await _read_body(reader, length) if length else b""
    return Request(method.upper(), target, headers, body)


async def _read_headers(reader: asyncio.StreamReader) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS + 1):
        raw = await reader.readline()
        if not raw:
            raise asyncio.IncompleteReadError(b"", None)
        if raw in (b"\r\n", b"\n"):
            return headers
        text = raw.decode("latin-1").rstrip("\r\n")  # latin-1 decodes any byte
        name, sep, value = text.partition(":")
        if not sep or not _TOKEN.fullmatch(name) or _CONTROL.search(value):
            raise BadHttp(400, f"malformed header line {text[:80]!r}")
        key = name.lower()
        if key in headers and key in _SINGLE:
            # Two lengths (or hosts) disagree on where the request ends: smuggling's tool.
            raise BadHttp(400, f"header {name} given more than once")
        headers[key] = value.strip(" \t")
    raise BadHttp(431, "too many headers")


async def _read_body(reader: asyncio.StreamReader, length: int) -> bytes:
    body = bytearray()
    while len(body) < length:
        try:
            async with asyncio.timeout(BODY_STALL_S):
                data = await reader.read(length - len(body))
        except TimeoutError:
            raise BadHttp(
                400,
                f"request body stopped after {len(body)} of {length} bytes (Content-Length); "
                "send the whole body",
            ) from None
        if not data:
            raise BadHttp(
                400, f"request body ended after {len(body)} of {length} bytes (Content-Length)"
            )
        body += data
    return bytes(body)


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
