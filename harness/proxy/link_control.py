"""``Link``: one proxied upstream, driven through the ``toxiproxy-python`` client.

Every call goes through that client, so a scenario written against ``Link``
runs unchanged against a real Toxiproxy. The client keeps its server address
in class attributes (``APIConsumer.host/.port``); each call here sets them
first, so several servers in one process do not get mixed up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import requests
from toxiproxy import Toxiproxy
from toxiproxy.api import APIConsumer, validate_response
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists
from toxiproxy.proxy import Proxy

from harness.errors import ConfigError, HarnessError

STREAMS = ("upstream", "downstream")
_TIMEOUT_S = 30.0  # our own requests; the python client sets none
_T = TypeVar("_T")


class ProxyApiError(HarnessError):
    """The proxy API refused a request or could not be reached; the message says which."""


class ToxiproxyClient(Toxiproxy):
    """The toxiproxy-python client, bound to one server's address.

    ``server`` is the in-process ``ProxyServer`` when there is one, else None
    (an external Toxiproxy).
    """

    def __init__(self, host: str, port: int, server: Any = None) -> None:
        if not isinstance(host, str) or not host:
            raise ConfigError(f"proxy API host must be a host name or address, got {host!r}")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ConfigError(f"proxy API port must be an integer 1..65535, got {port!r}")
        self.api_host, self.api_port, self.server = host, port, server

    def use(self) -> None:
        APIConsumer.host, APIConsumer.port = self.api_host, self.api_port

    @property
    def external(self) -> bool:
        return self.server is None

    def call(self, what: str, fn: Callable[[], _T]) -> _T:
        """Run a client call against this server, turning its failures into one-line errors."""
        self.use()
        try:
            return fn()
        except requests.ConnectionError:
            raise ProxyApiError(
                f"{what}: the proxy API at {self.api_host}:{self.api_port} is not reachable; "
                "start it (harness proxy serve) or fix HARNESS_TOXIPROXY"
            ) from None
        except (InvalidToxic, NotFound, ProxyExists) as exc:
            raise ProxyApiError(f"{what}: {_detail(exc)}") from None
        except requests.RequestException as exc:
            raise ProxyApiError(f"{what}: {type(exc).__name__}: {exc}") from None

    def link(
        self,
        upstream_host: str,
        upstream_port: int,
        name: str | None = None,
        replace: bool = False,
    ) -> Link:
        """Create a proxy to ``upstream_host:upstream_port`` on a free loopback port.

        ``replace``: delete a proxy of that name first (one a killed run left on
        an external Toxiproxy); otherwise an existing name is an error.
        """
        if replace and name is not None:
            existing = self.call(f"look up {name!r}", lambda: self.get_proxy(name))
            if existing is not None:
                self.call(f"replace {name!r}", existing.destroy)
        return Link.create(self, upstream_host, upstream_port, name)


def _bound(name: str) -> Callable[..., Any]:
    method = getattr(Toxiproxy, name)

    def call(self: ToxiproxyClient, *args: Any, **kwargs: Any) -> Any:
        self.use()  # the client's address is global: point it here first
        return method(self, *args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = method.__doc__
    return call


for _name in (
    "proxies",
    "destroy_all",
    "get_proxy",
    "running",
    "version",
    "reset",
    "create",
    "destroy",
    "populate",
):
    setattr(ToxiproxyClient, _name, _bound(_name))


def _detail(exc: BaseException) -> str:
    text = exc.args[0] if exc.args else exc
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text).strip()


def _check_stream(stream: object) -> str:
    if stream not in STREAMS:
        raise ConfigError(f"stream must be 'upstream' or 'downstream', got {stream!r}")
    return str(stream)


_counter = 0


def _default_name(upstream_host: str, upstream_port: int) -> str:
    global _counter
    _counter += 1
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"harness-{upstream_host}-{upstream_port}-{_counter}")


class Link:
    """A proxy between clients and one upstream, with the faults a scenario places on it.

    ``host``/``port`` is where clients connect. ``cut`` and ``restore`` take the
    link down and up; ``blackhole`` lets a request through and swallows its
    reply; ``add_toxic`` places any toxic. All return once the fault is in
    force on connections already open.
    """

    def __init__(self, client: ToxiproxyClient, proxy: Proxy) -> None:
        self.client = client
        self.proxy = proxy
        self.name: str = proxy.name
        self.upstream: str = proxy.upstream
        host, _, port = str(proxy.listen).rpartition(":")
        host = host.strip("[]")
        if host in ("", "::", "0.0.0.0"):
            host = client.api_host
        self.host, self.port = host, int(port)

    @classmethod
    def create(
        cls,
        client: ToxiproxyClient,
        upstream_host: str,
        upstream_port: int,
        name: str | None = None,
    ) -> Link:
        if not isinstance(upstream_host, str) or not upstream_host:
            raise ConfigError(
                f"upstream_host must be a host name or address, got {upstream_host!r}"
            )
        if isinstance(upstream_port, bool) or not isinstance(upstream_port, int):
            raise ConfigError(f"upstream_port must be an integer, got {upstream_port!r}")
        if not 1 <= upstream_port <= 65535:
            raise ConfigError(f"upstream_port must be between 1 and 65535, got {upstream_port}")
        if name is None:
            name = _default_name(upstream_host, upstream_port)
        elif not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.:-]{1,200}", name):
            raise ConfigError(f"link name must be 1-200 of [A-Za-z0-9_.:-], got {name!r}")
        host = f"[{upstream_host}]" if ":" in upstream_host else upstream_host
        body = {"name": name, "upstream": f"{host}:{upstream_port}", "listen": "127.0.0.1:0"}

        def create() -> Proxy:
            response = validate_response(
                requests.post(f"{_base(client)}/proxies", json=body, timeout=_TIMEOUT_S)
            )
            if response.status_code != 201:
                raise ProxyApiError(f"create link {name!r}: {response.text.strip()}")
            return Proxy(**response.json())

        return cls(client, client.call(f"create link {name!r}", create))

    # -- faults -----------------------------------------------------------
    def cut(self) -> None:
        """Close every connection and refuse new ones until ``restore``."""
        self.client.call(f"cut {self.name}", self.proxy.disable)

    def restore(self) -> None:
        """Accept connections again (toxics stay; ``clear`` removes them too)."""
        self.client.call(f"restore {self.name}", self.proxy.enable)

    def add_toxic(
        self,
        type: str,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
        **attributes: int,
    ) -> str:
        """Place a toxic (e.g. ``add_toxic("latency", latency=200)``); returns its name."""
        if not isinstance(type, str) or not type:
            raise ConfigError(f"toxic type must be a name such as 'latency', got {type!r}")
        _check_stream(stream)
        if isinstance(toxicity, bool) or not isinstance(toxicity, int | float):
            raise ConfigError(f"toxicity must be a number between 0 and 1, got {toxicity!r}")
        if not 0 <= toxicity <= 1:
            raise ConfigError(f"toxicity must be between 0 and 1, got {toxicity}")
        toxic_name = name if name is not None else f"{type}_{stream}"
        self.client.call(
            f"add {type} toxic to {self.name}",
            lambda: self.proxy.add_toxic(
                type=type,
                stream=stream,
                toxicity=toxicity,
                name=toxic_name,
                attributes=attributes,
            ),
        )
        return toxic_name

    def update_toxic(self, name: str, toxicity: float | None = None, **attributes: int) -> None:
        """Change a toxic's attributes or toxicity in place (open connections included)."""
        body: dict[str, Any] = {"attributes": attributes}
        if toxicity is not None:
            body["toxicity"] = toxicity
        url = f"{_base(self.client)}/proxies/{self.name}/toxics/{name}"
        # The python client has no update call; PATCH is Toxiproxy's (>= 2.6) verb for it.
        self.client.call(
            f"update toxic {name!r} of {self.name}",
            lambda: validate_response(requests.patch(url, json=body, timeout=_TIMEOUT_S)),
        )

    def remove_toxic(self, name: str) -> None:
        self.client.call(
            f"remove toxic {name!r} from {self.name}", lambda: self.proxy.destroy_toxic(name)
        )

    def toxics(self) -> dict[str, Any]:
        """The toxics in force, by name (toxiproxy-python ``Toxic`` objects)."""
        result: dict[str, Any] = self.client.call(f"list toxics of {self.name}", self.proxy.toxics)
        return result

    def blackhole(self, stream: str = "downstream") -> str:
        """Swallow everything sent in ``stream`` (a timeout toxic with timeout 0).

        Downstream: a request reaches the server and runs, its reply never
        arrives ("cut after EXEC was sent, before the reply"). The held
        connections close when the black hole is removed.
        """
        return self.add_toxic(
            "timeout", _check_stream(stream), name=f"blackhole_{stream}", timeout=0
        )

    def clear(self) -> None:
        """Remove every toxic and enable the link."""
        for name in list(self.toxics()):
            self.remove_toxic(name)
        self.restore()

    def destroy(self) -> None:
        """Delete the proxy; a link already gone is fine."""
        try:
            self.client.call(f"destroy {self.name}", self.proxy.destroy)
        except ProxyApiError as exc:
            if "not found" not in str(exc):
                raise

    # -- context-manager forms --------------------------------------------
    @contextmanager
    def down(self) -> Iterator[Link]:
        self.cut()
        try:
            yield self
        finally:
            self.restore()

    @contextmanager
    def toxic(self, type: str, stream: str = "downstream", **kwargs: Any) -> Iterator[str]:
        name = self.add_toxic(type, stream, **kwargs)
        try:
            yield name
        finally:
            self.remove_toxic(name)

    @contextmanager
    def blackholed(self, stream: str = "downstream") -> Iterator[str]:
        name = self.blackhole(stream)
        try:
            yield name
        finally:
            self.remove_toxic(name)

    def __repr__(self) -> str:
        return f"Link({self.name!r}, {self.host}:{self.port} -> {self.upstream})"


def _base(client: ToxiproxyClient) -> str:
    return f"http://{client.api_host}:{client.api_port}"
