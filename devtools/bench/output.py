"""The report: the text table and docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

from .harness import (
    Report,
    Row,
    Sizes,
)

# --- output ------------------------------------------------------------------------------------------

HEADERS = ("name", "measured", "baseline", "ratio", "target", "met?")


def text_table(rows: list[Row]) -> str:
    cells = [HEADERS] + [(r.name, r.measured, r.baseline, r.ratio, r.target, r.met) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_section(report: Report, sizes: Sizes) -> str:
    m = report.machine
    out = [
        f"## `{report.command}` — {report.mode} ({sizes.enrollments:,} enrollments)",
        "",
        f"- **Date:** {m.get('date', '?')}",
        f"- **Machine:** {m.get('cpu', '?')}, {m.get('ram', '?')} RAM, {m.get('os', '?')}",
        f"- **Software:** {m.get('postgresql', '?')}, Python {m.get('python', '?')}, gunicorn {m.get('gunicorn', '?')}",
        "",
        "| name | measured | baseline | ratio | target | met? |",
        "|---|---|---|---|---|---|",
    ]
    for r in report.rows:
        out.append(f"| {r.name} | {r.measured} | {r.baseline} | {r.ratio} | {r.target} | {r.met} |")
    if report.notes:
        out += ["", "Notes:", ""] + [f"- {n}" for n in report.notes]
    if report.profile:
        out += ["", "### Profile", ""] + report.profile
    return "\n".join(out) + "\n"


DOC_HEAD = """# Benchmarks

Written by `make bench` (`scripts/bench`, 1M enrollments) and `make bench-quick` (`scripts/bench
--quick`, 30k); each run replaces its own section (the summary below is kept, written by hand). The
machine is small and shared, so every figure comes with a **baseline measured in the same run** and
the **ratio** is what to compare between runs. The code is the devtools/bench package (one module
per measurement); `scripts/bench --help` says what each does; `scripts/generate-data --help` the data.

- **P1** signed `course.completed` webhooks through gunicorn (2 workers × 8 threads, the gthread
  worker) vs the **floor** of a durable webhook on the same server, app and load: a route that
  verifies the Standard Webhooks signature, inserts the raw event into a one-table inbox and
  commits (devtools/bench/apps.py); 16 keep-alive connections from 2 client processes that share
  the 2 cores with the server and PostgreSQL. The no-op route is shown as information.
- **P2** `mark_step_complete` through pgbench (each transaction completes a distinct step) vs
  pgbench's built-in TPC-B-like transaction, same `-c 8 -j 2` (`-T` for TPC-B; for
  mark_step_complete `-t`, each client its share of a pool of distinct in-progress steps, so that no
  call finds the pool empty); statements and buffers per
  transition from pg_stat_statements (track = all).
- **P3** the monitoring functions and `GET /admin/dashboard` at N vs at 10,000 enrollments.
- **P4** per-event latency at concurrency 1 at N vs at 10,000 enrollments; "block p50" is the
  lowest of 5 medians, each over a fifth of the samples taken at a different moment, so that a
  burst from another tenant spoils one block rather than the figure (all-sample p50 alongside).
- **P5** `flask --app glue worker --concurrency 8 --batch 50` draining partner enrollment jobs
  against the local partner simulator vs the simulator's raw POST rate (8 keep-alive threads);
  then the same with 2 worker processes (info). **P5 peers**: a no-op job drained by our `Worker`,
  pgqueuer and procrastinate (PyPI, the `bench` extra) on the same cluster in the same run, at
  concurrency 1 and 8 (devtools/bench/peers.py says how each is driven), median of the repetitions;
  enqueue one job per call.
- CPU per request/job comes from /proc (user + system time of each process tree over the run);
  "other processes" is the rest of the machine's busy time: other tenants of this shared box.
"""


def write_doc(path: Path, report: Report, sizes: Sizes) -> None:
    section = markdown_section(report, sizes)
    start, end = f"<!-- bench:{report.mode}:start -->", f"<!-- bench:{report.mode}:end -->"
    block = f"{start}\n{section}{end}\n"
    text = path.read_text() if path.exists() else DOC_HEAD
    first = text.find("<!-- bench:")
    summary = text.find("## Where the targets stand")  # written by hand: kept
    kept = text[summary:first] if 0 <= summary < first else ""
    text = DOC_HEAD + "\n" + kept + text[first:] if first >= 0 else DOC_HEAD  # the head describes this version
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) + 1 :]
    else:
        other = "quick" if report.mode == "full" else "full"
        other_start = f"<!-- bench:{other}:start -->"
        if report.mode == "full" and other_start in text:
            i = text.index(other_start)
            text = text[:i] + block + "\n" + text[i:]
        else:
            text = text.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
