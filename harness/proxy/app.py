"""The proxy service inside one event loop: the proxies plus the HTTP API over them."""

from __future__ import annotations

from harness.proxy.api import Api
from harness.proxy.collection import MAX_CONNECTIONS, ProxyCollection
from harness.proxy.http import HttpServer


class ProxyApp:
    def __init__(self, seed: int = 0, max_connections: int = MAX_CONNECTIONS) -> None:
        self.seed = seed
        self.proxies = ProxyCollection(seed, max_connections)
        self.http = HttpServer(Api(self.proxies))
        self.api_host = ""
        self.api_port = 0

    async def start(self, host: str, port: int) -> None:
        self.api_host, self.api_port = await self.http.start(host, port)

    async def stop(self) -> None:
        """Close the API, every proxy and every connection."""
        await self.http.stop()
        await self.proxies.close()
