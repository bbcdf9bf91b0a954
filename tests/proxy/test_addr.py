"""Address parsing and formatting as Toxiproxy (Go) spells them."""

from __future__ import annotations

import pytest

from harness.proxy.addr import format_addr, normalize_listen, split_hostport
from harness.proxy.errors import ApiError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:5432", ("127.0.0.1", 5432)),
        ("[::1]:0", ("::1", 0)),
        ("localhost:1", ("localhost", 1)),
        (":8474", ("", 8474)),
    ],
)
def test_split(text, expected) -> None:
    assert split_hostport(text, "listen", allow_port_zero=True) == expected


@pytest.mark.parametrize(
    "text",
    ["", "5432", "::1:5432", "h:port", "h:-1", "h:65536", "h :1", None, 5432, "a" * 300 + ":1"],
)
def test_split_rejects(text) -> None:
    with pytest.raises(ApiError) as info:
        split_hostport(text, "upstream", allow_port_zero=False)
    assert info.value.status == 400 and "upstream" in info.value.message


def test_port_zero_only_where_allowed() -> None:
    with pytest.raises(ApiError):
        split_hostport("127.0.0.1:0", "upstream", allow_port_zero=False)


def test_format_like_go() -> None:
    assert format_addr(("127.0.0.1", 80)) == "127.0.0.1:80"
    assert format_addr(("::1", 80, 0, 0)) == "[::1]:80"
    assert format_addr(("::", 80, 0, 0)) == "[::]:80"
    assert normalize_listen("localhost:9") == "127.0.0.1:9"
    assert normalize_listen(":9") == "[::]:9"
