"""Development tooling, not part of a production deployment (which runs only `glue`).

- `devtools.run`: `make run`, the whole loop on this machine (embedded PostgreSQL, the mail sink,
  the partner simulator, the worker and the web app).
- `devtools.cluster`: the project's own PostgreSQL 15 clusters (the embedded default of `make run`,
  the throwaway clusters of the tests and benchmarks).
- `devtools.mail_sink`: a local SMTP server writing every email to a folder (aiosmtpd).
- `devtools.partner_simulator`: a fake of every training partner (`scripts/partner-simulator`).

Installed with the `dev` extra (`pip install -e '.[dev]'`, which also brings aiosmtpd); `glue`
never imports it.
"""
