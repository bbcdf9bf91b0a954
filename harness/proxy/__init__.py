"""A Toxiproxy-compatible fault proxy in asyncio, and the harness's handle on it.

``ProxyServer`` runs the server in-process (``harness proxy serve`` runs it as
a command); ``Link`` drives one proxied upstream through the
``toxiproxy-python`` client, so the same calls work against a real Toxiproxy;
``toxiproxy_session`` gives a client bound to the in-process server or to an
external Toxiproxy. See docs/proxy.md.
"""

from harness.proxy.endpoint import toxiproxy_session
from harness.proxy.link_control import Link, ProxyApiError, ToxiproxyClient
from harness.proxy.server import ProxyServer

__all__ = ["Link", "ProxyApiError", "ProxyServer", "ToxiproxyClient", "toxiproxy_session"]
