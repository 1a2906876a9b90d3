"""Periods a director reports on: a year, a quarter, a month, or any two dates."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from ..i18n import MessageError


def N_(message: str) -> str:  # noqa: N802 - the conventional name for a deferred msgid
    """Mark a message id for the catalogs; it is translated where it is shown."""
    return message


class PeriodError(MessageError, ValueError):
    """A period that cannot be read."""


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(N_("The end of the period cannot be before its start."))

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def month(year: int, number: int) -> Period:
    """One calendar month."""
    return Period(date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1]))


def quarter(year: int, number: int) -> Period:
    """One calendar quarter (1–4)."""
    first = 3 * (number - 1) + 1
    return Period(date(year, first, 1), month(year, first + 2).end)


def year(number: int) -> Period:
    """One calendar year."""
    return Period(date(number, 1, 1), date(number, 12, 31))


def previous_quarter(today: date) -> Period:
    """The last whole quarter before ``today``."""
    q = (today.month - 1) // 3 + 1
    return quarter(today.year - 1, 4) if q == 1 else quarter(today.year, q - 1)


_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_period(text: str) -> Period:
    """``2024``, ``2024-Q2`` or ``2024-05`` as a period; PeriodError otherwise."""
    text = (text or "").strip()
    try:
        if m := _YEAR.match(text):
            return year(int(m[1]))
        if m := _QUARTER.match(text):
            return quarter(int(m[1]), int(m[2]))
        if m := _MONTH.match(text):
            return month(int(m[1]), int(m[2]))
    except ValueError as exc:
        raise PeriodError(N_("Not a period: write 2024, 2024-Q2 or 2024-05.")) from exc
    raise PeriodError(N_("Not a period: write 2024, 2024-Q2 or 2024-05."))


def between(start: str, end: str) -> Period:
    """The period between two ISO dates; PeriodError when either is not a date."""
    try:
        return Period(date.fromisoformat(start.strip()), date.fromisoformat(end.strip()))
    except (ValueError, AttributeError) as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(N_("Not a valid date: write it as 2024-05-08.")) from exc
