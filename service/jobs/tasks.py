"""The consumer's entry point: `huey_consumer service.jobs.tasks.huey` loads every task."""

from . import archive, documents, imports  # noqa: F401  (tasks register on import)
from .queue import huey

__all__ = ["huey"]
