"""When a closed case's follow-ups fall due (7.1.5 服务的结束与跟进)."""

from __future__ import annotations

import calendar
from datetime import date

#: By default a case is followed up one and three months after it closes.
DEFAULT_MONTHS: tuple[int, ...] = (1, 3)


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on (31 January + 1 month is 28/29 February)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_dates(closed_on: date, months: tuple[int, ...] = DEFAULT_MONTHS) -> list[date]:
    """The follow-up dates of a case closed on ``closed_on``, earliest first."""
    return sorted({add_months(closed_on, m) for m in months if m > 0})


def parse_months(text: str) -> tuple[int, ...]:
    """``"1,3"`` as (1, 3): the FOLLOWUP_MONTHS setting; ValueError when it is not whole
    months from 1 to 60."""
    months = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    if not months or any(not 1 <= m <= 60 for m in months):
        raise ValueError(f"FOLLOWUP_MONTHS must be whole months from 1 to 60: {text!r}")
    return months
