"""A Toxiproxy-compatible fault proxy in asyncio, and the harness's handle on it.

``ProxyServer`` runs the server in-process (``harness proxy serve`` runs it as
a command); ``Link`` drives one proxied connection through the
``toxiproxy-python`` client, so the same calls work against a real Toxiproxy.
"""

from harness.proxy.server import ProxyServer

__all__ = ["ProxyServer"]
