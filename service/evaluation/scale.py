"""The degree of change (7.1.5 评估服务对象改变程度): one short scale, rated before and after."""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:  # noqa: N802 - the conventional name for a deferred msgid
    """Mark a text for the catalogs; the page translates it."""
    return message


@dataclass(frozen=True)
class Point:
    """One point of the scale: its value and the words a worker chooses."""

    value: int
    text: str


#: The scale's name, as the evaluation method names it.
CHANGE_LABEL = N_("改变程度")
BEFORE_LABEL = N_("服务前")
AFTER_LABEL = N_("服务后")

#: Five points, worst first. A case's change is ``after - before`` (from -4 to 4).
CHANGE_SCALE: tuple[Point, ...] = (
    Point(1, N_("很差")),
    Point(2, N_("较差")),
    Point(3, N_("一般")),
    Point(4, N_("较好")),
    Point(5, N_("很好")),
)
CHANGE_VALUES = frozenset(p.value for p in CHANGE_SCALE)


def point(value: int | None) -> Point | None:
    """The point with this value, or None."""
    return next((p for p in CHANGE_SCALE if p.value == value), None)


def texts() -> list[str]:
    """Every text of the scale, for the catalogs."""
    return [CHANGE_LABEL, BEFORE_LABEL, AFTER_LABEL, *(p.text for p in CHANGE_SCALE)]
