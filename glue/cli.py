"""Command-line tools, through Flask's click integration (`flask --app glue <command>`)."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app

from .db import DatabaseUnavailable
from .rpc import RpcError


def register_commands(app: Flask) -> None:
    """Attach the project's commands to the app's CLI."""

    @app.cli.command("worker")
    @click.option("--concurrency", default=8, show_default=True, help="Jobs handled at once (threads).")
    @click.option("--batch", default=20, show_default=True, help="Jobs taken per read.")
    @click.option(
        "--scan-interval",
        default=300.0,
        show_default=True,
        help="Seconds between stuck-student / SLA scans (0: never).",
    )
    @click.option(
        "--monitoring-interval",
        default=30.0,
        show_default=True,
        help="Seconds between refreshes of the dashboard's monitoring snapshot (0: never).",
    )
    @click.option("--once", is_flag=True, help="Drain the queues, then exit.")
    def worker(concurrency: int, batch: int, scan_interval: float, monitoring_interval: float, once: bool):
        """Run the automation worker: partner enrollments, certificates, emails, periodic checks.

        Several can run at once. SIGTERM finishes the current jobs and releases the rest.
        """
        from .worker import run_worker

        run_worker(
            current_app._get_current_object(),
            once=once,
            concurrency=concurrency,
            batch=batch,
            scan_interval=scan_interval,
            monitoring_interval=monitoring_interval,
        )

    @app.cli.command("replay-events")
    @click.option("--unmatched", "waiting", is_flag=True, help="Replay every unmatched or deferred event.")
    @click.option("--rejected", is_flag=True, help="Also replay rejected events (e.g. after fixing a step).")
    @click.option("--partner", metavar="SLUG", help="Only this partner's events.")
    @click.argument("event_ids", nargs=-1, type=int)
    def replay_events(waiting: bool, rejected: bool, partner: str | None, event_ids: tuple[int, ...]):
        """Re-apply stored partner events through the same SQL function as their first delivery.

        Give event ids, or --unmatched for every event still waiting for its step.
        """
        if not event_ids and not waiting and not rejected:
            raise click.UsageError("give event ids, or --unmatched / --rejected")
        rpc = current_app.extensions["rpc"]  # the direct pool or Supabase's HTTP API alike
        ids = list(event_ids)
        if waiting or rejected:
            try:
                ids += rpc.call(
                    "partner_events_to_replay", p_waiting=waiting, p_rejected=rejected, p_partner_slug=partner
                )
            except DatabaseUnavailable as exc:
                raise click.ClickException(f"database unavailable: {exc}") from exc
        if not ids:
            click.echo("nothing to replay")
            return
        counts: dict[str, int] = {}
        with click.progressbar(ids, label=f"replaying {len(ids)} event(s)", file=sys.stderr) as bar:
            for event_id in bar:
                try:
                    result = rpc.call("replay_partner_event", p_event_id=event_id)
                    status = result["status"]
                except RpcError as exc:
                    status = f"error {exc.sqlstate}"
                    click.echo(f"\nevent {event_id}: {exc.message}", err=True)
                except DatabaseUnavailable as exc:
                    raise click.ClickException(f"database unavailable: {exc}") from exc
                counts[status] = counts.get(status, 0) + 1
        click.echo(json.dumps(counts, sort_keys=True))
