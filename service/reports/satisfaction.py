"""The satisfaction rate (7.1.5 评估服务对象满意度)."""

from __future__ import annotations

from typing import Any

from .figures import Scope


def rate(scope: Scope, group: str | None = None, visible: Any = None) -> dict[Any, Any]:
    """Surveys are not recorded yet: nothing counts, so the rate is None for every group."""
    return {"": None} if group is None else {}
