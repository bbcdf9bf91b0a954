"""``ProxyServer``: the proxy service on its own event loop in a background thread.

Tests and the crash runner's parent process use it in-process; ``stop`` closes
every socket it opened and joins the thread, so nothing outlives it.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from types import TracebackType
from typing import Any

from harness.errors import ConfigError, ServerError
from harness.proxy.addr import http_url
from harness.proxy.app import ProxyApp
from harness.proxy.collection import MAX_CONNECTIONS
from harness.proxy.link_control import ToxiproxyClient

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


class ProxyServer:
    """A Toxiproxy-compatible server: ``ProxyServer(port=0, seed=7).start()``.

    ``max_connections``: connections one proxy may hold open; more are refused.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        if not isinstance(host, str) or not host:
            raise ConfigError(f"ProxyServer host must be a non-empty string, got {host!r}")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError(f"ProxyServer port must be an integer 0..65535, got {port!r}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"ProxyServer seed must be an integer, got {seed!r}")
        if (
            isinstance(max_connections, bool)
            or not isinstance(max_connections, int)
            or max_connections < 1
        ):
            raise ConfigError(
                f"ProxyServer max_connections must be a positive integer, got {max_connections!r}"
            )
        self.host, self.port, self.seed = host, port, seed
        self.app = ProxyApp(seed, max_connections)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def api_host(self) -> str:
        return self.app.api_host

    @property
    def api_port(self) -> int:
        return self.app.api_port

    @property
    def url(self) -> str:
        return http_url(self.api_host, self.api_port)

    def client(self) -> ToxiproxyClient:
        """The toxiproxy-python client bound to this server (``.link(host, port)`` and all)."""
        if self._thread is None:
            raise ServerError("the ProxyServer is not running; call start() first")
        return ToxiproxyClient(self.api_host, self.api_port, self)

    def start(self) -> ProxyServer:
        if self._thread is not None:
            raise ServerError("this ProxyServer is already started; create a new one")
        ready: Future[None] = Future()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._main, args=(ready,), name=f"harness-proxy-{self.port}", daemon=True
        )
        self._thread.start()
        try:
            ready.result(START_TIMEOUT_S)
        except OSError as exc:
            self._join()
            raise ServerError(
                f"proxy API could not listen on {self.host}:{self.port}: {exc.strerror or exc}; "
                "pick a free port or port 0"
            ) from None
        except BaseException:
            self._join()
            raise
        return self

    def _main(self, ready: Future[None]) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.app.start(self.host, self.port))
        except BaseException as exc:
            ready.set_exception(exc)
            loop.close()
            return
        ready.set_result(None)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown())
            loop.close()

    async def _shutdown(self) -> None:
        await self.app.stop()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_TIMEOUT_S)
        await asyncio.sleep(0)  # let transports run their close callbacks

    def call(self, coro: Any) -> Any:
        """Run a coroutine on the server's loop from another thread (tests, tools)."""
        if self._loop is None or self._thread is None or not self._thread.is_alive():
            raise ServerError("the ProxyServer is not running; call start() first")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(STOP_TIMEOUT_S)

    def stop(self) -> None:
        """Close every proxy, connection and the API, then join the thread. Idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive() and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        self._join()

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            if self._thread.is_alive():
                raise ServerError("the proxy thread did not stop within 10 s")
        self._thread = None
        self._loop = None

    def __enter__(self) -> ProxyServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
