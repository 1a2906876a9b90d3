"""Every task, imported so that each registers with the queue; the workers' entry point
(``service.consumer``) loads them all through this module."""

from . import documents, notices, reports, surveys  # noqa: F401  (tasks register on import)
from .archive import tasks as archive_tasks  # noqa: F401
from .imports import runs as import_runs  # noqa: F401
from .queue import huey

__all__ = ["huey"]
