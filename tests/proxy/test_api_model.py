"""The API against a model: random sequences of calls (Hypothesis, bounded) leave the
server in exactly the state the model predicts, with the codes Toxiproxy gives."""

from __future__ import annotations

import requests
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from harness.proxy import ProxyServer

NAMES = st.sampled_from(["a", "b", "c"])
TOXICS = st.sampled_from(["t1", "t2"])
KINDS = st.sampled_from(
    [("latency", {"latency": 1}), ("timeout", {}), ("slicer", {"average_size": 4})]
)


class ApiModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.server = ProxyServer().start()
        self.http = requests.Session()
        self.model: dict[str, dict] = {}  # name -> {"enabled": bool, "toxics": {name: stream}}

    def call(self, method: str, path: str, body=None) -> requests.Response:
        return self.http.request(method, self.server.url + path, json=body, timeout=10)

    @rule(name=NAMES, enabled=st.booleans())
    def create(self, name, enabled) -> None:
        body = {"name": name, "upstream": "127.0.0.1:9", "enabled": enabled}
        response = self.call("POST", "/proxies", body)
        if name in self.model:
            assert response.status_code == 409
        else:
            assert response.status_code == 201
            self.model[name] = {"enabled": enabled, "toxics": {}}

    @rule(name=NAMES)
    def delete(self, name) -> None:
        response = self.call("DELETE", f"/proxies/{name}")
        assert response.status_code == (204 if name in self.model else 404)
        self.model.pop(name, None)

    @rule(name=NAMES, enabled=st.booleans())
    def toggle(self, name, enabled) -> None:
        response = self.call("PATCH", f"/proxies/{name}", {"enabled": enabled})
        assert response.status_code == (200 if name in self.model else 404)
        if name in self.model:
            self.model[name]["enabled"] = enabled

    @rule(
        name=NAMES,
        toxic=TOXICS,
        kind=KINDS,
        stream=st.sampled_from(["upstream", "downstream"]),
    )
    def add_toxic(self, name, toxic, kind, stream) -> None:
        body = {"name": toxic, "type": kind[0], "stream": stream, "attributes": kind[1]}
        response = self.call("POST", f"/proxies/{name}/toxics", body)
        if name not in self.model:
            assert response.status_code == 404
        elif toxic in self.model[name]["toxics"]:
            assert response.status_code == 409
        else:
            assert response.status_code == 200
            self.model[name]["toxics"][toxic] = stream

    @rule(name=NAMES, toxic=TOXICS)
    def remove_toxic(self, name, toxic) -> None:
        response = self.call("DELETE", f"/proxies/{name}/toxics/{toxic}")
        present = name in self.model and toxic in self.model[name]["toxics"]
        assert response.status_code == (204 if present else 404)
        if present:
            del self.model[name]["toxics"][toxic]

    @rule()
    def reset(self) -> None:
        assert self.call("POST", "/reset").status_code == 204
        for state in self.model.values():
            state["enabled"] = True
            state["toxics"] = {}

    @invariant()
    def matches_the_model(self) -> None:
        shown = self.call("GET", "/proxies").json()
        assert set(shown) == set(self.model)
        for name, state in self.model.items():
            assert shown[name]["enabled"] is state["enabled"]
            toxics = {t["name"]: t["stream"] for t in shown[name]["toxics"]}
            assert toxics == state["toxics"]
            # Upstream toxics are listed first, as Toxiproxy lists them.
            streams = [t["stream"] for t in shown[name]["toxics"]]
            assert streams == sorted(streams, key=lambda s: s != "upstream")

    def teardown(self) -> None:
        self.http.close()
        self.server.stop()


ApiModel.TestCase.settings = settings(max_examples=25, stateful_step_count=20, deadline=None)
TestApiModel = ApiModel.TestCase
