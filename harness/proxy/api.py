"""The Toxiproxy 2.12 HTTP API: routes, JSON in and out, status codes. HTTP only.

Same paths, shapes and codes as Toxiproxy's api.go: 201 on proxy create and
populate, 200 on toxic create, 204 on deletes and reset, 404 unknown, 409
duplicate, 400 bad body or toxic, 405 wrong method. One addition: a POST
/proxies body may carry a ``toxics`` array, created with the proxy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from harness.proxy.chain import parse_toxic
from harness.proxy.collection import ProxyCollection
from harness.proxy.errors import ApiError, bad_request
from harness.proxy.http import Request, Response, error_response

VERSION = "2.12.0"

Route = Callable[[Request, list[str]], Awaitable[Response]]
_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value: Any) -> Any:
    """Lone surrogates (``"\\ud800"``) become U+FFFD, as Go's JSON decoder makes them,
    so a name can be sent back in a URL (percent-encoded UTF-8) and found."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    return value


def _json(body: bytes) -> Any:
    if not body.strip():
        raise bad_request("bad request body: empty; send a JSON document")

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        text = body.decode("utf-8")
        value = json.loads(text, parse_constant=no_constants)
        # Only a \u escape can carry a surrogate: valid UTF-8 has none.
        return _without_lone_surrogates(value) if "\\u" in text.lower() else value
    except UnicodeDecodeError:
        raise bad_request("bad request body: not UTF-8") from None
    except RecursionError:
        raise bad_request("bad request body: nested too deeply") from None
    except ValueError as exc:
        raise bad_request(f"bad request body: {exc}") from None


class Api:
    def __init__(self, collection: ProxyCollection) -> None:
        self.proxies = collection
        # (path pattern, method) -> handler; "*" stands for one path segment.
        self.routes: dict[tuple[str, ...], dict[str, Route]] = {
            ("reset",): {"POST": self.reset},
            ("version",): {"GET": self.version},
            ("populate",): {"POST": self.populate},
            ("proxies",): {"GET": self.proxy_index, "POST": self.proxy_create},
            ("proxies", "*"): {
                "GET": self.proxy_show,
                "POST": self.proxy_update,
                "PATCH": self.proxy_update,
                "DELETE": self.proxy_delete,
            },
            ("proxies", "*", "toxics"): {"GET": self.toxic_index, "POST": self.toxic_create},
            ("proxies", "*", "toxics", "*"): {
                "GET": self.toxic_show,
                "POST": self.toxic_update,
                "PATCH": self.toxic_update,
                "DELETE": self.toxic_delete,
            },
        }

    async def __call__(self, request: Request) -> Response:
        if request.headers.get("user-agent", "").startswith("Mozilla/"):
            # As Toxiproxy: a browser must not drive the API (cross-site requests).
            return Response(403, raw=b"User agent not allowed\n", content_type="text/plain")
        path = urlsplit(request.target).path
        segments = [unquote(s) for s in path.strip("/").split("/")] if path.strip("/") else []
        for pattern, methods in self.routes.items():
            if len(pattern) == len(segments) and all(
                p == "*" or p == s for p, s in zip(pattern, segments, strict=True)
            ):
                route = methods.get(request.method)
                if route is None:
                    return error_response(405, f"method {request.method} not allowed here")
                args = [s for p, s in zip(pattern, segments, strict=True) if p == "*"]
                try:
                    return await route(request, args)
                except ApiError as exc:
                    return Response(exc.status, exc.to_json())
        return error_response(404, f"no such endpoint: {path[:100]}")

    # -- server -----------------------------------------------------------
    async def version(self, request: Request, args: list[str]) -> Response:
        return Response(
            200,
            raw=f'{{"version": "{VERSION}"}}\n'.encode(),
            content_type="application/json;charset=utf-8",
        )

    async def reset(self, request: Request, args: list[str]) -> Response:
        await self.proxies.reset()
        return Response(204)

    # -- proxies ----------------------------------------------------------
    async def proxy_index(self, request: Request, args: list[str]) -> Response:
        return Response(200, {n: p.to_json() for n, p in self.proxies.proxies.items()})

    async def proxy_create(self, request: Request, args: list[str]) -> Response:
        proxy = await self.proxies.create(_json(request.body))
        return Response(201, proxy.to_json())

    async def populate(self, request: Request, args: list[str]) -> Response:
        done, error = await self.proxies.populate(_json(request.body))
        payload: dict[str, Any] = {"proxies": [p.to_json() for p in done]}
        if error is not None:
            payload = {**error.to_json(), **payload}
            return Response(error.status, payload)
        return Response(201, payload)

    async def proxy_show(self, request: Request, args: list[str]) -> Response:
        return Response(200, self.proxies.get(args[0]).to_json())

    async def proxy_update(self, request: Request, args: list[str]) -> Response:
        self.proxies.get(args[0])  # 404 before 400, as Toxiproxy
        proxy = await self.proxies.update(args[0], _json(request.body))
        return Response(200, proxy.to_json())

    async def proxy_delete(self, request: Request, args: list[str]) -> Response:
        await self.proxies.remove(args[0])
        return Response(204)

    # -- toxics -----------------------------------------------------------
    async def toxic_index(self, request: Request, args: list[str]) -> Response:
        return Response(200, self.proxies.get(args[0]).chain.to_json())

    async def toxic_create(self, request: Request, args: list[str]) -> Response:
        chain = self.proxies.get(args[0]).chain
        spec = parse_toxic(_json(request.body), serial=chain.serial + 1)
        if spec.name in chain.specs:
            raise ApiError(409, "toxic already exists")
        chain.next_serial()
        await chain.add(spec)
        return Response(200, spec.to_json())

    async def toxic_show(self, request: Request, args: list[str]) -> Response:
        return Response(200, self.proxies.get(args[0]).chain.get(args[1]).to_json())

    async def toxic_update(self, request: Request, args: list[str]) -> Response:
        chain = self.proxies.get(args[0]).chain
        chain.get(args[1])
        spec = await chain.update(args[1], _json(request.body))
        return Response(200, spec.to_json())

    async def toxic_delete(self, request: Request, args: list[str]) -> Response:
        await self.proxies.get(args[0]).chain.remove(args[1])
        return Response(204)
