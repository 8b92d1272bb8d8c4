"""P4: per-event latency at concurrency 1 at N vs at 10,000 enrollments."""

from __future__ import annotations

import time
from collections import Counter

from .harness import (
    Signer,
    _connection_loop,
    connect,
    percentile,
)

# --- P4: per-event latency -------------------------------------------------------------------------


P4_BLOCKS = 5


def latency_summary(blocks: list[list[float]]) -> dict:
    """p50 = the lowest of the blocks' medians: each block is a slice of the samples taken at a
    different moment, so a burst from another tenant of this shared machine spoils one block, not
    the figure. p95 over every sample."""
    every = [x for block in blocks for x in block]
    return {
        "p50": min(percentile(block, 0.5) for block in blocks if block),
        "p50_all": percentile(every, 0.5),
        "p95": percentile(every, 0.95),
        "n": len(every),
    }


def webhook_latency(port: int, signer: Signer, steps: list[tuple[str, str, str]]) -> dict:
    """Per-webhook latency at concurrency 1 (one keep-alive connection), in P4_BLOCKS blocks."""
    blocks, statuses = [], Counter()
    for i in range(P4_BLOCKS):
        requests = [signer.completed(slug, ext) for _, ext, slug in steps[i::P4_BLOCKS]]
        out: list[dict] = []
        _connection_loop("127.0.0.1", port, requests, False, time.time() + 600, out)
        blocks.append(out[0]["latencies"])
        statuses += out[0]["statuses"]
        time.sleep(0.5)
    return {**latency_summary(blocks), "statuses": dict(statuses)}


def sql_latency(url: str, steps: list[tuple[str, str, str]]) -> dict:
    """Per-call latency of mark_step_complete through psycopg (as service_role), in blocks."""
    blocks = []
    with connect(url) as conn:
        conn.execute("set role service_role")
        for i in range(P4_BLOCKS):
            times = []
            for step_id, _, _ in steps[i::P4_BLOCKS]:
                started = time.perf_counter()
                conn.execute("select public.mark_step_complete(%s)", (step_id,)).fetchone()
                times.append(time.perf_counter() - started)
            blocks.append(times)
            time.sleep(0.5)
    return latency_summary(blocks)
