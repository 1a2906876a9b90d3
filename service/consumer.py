"""The queue workers' entry point, as ``create_app()`` is the web processes':
``huey_consumer service.consumer.huey`` (the Procfile's ``worker``). It loads every task and
gives the tasks the application they run in, built once a process."""

from __future__ import annotations

from . import create_app
from .jobs import serve_with
from .jobs.tasks import huey

serve_with(create_app)

__all__ = ["huey"]
