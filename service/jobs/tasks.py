"""The consumer's entry point: `huey_consumer service.jobs.tasks.huey` loads every task."""

from . import documents, notices, reports, surveys  # noqa: F401  (tasks register on import)
from .archive import tasks as archive_tasks  # noqa: F401
from .imports import runs as import_runs  # noqa: F401
from .queue import huey

__all__ = ["huey"]
