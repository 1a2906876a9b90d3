"""API: documents."""

from . import bp  # noqa: F401
