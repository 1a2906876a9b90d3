"""API: openapi."""

from . import bp  # noqa: F401
