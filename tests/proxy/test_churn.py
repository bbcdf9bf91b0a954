"""Toxics added, changed and removed at random while several connections stream:
every byte still arrives, in order (seeded, bounded)."""

from __future__ import annotations

import random
import socket
import threading

from tests.proxy.conftest import connect, recv_all

# Kinds and attributes that let data through, so the streams must come back whole.
CHOICES = [
    ("latency", {"latency": 2, "jitter": 1}),
    ("latency", {"latency": 0}),
    ("slicer", {"average_size": 50, "size_variation": 20}),
    ("slicer", {"average_size": 3000, "delay": 100}),
    ("bandwidth", {"rate": 50_000}),
    ("slow_close", {"delay": 1}),
    ("limit_data", {"bytes": 10**9}),
]


def test_churn_keeps_every_stream_whole(echo_link) -> None:
    rng = random.Random(1234)
    errors: list[BaseException] = []
    churning = threading.Event()
    churning.set()

    def stream(seed: int) -> None:
        # Send seeded pieces for as long as the churn lasts, then half-close and
        # compare what came back with what went out.
        piece_rng = random.Random(seed)
        sent = bytearray()
        try:
            with connect(echo_link, timeout=20) as sock:

                def send() -> None:
                    while churning.is_set():
                        piece = piece_rng.randbytes(piece_rng.randrange(1, 20_000))
                        sock.sendall(piece)
                        sent.extend(piece)
                    sock.shutdown(socket.SHUT_WR)

                sender = threading.Thread(target=send)
                sender.start()
                got = recv_all(sock)
                sender.join()
                assert len(sent) > 0 and got == bytes(sent)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    workers = [threading.Thread(target=stream, args=(i,)) for i in range(6)]
    for worker in workers:
        worker.start()
    present: dict[str, str] = {}
    for step in range(60):
        if present and rng.random() < 0.4:
            name = rng.choice(sorted(present))
            echo_link.remove_toxic(name)
            del present[name]
        elif present and rng.random() < 0.3:
            name = rng.choice(sorted(present))
            kind = present[name]
            attrs = next(a for k, a in CHOICES if k == kind)
            echo_link.update_toxic(name, toxicity=rng.choice([0.0, 0.5, 1.0]), **attrs)
        else:
            kind, attrs = rng.choice(CHOICES)
            name = f"t{step}"
            stream_name = rng.choice(["upstream", "downstream"])
            echo_link.add_toxic(kind, stream_name, rng.choice([0.5, 1.0]), name, **attrs)
            present[name] = kind
    churning.clear()
    echo_link.clear()
    for worker in workers:
        worker.join(30)
    assert not any(w.is_alive() for w in workers)
    assert errors == []
