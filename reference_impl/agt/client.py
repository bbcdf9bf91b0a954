"""The agent's side of the HTTP API: every transport or server failure becomes
``ServerUnavailable``, the one error the poll loop backs off on."""

from __future__ import annotations

import http.client
import json
from typing import Any

from reference_impl.agt.errors import AgtError


class ServerUnavailable(AgtError):
    """The server could not be reached or answered with an error status."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class Client:
    def __init__(self, host: str, port: int, timeout_s: float = 2.0) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self.agent_id: str | None = None
        self.access_token: str | None = None

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        headers = {"Content-Type": "application/json"}
        if self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        try:
            conn.request(method, path, json.dumps(body or {}), headers)
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            raise ServerUnavailable(f"{type(exc).__name__}: {exc}") from None
        finally:
            conn.close()
        try:
            reply = json.loads(data)
        except ValueError:
            raise ServerUnavailable(f"unreadable reply (HTTP {resp.status})", resp.status) from None
        if resp.status != 200:
            raise ServerUnavailable(f"HTTP {resp.status}: {reply.get('error')}", resp.status)
        return dict(reply)

    def register(self, registration_token: str, hostname: str, agent_secret: str) -> dict[str, Any]:
        reply = self.request(
            "POST",
            "/agents/register",
            {
                "registration_token": registration_token,
                "hostname": hostname,
                "agent_secret": agent_secret,
            },
        )
        self.agent_id, self.access_token = reply["agent_id"], reply["access_token"]
        return reply

    def poll(self) -> list[dict[str, Any]]:
        if self.agent_id is None:
            raise AgtError("register before polling")
        return list(self.request("GET", f"/agents/{self.agent_id}/commands")["commands"])
