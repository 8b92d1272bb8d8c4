"""P1: signed course.completed webhooks through gunicorn vs baseline routes on the same server."""

from __future__ import annotations

from .harness import (
    CpuMeter,
    Report,
    Signer,
    Sizes,
    log,
    ms,
    ratio,
    run_load,
    take_steps,
    yes,
)

# --- P1, P2 -----------------------------------------------------------------------------------------


def p1_webhooks(url: str, port: int, signer: Signer, sizes: Sizes, roots: dict[str, int], report: Report) -> None:
    """Signed course.completed webhooks vs the floor (verify the signature, insert the raw event into a
    one-table inbox, commit: devtools.bench.apps) on the same server, load and duration; the no-op
    route as information."""
    log(f"P1: no-op ({sizes.http_seconds:.0f} s, 16 connections, 2 processes)")
    noop_requests = [signer.completed("hsi", f"NOOP-{i}", "/bench/noop") for i in range(512)]
    run_load(port, noop_requests, 16, 2, 2.0, cycle=True)  # warm-up
    meter = CpuMeter(roots, "load generator")
    noop = run_load(port, noop_requests, 16, 2, sizes.http_seconds, cycle=True)
    noop_cpu = meter.stop(noop["count"])
    steps = take_steps(url, int(noop["rps"] * sizes.http_seconds * 0.5) + 2300)
    warm, steps = steps[:300], steps[300:]
    # the floor: the same requests (same partners, bodies and signatures) to the floor route; each a
    # distinct webhook id, so each an insert
    log(f"P1: floor ({sizes.http_seconds:.0f} s)")
    floor_requests = [signer.completed(slug, ext, f"/bench/floor/{slug}") for _, ext, slug in steps]
    run_load(port, floor_requests[:300], 16, 2, 2.0, cycle=False)  # warm-up
    meter = CpuMeter(roots, "load generator")
    floor = run_load(port, floor_requests[300:], 16, 2, sizes.http_seconds, cycle=False)
    floor_cpu = meter.stop(floor["count"])
    run_load(port, [signer.completed(slug, ext) for _, ext, slug in warm], 16, 2, 5.0, cycle=False)  # warm-up
    log(f"P1: webhooks ({sizes.http_seconds:.0f} s, pool of {len(steps):,} distinct in-progress steps)")
    requests = [signer.completed(slug, ext) for _, ext, slug in steps]
    meter = CpuMeter(roots, "load generator")
    hook = run_load(port, requests, 16, 2, sizes.http_seconds, cycle=False)
    hook_cpu = meter.stop(hook["count"])
    report.add(
        "P1 webhook course.completed req/s (16 conns)",
        f"{hook['rps']:.0f} req/s · p50 {ms(hook['p50'])} · p99 {ms(hook['p99'])}",
        f"{floor['rps']:.0f} req/s · p50 {ms(floor['p50'])} · p99 {ms(floor['p99'])} (floor: verify + inbox insert)",
        ratio(hook["rps"], floor["rps"]),
        "≥ 0.80",
        yes(bool(floor["rps"]) and hook["rps"] / floor["rps"] >= 0.8),
    )
    report.add(
        "P1 webhook vs the no-op route (info)",
        f"{hook['rps']:.0f} req/s",
        f"{noop['rps']:.0f} req/s · p50 {ms(noop['p50'])} · p99 {ms(noop['p99'])} (no-op)",
        ratio(hook["rps"], noop["rps"]),
        "— (info)",
        "—",
    )
    report.notes.append(
        f"P1: {hook['count']:,} webhooks, statuses {hook['statuses']}, client errors {hook['errors']}"
        + (" — the step pool ran out before the end" if hook["exhausted"] else "")
        + f"; floor: {floor['count']:,} requests, statuses {floor['statuses']}"
        + (" — its pool ran out before the end" if floor["exhausted"] else "")
        + f"; no-op: {noop['count']:,} requests, statuses {noop['statuses']}."
    )
    report.notes.append(f"P1 CPU, no-op: {noop_cpu}.")
    report.notes.append(f"P1 CPU, floor: {floor_cpu}.")
    report.notes.append(f"P1 CPU, webhook: {hook_cpu}.")
    for name, result in (("webhook", hook), ("floor", floor)):
        if result["statuses"].get(200, 0) != result["count"]:
            report.notes.append(f"P1 non-200 answers ({name}): {result['bodies']}")
