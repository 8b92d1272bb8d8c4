"""A request body the server cannot read is the client's fault: 400, never 500.

The WSGI server hands the app `wsgi.input`; reading it raises the server's own exceptions when
the body is malformed as framed (gunicorn: InvalidChunkSize, ChunkMissingTerminator,
InvalidChunkExtension for a bad chunked body; a body cut short) — whoever reads it (the webhook,
werkzeug's form parser for the pages' forms). `GuardedInput` wraps the stream so those become
werkzeug's BadRequest, which the app answers as a 400 (JSON under /api/, a page elsewhere)."""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import BadRequest, HTTPException

MESSAGE = "The request body could not be read: malformed framing or cut short."


class _GuardedStream:
    def __init__(self, stream: Any):
        self._stream = stream

    def _guard(self, name: str, *args: Any) -> Any:
        try:
            return getattr(self._stream, name)(*args)
        except HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - any server's read error on a bad body
            raise BadRequest(MESSAGE) from exc

    def read(self, *args: Any) -> bytes:
        return self._guard("read", *args)

    def readline(self, *args: Any) -> bytes:
        return self._guard("readline", *args)

    def readlines(self, *args: Any) -> list[bytes]:
        return self._guard("readlines", *args)

    def __iter__(self):
        while line := self.readline():
            yield line

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._stream, name)  # AttributeError when the server's stream lacks it
        if name == "readinto":  # werkzeug uses it only when the stream has it (gunicorn's has not)
            return lambda *args: self._guard("readinto", *args)
        return attribute


class GuardedInput:
    """WSGI middleware: `app.wsgi_app = GuardedInput(app.wsgi_app)`."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict, start_response: Any) -> Any:
        stream = environ.get("wsgi.input")
        if stream is not None:
            environ["wsgi.input"] = _GuardedStream(stream)
        return self.app(environ, start_response)
