"""The read API by tenant, with two tenants that share a trace id (W3C context crosses tenants)."""

from __future__ import annotations

import random

from reference_impl.trc import FIXED, get_trace, read_tenant, write_batch
from scenarios.trc.batches import make_batch


def _two_tenants_one_trace(conn, v):
    rng = random.Random(11)
    shared = make_batch(rng, "acme").traces[0].trace_id
    a = make_batch(rng, "acme", trace_ids=[shared])
    b = make_batch(rng, "umbra", trace_ids=[shared])
    write_batch(conn, a, v)
    write_batch(conn, b, v)
    return shared, a, b


def test_each_tenant_reads_its_own_rows_only(trc_conn, variant) -> None:
    conn = trc_conn(variant)
    shared, a, b = _two_tenants_one_trace(conn, variant)
    view_a = get_trace(conn, "acme", shared, variant)
    view_b = get_trace(conn, "umbra", shared, variant)
    if variant is FIXED:
        assert view_a is not None and set(view_a.spans) == set(a.spans)
        assert view_b is not None and set(view_b.spans) == set(b.spans)
        assert set(view_b.logs) == set(b.logs)
    else:
        # The first tenant owns the trace row: it reads the other's spans, the other
        # cannot read its own trace at all.
        assert view_a is not None and {s.tenant_id for s in view_a.spans} == {"acme", "umbra"}
        assert view_b is None


def test_read_tenant_lists_every_trace_with_its_rows(trc_conn, variant) -> None:
    conn = trc_conn(variant)
    rng = random.Random(2)
    batch = make_batch(rng, "acme", traces=3)
    write_batch(conn, batch, variant)
    views = read_tenant(conn, "acme", variant)
    assert sorted(v.trace.trace_id for v in views) == sorted(t.trace_id for t in batch.traces)
    assert sum(len(v.logs) for v in views) == len(batch.logs)
    assert read_tenant(conn, "nobody", variant) == []
