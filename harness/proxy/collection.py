"""The set of proxies by name: create, replace (populate), remove, reset."""

from __future__ import annotations

import asyncio
import resource
from dataclasses import dataclass
from typing import Any

from harness.proxy.addr import split_hostport
from harness.proxy.chain import ToxicSpec, check_name, parse_toxic
from harness.proxy.errors import PROXY_EXISTS, PROXY_NOT_FOUND, ApiError, bad_request
from harness.proxy.listener import Proxy
from harness.proxy.resolve import Address, LocalAddresses, accepts, resolve

DEFAULT_LISTEN = "127.0.0.1:0"  # loopback, any port: safer than Go's all interfaces
# Connections one proxy may hold open (two descriptors each): a loop that no
# resolution can see (two servers dialling each other) stops here.
MAX_CONNECTIONS = 1000
# Descriptors kept free for everything else in the process (API clients,
# listeners, the servers a test talks to) when the descriptor limit is low.
RESERVED_FDS = 64
_PROXY_FIELDS = {"name", "listen", "upstream", "enabled", "toxics"}


@dataclass
class ProxyInput:
    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: list[ToxicSpec]


def _object(body: object, where: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request(f"bad request body: {where} must be a JSON object")
    return body


def parse_proxy(body: object, where: str = "a proxy", allow_toxics: bool = True) -> ProxyInput:
    data = _object(body, where)
    unknown = sorted(set(data) - _PROXY_FIELDS)
    if unknown:
        raise bad_request(f"unknown proxy field(s) {', '.join(map(repr, unknown))} in {where}")
    for field in ("name", "upstream"):
        if data.get(field) in (None, ""):
            raise bad_request(f"missing required field: {field}" + _at(where))
    name = check_name("proxy", data["name"])
    upstream = data["upstream"]
    split_hostport(upstream, "upstream", allow_port_zero=False)
    listen = data.get("listen")
    if listen in (None, ""):
        listen = DEFAULT_LISTEN
    split_hostport(listen, "listen", allow_port_zero=True)
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise bad_request(f"enabled must be true or false, got {enabled!r}" + _at(where))
    raw_toxics = data.get("toxics", [])
    if raw_toxics and not allow_toxics:
        raise bad_request("toxics cannot be given to /populate; add them per proxy")
    if not isinstance(raw_toxics, list):
        raise bad_request("toxics must be a JSON array of toxic objects")
    toxics = [parse_toxic(t, serial=i + 1) for i, t in enumerate(raw_toxics)]
    names = [t.name for t in toxics]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise ApiError(409, f"toxic already exists: {duplicate!r} is given twice")
    return ProxyInput(name, listen, upstream, enabled, toxics)


def _at(where: str) -> str:
    return "" if where == "a proxy" else f" at {where}"


def descriptor_limit() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


class ProxyCollection:
    """The proxies, and the ``Guard`` each consults before it dials (limits, loops)."""

    def __init__(self, seed: int, max_connections: int = MAX_CONNECTIONS) -> None:
        self.seed = seed
        self.max_connections = max_connections
        self.proxies: dict[str, Proxy] = {}
        self._lock: asyncio.Lock | None = None

    @property
    def lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    # -- Guard ------------------------------------------------------------
    def refusal(self, proxy: Proxy) -> str | None:
        if proxy.open_connections >= self.max_connections:
            return f"it holds its limit of {self.max_connections} connections"
        limit = descriptor_limit()
        if limit is not None:
            held = sum(p.open_connections for p in self.proxies.values())
            needed = 2 * (held + 1) + len(self.proxies) + RESERVED_FDS
            if needed > limit:
                return (
                    f"the proxies hold {held} connections, two descriptors each, "
                    f"near this process's limit of {limit} descriptors (ulimit -n)"
                )
        return None

    async def leads_back(self, start: Proxy, targets: list[Address]) -> bool:
        """Follow upstreams through this server's listeners; True if they reach ``start``."""
        local = LocalAddresses()
        seen: set[str] = set()
        while True:
            hop = next(
                (
                    p
                    for p in self.proxies.values()
                    if p.bound is not None and any(accepts(p.bound, t, local) for t in targets)
                ),
                None,
            )
            if hop is None:
                return False
            if hop is start:
                return True
            if hop.name in seen:  # a loop that avoids ``start``: its own proxies refuse it
                return False
            seen.add(hop.name)
            try:
                host, port = split_hostport(hop.upstream, "upstream", allow_port_zero=False)
                targets = [t.address for t in await resolve(host, port)]
            except (ApiError, OSError):
                return False

    def get(self, name: str) -> Proxy:
        try:
            return self.proxies[name]
        except KeyError:
            raise ApiError(404, PROXY_NOT_FOUND) from None

    def _new(self, spec: ProxyInput) -> Proxy:
        proxy = Proxy(spec.name, spec.listen, spec.upstream, self.seed, self)
        for toxic in spec.toxics:
            proxy.chain.specs[toxic.name] = toxic
        proxy.chain.serial = len(spec.toxics)
        return proxy

    async def create(self, body: object) -> Proxy:
        spec = parse_proxy(body)
        async with self.lock:
            if spec.name in self.proxies:
                raise ApiError(409, PROXY_EXISTS)
            proxy = self._new(spec)
            if spec.enabled:
                await proxy.start()
            self.proxies[spec.name] = proxy
            return proxy

    async def populate(self, body: object) -> tuple[list[Proxy], ApiError | None]:
        if not isinstance(body, list):
            raise bad_request("bad request body: /populate takes a JSON array of proxies")
        specs = [
            parse_proxy(item, f"proxy {i + 1}", allow_toxics=False) for i, item in enumerate(body)
        ]
        done: list[Proxy] = []
        async with self.lock:
            for spec in specs:
                existing = self.proxies.get(spec.name)
                if existing is not None and not existing.differs(spec.listen, spec.upstream):
                    done.append(existing)
                    continue
                if existing is not None:
                    await existing.stop()
                    del self.proxies[spec.name]
                proxy = self._new(spec)
                try:
                    if spec.enabled:
                        await proxy.start()
                except ApiError as exc:
                    return done, exc
                self.proxies[spec.name] = proxy
                done.append(proxy)
        return done, None

    async def update(self, name: str, body: object) -> Proxy:
        proxy = self.get(name)
        data = _object(body, "a proxy update")
        unknown = sorted(set(data) - (_PROXY_FIELDS - {"toxics"}))
        if unknown:
            raise bad_request(f"unknown proxy field(s) {', '.join(map(repr, unknown))}")
        if "name" in data and data["name"] != name:
            raise bad_request("a proxy cannot be renamed: delete it and create a new one")
        listen = data.get("listen", proxy.listen)
        upstream = data.get("upstream", proxy.upstream)
        enabled = data.get("enabled", proxy.enabled)
        split_hostport(listen, "listen", allow_port_zero=True)
        split_hostport(upstream, "upstream", allow_port_zero=False)
        if not isinstance(enabled, bool):
            raise bad_request(f"enabled must be true or false, got {enabled!r}")
        async with self.lock:
            await proxy.update(listen, upstream, enabled)
        return proxy

    async def remove(self, name: str) -> None:
        async with self.lock:
            proxy = self.get(name)
            del self.proxies[name]
            await proxy.stop()

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic (POST /reset)."""
        async with self.lock:
            for proxy in list(self.proxies.values()):
                await proxy.start()
                await proxy.chain.reset()

    async def close(self) -> None:
        for proxy in list(self.proxies.values()):
            await proxy.stop()
        self.proxies.clear()
