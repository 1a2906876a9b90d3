"""What runs on the task queue, and the only place that joins engines with records.

Tasks run in `huey_consumer service.jobs.queue.huey` processes; each process builds the
application once (see :func:`app_context`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

_app: Flask | None = None


@contextmanager
def app_context() -> Iterator[Flask]:
    """The current application, or one built once per worker process."""
    global _app
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if _app is None:
        from .. import create_app

        _app = create_app()
    with _app.app_context():
        yield _app
