"""API: cases."""

from . import bp  # noqa: F401
