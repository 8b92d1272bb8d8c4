"""Command-line tools, through Flask's click integration (`flask --app glue <command>`)."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app, has_app_context

from .db import DatabaseUnavailable
from .rpc import RpcError


def register_commands(app: Flask) -> None:
    """Attach the project's commands to the app's CLI."""

    @app.cli.command("worker")
    @click.option("--concurrency", default=8, show_default=True, help="Jobs handled at once (threads).")
    @click.option("--batch", default=20, show_default=True, help="Jobs taken per read.")
    @click.option(
        "--readers",
        type=int,
        help="Reader loops, each its own batch [default: concurrency // 2, within DB_POOL_MAX, at least 2].",
    )
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
    def worker(
        concurrency: int, batch: int, readers: int | None, scan_interval: float, monitoring_interval: float, once: bool
    ):
        """Run the automation worker: partner enrollments, certificates, emails, periodic checks.

        Several can run at once. SIGTERM finishes the current jobs and releases the rest.
        """
        from .worker import run_worker

        run_worker(
            current_app._get_current_object(),
            once=once,
            concurrency=concurrency,
            batch=batch,
            readers=readers,
            scan_interval=scan_interval,
            monitoring_interval=monitoring_interval,
        )

    app.cli.add_command(_with_app_context(replay_events))


def _replay_options(command):
    """The options of replay-events, shared by `flask --app glue replay-events` and scripts/replay-events."""
    for option in reversed(
        [
            click.option("--unmatched", "waiting", is_flag=True, help="Replay every unmatched or deferred event."),
            click.option("--rejected", is_flag=True, help="Also replay rejected events (e.g. after fixing a step)."),
            click.option("--partner", metavar="SLUG", help="Only this partner's events."),
            click.argument("event_ids", nargs=-1, type=int),
        ]
    ):
        command = option(command)
    return command


def _with_app_context(command: click.Command) -> click.Command:
    """The command as registered on the app's CLI: it runs inside that app's context."""
    from flask.cli import with_appcontext

    wrapped = click.Command(
        command.name,
        params=command.params,
        callback=with_appcontext(command.callback),
        help=command.help,
        short_help=command.short_help,
        context_settings=command.context_settings,
    )
    return wrapped


def _app_for_cli():
    """The app inside a `flask --app glue` command, else one built from the environment (.env):
    a missing setting is a clear error (exit 1), never a traceback, and only once the arguments
    are parsed, so --help needs no database."""
    if has_app_context():
        return current_app._get_current_object()
    from . import create_app
    from .config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


HELP = {"help_option_names": ["-h", "--help"]}


@click.command("replay-events", context_settings=HELP)
@_replay_options
def replay_events(waiting: bool, rejected: bool, partner: str | None, event_ids: tuple[int, ...]):
    """Re-apply stored partner events through the same SQL function as their first delivery.

    Give event ids, or --unmatched for every event still waiting for its step. Prints the count
    of each outcome as JSON. Exit status: 0 when every event was replayed (whatever its outcome:
    processed, unmatched, rejected, ...), 1 when one could not be (an unknown id, an error), the
    database was unavailable or the configuration is missing; 2 on a usage error.
    """
    if not event_ids and not waiting and not rejected:
        raise click.UsageError("give event ids, or --unmatched / --rejected")
    app = _app_for_cli()
    with app.app_context():
        rpc = app.extensions["rpc"]  # the direct pool or Supabase's HTTP API alike
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
    failed = sum(n for status, n in counts.items() if status.startswith("error"))
    if failed:
        click.echo(f"replay-events: {failed} event(s) could not be replayed", err=True)
        sys.exit(1)


@click.group(context_settings=HELP)
def main() -> None:
    """The project's commands without Flask's loader (scripts/replay-events): `python -m glue.cli
    replay-events --help` needs no configuration; a command builds the app when it runs."""


main.add_command(replay_events)

if __name__ == "__main__":
    main()
