"""The toxic conformance test, runnable by anyone on their own toxic kinds.

    from harness.proxy.toxics.conformance import check_toxic_conformance
    check_toxic_conformance("acme_garble")   # raises AssertionError naming what is wrong

What every toxic kind must do, checked on a live loopback link through the harness's
own proxy (an echo server behind it): refuse an unknown attribute and an out-of-range
or non-integer value of each of its attributes (``ToxicError``); with its ``example``
attributes, visibly alter a short exchange (the bytes that come back, how the
connection ends, or when: a toxic that changes nothing is not doing its job); and once
removed leave the link transparent again, nothing held. Each exchange is bounded
(``deadline_s``): the whole test takes a few seconds.
"""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from harness.proxy.echo import echo_server
from harness.proxy.endpoint import toxiproxy_session
from harness.proxy.link_control import Link
from harness.proxy.toxics.base import Toxic, ToxicError, toxic_class

PAYLOAD = bytes(range(200)) * 2  # 400 bytes
#: how much later an exchange must end to count as delayed (the examples delay 0.4 s)
DELAYED_S = 0.25
_RESET = (errno.ECONNRESET, errno.EPIPE, errno.ENOTCONN)


@dataclass(frozen=True)
class Exchange:
    """What came back for ``PAYLOAD`` sent and the write side shut: the bytes, how the
    connection ended (``closed``, ``reset``, or ``silent`` past the deadline) and when."""

    data: bytes
    end: str
    seconds: float

    @property
    def transparent(self) -> bool:
        return self.data == PAYLOAD and self.end == "closed"


def exchange(link: Link, deadline_s: float) -> Exchange:
    """Send ``PAYLOAD`` through ``link``, shut the write side, read until the end."""
    t0 = time.perf_counter()
    got = bytearray()
    with socket.create_connection((link.host, link.port), timeout=deadline_s) as sock:
        try:
            sock.sendall(PAYLOAD)
            sock.shutdown(socket.SHUT_WR)
        except OSError as exc:  # reset while sending: the peer is gone already
            if exc.errno not in _RESET:
                raise
            return Exchange(bytes(got), "reset", time.perf_counter() - t0)
        while True:
            left = deadline_s - (time.perf_counter() - t0)
            if left <= 0:
                return Exchange(bytes(got), "silent", time.perf_counter() - t0)
            sock.settimeout(left)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                return Exchange(bytes(got), "silent", time.perf_counter() - t0)
            except ConnectionResetError:
                return Exchange(bytes(got), "reset", time.perf_counter() - t0)
            if not data:
                return Exchange(bytes(got), "closed", time.perf_counter() - t0)
            got += data


def _bad_values(cls: type[Toxic]) -> Iterator[tuple[str, object]]:
    for attr in cls.attrs:
        values: tuple[object, ...] = ("1", 1.5, True, [], {})
        for value in values:
            yield attr.name, value
        yield attr.name, attr.minimum - 1
        yield attr.name, attr.maximum + 1


def check_attributes(name: str) -> type[Toxic]:
    """The attribute contract alone (no network): unknown names and bad values refused,
    the ``example`` accepted."""
    cls = toxic_class(name)
    assert cls.type_name == name, f"toxic {name!r} is registered as {cls.type_name!r}"
    try:
        cls.parse({"no_such_attribute": 1})
    except ToxicError as exc:
        assert "no_such_attribute" in str(exc), f"{name}: the error names no attribute: {exc}"
    else:
        raise AssertionError(f"{name}: an unknown attribute was accepted")
    for attr, value in _bad_values(cls):
        try:
            cls.parse({**cls.example, attr: value})
        except ToxicError as exc:
            assert attr in str(exc), f"{name}: the error on {attr}={value!r} names no attribute"
        else:
            raise AssertionError(f"{name}: attribute {attr}={value!r} was accepted")
    cls.parse(dict(cls.example))  # its example is valid
    return cls


def check_toxic_conformance(
    name: str,
    *,
    attributes: Mapping[str, int] | None = None,
    stream: str = "downstream",
    deadline_s: float = 2.0,
    seed: int = 0,
) -> Exchange:
    """Run the toxic conformance test on registered toxic kind ``name`` (with its
    ``example`` attributes unless ``attributes`` are given); returns the altered exchange."""
    cls = check_attributes(name)
    attrs = dict(cls.example if attributes is None else attributes)
    with toxiproxy_session(None, seed) as client, echo_server() as (host, port):
        link = client.link(host, port, f"conformance-{name}")
        try:
            clean = exchange(link, deadline_s)
            assert clean.transparent, f"{name}: the link is not transparent before: {clean}"
            toxic = link.add_toxic(name, stream, 1.0, None, **attrs)
            assert set(link.toxics()) == {toxic}
            altered = exchange(link, deadline_s)
            changed = (
                altered.data != clean.data
                or altered.end != clean.end
                or altered.seconds >= clean.seconds + DELAYED_S
            )
            assert changed, (
                f"{name} with {attrs} on {stream} left the exchange as it was "
                f"({altered}; clean {clean}): a toxic must alter what passes"
            )
            link.remove_toxic(toxic)
            assert link.toxics() == {}, f"{name}: still listed after removal"
            after = exchange(link, deadline_s)
            assert after.transparent, f"{name}: the link is not transparent after removal: {after}"
        finally:
            link.destroy()
    return altered
