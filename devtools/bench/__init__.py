"""Benchmarks of the whole stack on this machine, each figure a ratio against a baseline measured in
the same run (the machine is small, shared and noisy: absolute numbers move, ratios much less).

    scripts/bench            # 1,000,000 enrollments (make bench)
    scripts/bench --quick    # 30,000 enrollments, short runs, at most 3 minutes (make bench-quick)

One module per measurement (p1 ... p5, peers, profile) sharing devtools/bench/harness.py; the
peers (pgqueuer, procrastinate) come from the `bench` extra (`pip install -e '.[bench]'`, which
`make bench` and `make bench-quick` do).

It starts its own throwaway PostgreSQL 15 cluster (devtools.cluster.TemporaryCluster, fsync on,
synchronous_commit on: every commit measured is durable), applies the migrations and the seed,
and measures:

  P1  signed `course.completed` webhooks per second through gunicorn (2 workers x 8 threads), each
      a distinct real completion of a linked in-progress step, versus the floor of a durable
      webhook on the same app and server (devtools/bench/apps.py: verify the signature, insert the
      raw event into a one-table inbox, commit), same load generator, concurrency and duration;
      a no-op route as information.
  P2  `mark_step_complete` transactions/s with pgbench (each completes a distinct step) versus
      pgbench's built-in TPC-B-like run on `pgbench -i -s 10` in the same cluster; statements and
      buffers per transition (pg_stat_statements, track = all).
  P3  each monitoring function and the full admin dashboard page at N enrollments (p50/p95 of 30
      runs) versus the same at 10,000; refresh_monitoring() at both sizes.
  P4  per-event latency at concurrency 1 (webhook through gunicorn; mark_step_complete through
      psycopg) at N versus at 10,000 enrollments.
  P5  partner-enrollment jobs drained per second by `flask --app glue worker` against the local
      partner simulator, versus the simulator's raw enrollment POST rate from 8 keep-alive threads;
      and a no-op job drain with our worker vs pgqueuer and procrastinate (devtools/bench/peers.py).

Then it profiles (auto_explain plans of the monitoring functions, pg_stat_statements of the
webhook's SQL), prints a table and writes docs/benchmarks.md (this mode's section; the other
mode's section is kept). Exit status: 0 when it ran (targets met or not), non-zero only when it
could not run.
"""
