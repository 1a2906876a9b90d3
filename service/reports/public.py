"""What a published report (8.2 定期公开) may show: aggregates only, every count below 5
suppressed, no worker named."""

from __future__ import annotations

from typing import Any

#: Counts under this are printed as ``<5`` in anything published.
SUPPRESS_BELOW = 5
SUPPRESSED = "<5"
#: Figures that are counts (and so suppressed when small); the rest are rates, hours, means.
RATES = {"goal_achievement_rate", "satisfaction_rate", "median_days_to_close", "service_hours",
         "change_mean"}


def shown(key: str, value: Any) -> str:
    """A figure as a public report prints it."""
    if value is None:
        return "—"
    if key in RATES:
        if key.endswith("_rate"):
            return f"{value * 100:.1f}%"
        return f"{value:g}"
    return SUPPRESSED if int(value) < SUPPRESS_BELOW else str(int(value))


def count(value: int) -> str:
    """A count of a breakdown as a public report prints it."""
    return SUPPRESSED if value < SUPPRESS_BELOW else str(value)


def public_summary(data: dict[str, Any]) -> dict[str, Any]:
    """A summary without anything that names or singles out a person: no workers, no teams;
    places and breakdowns keep their counts (each suppressed when printed)."""
    return {k: v for k, v in data.items() if k not in ("by_worker", "by_team")}
