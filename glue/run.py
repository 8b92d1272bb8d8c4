"""`make run`: the whole loop on this machine.

Uses DATABASE_URL when set; otherwise the embedded default, a PostgreSQL 15 cluster kept under
the repository (`.pgdata/`, git-ignored) and reused across runs. Migrates, loads the demo seed,
serves the web app on 127.0.0.1:$PORT (default 5000) and stops everything on Ctrl-C.
"""

from __future__ import annotations

import logging
import os
import sys

from dotenv import load_dotenv

from . import migrate
from .cluster import DEFAULT_PORT, Cluster, default_datadir

log = logging.getLogger("glue.run")


def main() -> int:
    load_dotenv(override=False)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    port = int(os.environ.get("PORT", "5000"))
    cluster = None
    url = os.environ.get("DATABASE_URL")
    if not url:
        cluster = Cluster(default_datadir(), port=int(os.environ.get("EMBEDDED_PG_PORT", DEFAULT_PORT)))
        log.info("starting the embedded PostgreSQL in %s on port %d", cluster.datadir, cluster.port)
        try:
            cluster.start()
        except RuntimeError as exc:
            log.error("%s (is another `make run` using port %d? set EMBEDDED_PG_PORT)", exc, cluster.port)
            return 1
        url = cluster.url()
        os.environ["DATABASE_URL"] = url
    try:
        migrate.migrate(url)
        migrate.seed(url)
        from . import create_app
        from .config import DevelopmentConfig

        app = create_app(DevelopmentConfig(DATABASE_URL=url))
        print(
            "\n"
            f"  Web app        http://127.0.0.1:{port}/\n"
            f"  Health         http://127.0.0.1:{port}/healthz\n"
            f'  Database       {url}   (psql "{url}")\n'
            "  Stop           Ctrl-C\n",
            flush=True,
        )
        app.run(host="127.0.0.1", port=port, debug=False, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        if cluster:
            log.info("stopping the embedded PostgreSQL")
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
