"""host:port parsing and formatting, as Toxiproxy (Go's net package) spells addresses."""

from __future__ import annotations

import ipaddress
import socket

from harness.proxy.errors import bad_request


def split_hostport(text: object, field: str, allow_port_zero: bool) -> tuple[str, int]:
    """``"127.0.0.1:5432"`` or ``"[::1]:0"`` into (host, port); 400 when malformed."""
    example = "e.g. '127.0.0.1:5432'"
    if not isinstance(text, str) or ":" not in text:
        raise bad_request(f"{field} must be a 'host:port' string ({example}), got {text!r}")
    host, _, port_text = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise bad_request(f"{field}: put an IPv6 host in brackets, e.g. '[::1]:5432'")
    if not port_text.isdigit():
        raise bad_request(f"{field} has a bad port {port_text!r} ({example})")
    port = int(port_text)
    low = 0 if allow_port_zero else 1
    if not low <= port <= 65535:
        raise bad_request(f"{field} port must be between {low} and 65535, got {port}")
    if any(c.isspace() for c in host) or len(host) > 253:
        raise bad_request(f"{field} has a bad host {host!r}")
    return host, port


WILDCARD_HOSTS = ("", "0.0.0.0", "::")


def bind_host(host: str) -> str | None:
    """The host to bind for a listen host; None means every interface.

    Go listens on one dual-stack socket for '', '0.0.0.0' and '::' alike
    (where the system has dual-stack sockets) and prints it as '[::]:port'.
    """
    if host in WILDCARD_HOSTS:
        return None
    if host == "localhost":
        return "127.0.0.1"  # Go resolves it to the IPv4 loopback first
    return host


def format_addr(sockname: tuple[object, ...]) -> str:
    """A bound socket's address the way Go's Addr().String() prints it."""
    host, port = str(sockname[0]), int(str(sockname[1]))
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]:{port}"
    except ValueError:
        pass
    return f"{host}:{port}"


def wildcard_addr(host: str, port: int) -> str:
    """How a listener on every interface is reported (Go's spelling)."""
    if socket.has_dualstack_ipv6() or host == "::":
        return f"[::]:{port}"
    return f"0.0.0.0:{port}"


def normalize_listen(text: str) -> str:
    """Compare listen addresses the way Toxiproxy does (after resolving 'localhost')."""
    host, port = split_hostport(text, "listen", allow_port_zero=True)
    bound = bind_host(host)
    if bound is None:
        return wildcard_addr(host, port)
    return format_addr((bound, port))


def http_url(host: str, port: int) -> str:
    """``http://host:port``, an IPv6 host in brackets (``http://[::1]:8474``)."""
    return f"http://{format_addr((host, port))}"
