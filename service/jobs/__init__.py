"""What runs on the task queue, and the only place that joins engines with records.

Tasks run in ``huey_consumer service.consumer.huey`` processes; ``service.consumer`` gives
them the application, built once a process (see :func:`app_context`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

_factory: Callable[[], Flask] | None = None
_app: Flask | None = None


def serve_with(factory: Callable[[], Flask]) -> None:
    """Build this worker process's application with ``factory`` when a task first needs it."""
    global _factory
    _factory = factory


@contextmanager
def app_context() -> Iterator[Flask]:
    """The current application, or one built once per worker process."""
    global _app
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if _app is None:
        if _factory is None:
            raise RuntimeError("a task ran outside an application: start the queue workers "
                               "as `huey_consumer service.consumer.huey`")
        _app = _factory()
    with _app.app_context():
        yield _app
