"""Checking and normalising a filled form against its declaration.

Pure functions: a dict in, a normalised dict and a list of :class:`Problem` out. Messages are
English message ids (marked with :func:`N_` for extraction); the layer that talks to a person
translates them, so the same check serves the web form, the API, the CLI and the importer.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .model import MAX_IMAGE_CHARS, MAX_LENGTH, Annex, DateOrder, Field, Kind, RequiredWhen


def N_(message: str) -> str:  # noqa: N802 - the conventional name for a deferred msgid
    """Mark a message id for the catalogs without translating it here."""
    return message


REQUIRED = N_("This field is required.")
UNKNOWN = N_("This is not a field of the form.")
NOT_TEXT = N_("Expected text.")
TOO_LONG = N_("At most %(max)s characters.")
BAD_CHARS = N_("Contains control characters that cannot be stored.")
BAD_DATE = N_("Not a valid date: write it as 2024-05-08.")
NO_SUCH_DATE = N_("%(value)s is not a date that exists.")
DATE_RANGE = N_("The date must lie between 1900 and 2100.")
IN_FUTURE = N_("This date cannot be in the future (today is %(today)s).")
BAD_MONTH = N_("Not a valid year and month: write it as 1961-03.")
BAD_TIME = N_("Not a valid time: write it as 14:30 or 14:30-15:30.")
NOT_INTEGER = N_("Not a whole number.")
OUT_OF_RANGE = N_("Must be between %(min)s and %(max)s.")
NOT_AN_OPTION = N_("%(value)s is not one of the options.")
ONE_ONLY = N_("Tick one option only.")
NOTE_NEEDED = N_("Please fill in the text for %(option)s.")
NOTE_UNWANTED = N_("Only fill this in when %(option)s is ticked.")
BAD_IMAGE = N_("Not a valid picture.")
AGE_MISMATCH = N_("The age does not follow from the birth month (%(age)s).")
DATE_BACKWARDS = N_("%(later)s cannot be before %(earlier)s.")
REQUIRED_WHEN = N_("Required when %(field)s is %(value)s.")
BAD_ROW = N_("Each row of the table must be a set of its columns.")
TIME_BACKWARDS = N_("The end time cannot be before the start time.")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?:\s*[-–~至]\s*([01]?\d|2[0-3]):([0-5]\d))?$")
_PNG_URL = "data:image/png;base64,"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_AGE = 130
MAX_ORDINAL = 10_000
MAX_TABLE_ROWS = 200
#: Where the forms are filled (the standard is Guangzhou's): "today" is the date there.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    """Today's date where the forms are filled."""
    return datetime.now(LOCAL_ZONE).date()


@dataclass(frozen=True)
class Problem:
    """What is wrong with one value: the data key, a message id and its parameters."""

    key: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class _Checker:
    """Collects problems while normalising one form's data."""

    def __init__(self, annex: Annex, today: date) -> None:
        self.annex = annex
        self.today = today
        self.problems: list[Problem] = []

    def fail(self, key: str, message: str, **params: Any) -> None:
        self.problems.append(Problem(key, message, params))

    def text(self, key: str, value: Any, kind: Kind) -> str:
        if value is None:
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.fail(key, NOT_TEXT)
            return ""
        value = value.replace("\r\n", "\n").strip()
        limit = _max_length(kind)
        if limit and len(value) > limit:
            self.fail(key, TOO_LONG, max=limit)
        if _CONTROL.search(value):
            self.fail(key, BAD_CHARS)
        return value

    def date(self, key: str, value: Any, past_only: bool = False) -> str:
        value = self.text(key, value, Kind.TEXT)
        if not value:
            return ""
        m = _DATE.match(value)
        if not m:
            self.fail(key, BAD_DATE)
            return value
        try:
            parsed = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            self.fail(key, NO_SUCH_DATE, value=value)
            return value
        if not 1900 <= parsed.year <= 2100:
            self.fail(key, DATE_RANGE)
        elif past_only and parsed > self.today:
            self.fail(key, IN_FUTURE, today=self.today.isoformat())
        return parsed.isoformat()

    def year_month(self, key: str, value: Any, past_only: bool = False) -> str:
        value = self.text(key, value, Kind.TEXT)
        if not value:
            return ""
        m = _MONTH.match(value)
        if not m or not 1 <= int(m[2]) <= 12:
            self.fail(key, BAD_MONTH)
            return value
        if not 1900 <= int(m[1]) <= 2100:
            self.fail(key, DATE_RANGE)
        elif past_only and (int(m[1]), int(m[2])) > (self.today.year, self.today.month):
            self.fail(key, IN_FUTURE, today=self.today.isoformat())
        return f"{int(m[1]):04d}-{int(m[2]):02d}"

    def time(self, key: str, value: Any) -> str:
        value = self.text(key, value, Kind.TIME)
        m = _TIME.match(value) if value else None
        if value and not m:
            self.fail(key, BAD_TIME)
        elif m and m[3] is not None:
            start, end = (int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4]))
            if end < start:
                self.fail(key, TIME_BACKWARDS)
        return value

    def integer(self, key: str, value: Any, low: int, high: int) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, NOT_INTEGER)
            return None
        if not low <= value <= high:
            self.fail(key, OUT_OF_RANGE, min=low, max=high)
        return value

    def image(self, key: str, value: Any) -> str:
        if value in (None, ""):
            return ""
        if not isinstance(value, str) or not value.startswith(_PNG_URL):
            self.fail(key, BAD_IMAGE)
            return ""
        if len(value) > MAX_IMAGE_CHARS:
            self.fail(key, BAD_IMAGE)
            return ""
        try:
            raw = base64.b64decode(value[len(_PNG_URL):], validate=True)
        except (binascii.Error, ValueError):
            self.fail(key, BAD_IMAGE)
            return ""
        if not raw.startswith(_PNG_MAGIC):
            self.fail(key, BAD_IMAGE)
            return ""
        return value

    def signature(self, f: Field, value: Any) -> dict[str, str]:
        if value in (None, ""):
            value = {}
        if not isinstance(value, dict):
            self.fail(f.name, BAD_IMAGE)
            return {}
        allowed = {"image", "date", "name"} | ({"remark"} if f.with_remark else set())
        for extra in set(value) - allowed:
            self.fail(f"{f.name}.{extra}", UNKNOWN)
        out = {
            "image": self.image(f"{f.name}.image", value.get("image")),
            "date": self.date(f"{f.name}.date", value.get("date"), f.past_only),
            "name": self.text(f"{f.name}.name", value.get("name"), Kind.TEXT),
        }
        if f.with_remark:
            out["remark"] = self.text(f"{f.name}.remark", value.get("remark"), Kind.LONGTEXT)
        return {k: v for k, v in out.items() if v}

    def choice(self, f: Field, value: Any) -> str | list[str]:
        if f.kind is Kind.ONE_OF:
            if isinstance(value, list):
                if len(value) > 1:
                    self.fail(f.name, ONE_ONLY)
                    return [self.text(f.name, v, Kind.TEXT) for v in value]
                value = value[0] if value else ""
            value = self.text(f.name, value, Kind.TEXT)
            if value and f.option(value) is None:
                self.fail(f.name, NOT_AN_OPTION, value=value)
            return value
        if value in (None, ""):
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(f.name, NOT_TEXT)
            return []
        chosen = [self.text(f.name, v, Kind.TEXT) for v in value]
        for v in chosen:
            if f.option(v) is None:
                self.fail(f.name, NOT_AN_OPTION, value=v)
        order = f.option_texts
        return sorted(dict.fromkeys(chosen), key=lambda v: order.index(v) if v in order else 99)

    def table(self, f: Field, value: Any) -> list[dict[str, Any]]:
        if value in (None, ""):
            return []
        if not isinstance(value, list) or len(value) > MAX_TABLE_ROWS:
            self.fail(f.name, BAD_ROW)
            return []
        rows: list[dict[str, Any]] = []
        for i, row in enumerate(value):
            if not isinstance(row, dict):
                self.fail(f"{f.name}.{i}", BAD_ROW)
                continue
            names = {c.name for c in f.columns} | {c.choice_key for c in f.columns
                                                    if c.choice_key}
            for extra in set(row) - names:
                self.fail(f"{f.name}.{i}.{extra}", UNKNOWN)
            cleaned: dict[str, Any] = {}
            for c in f.columns:
                key = f"{f.name}.{i}.{c.name}"
                if c.kind is Kind.INTEGER:
                    cleaned[c.name] = self.integer(key, row.get(c.name), 1, MAX_TABLE_ROWS)
                else:
                    cleaned[c.name] = self.text(key, row.get(c.name), c.kind)
                if c.choice_key:
                    choice_key = f"{f.name}.{i}.{c.choice_key}"
                    chosen = self.text(choice_key, row.get(c.choice_key), Kind.TEXT)
                    if chosen and c.option(chosen) is None:
                        self.fail(choice_key, NOT_AN_OPTION, value=chosen)
                    cleaned[c.choice_key] = chosen
            if any(v not in (None, "") for k, v in cleaned.items() if k != "seq"):
                rows.append(cleaned)
        for n, row in enumerate(rows, start=1):
            row["seq"] = n  # 序号 numbers the rows kept, in order
        return rows


def time_span_minutes(value: str | None) -> int | None:
    """The minutes between a TIME value's start and end (``14:30-15:45`` is 75); None for a
    single time, an empty or an unreadable value, so older records that give one time still
    read."""
    m = _TIME.match((value or "").strip())
    if not m or m[3] is None:
        return None
    minutes = int(m[3]) * 60 + int(m[4]) - int(m[1]) * 60 - int(m[2])
    return minutes if minutes >= 0 else None


def _max_length(kind: Kind) -> int:
    return MAX_LENGTH.get(kind, MAX_LENGTH[Kind.TEXT])


def age_at(birth_month: str, on: str | None) -> int | None:
    """Whole years from a YYYY-MM birth month to a YYYY-MM-DD day (or today)."""
    m = _MONTH.match(birth_month or "")
    if not m:
        return None
    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        return None
    years = day.year - int(m[1]) - (1 if day.month < int(m[2]) else 0)
    return years if 0 <= years <= MAX_AGE else None


def clean(annex: Annex, data: dict[str, Any], *, submit: bool = True,
          today: date | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """Normalise ``data`` for ``annex`` and list what is wrong with it.

    With ``submit`` false (a draft) empty required fields are not problems; everything else is
    checked the same way, so a draft never stores a value that a submission would reject.
    A ``past_only`` date after ``today`` (default: today where the forms are filled) is refused.
    """
    check = _Checker(annex, today or local_today())
    if not isinstance(data, dict):
        check.fail("", NOT_TEXT)
        return {}, check.problems
    for key in set(data) - set(annex.data_keys):
        check.fail(key, UNKNOWN)
    out: dict[str, Any] = {}
    for f in annex:
        out[f.name] = _clean_value(check, f, data.get(f.name))
        for option in f.notes:
            assert option.note
            out[option.note] = check.text(option.note, data.get(option.note), Kind.TEXT)
    _check_write_ins(check, annex, out)
    _derive(check, annex, out)
    _check_rules(check, annex, out)
    if submit:
        for f in annex:
            if f.required and out.get(f.name) in (None, "", [], {}):
                check.fail(f.name, REQUIRED)
    return out, check.problems


def _clean_value(check: _Checker, f: Field, value: Any) -> Any:
    match f.kind:
        case Kind.TEXT | Kind.LONGTEXT | Kind.PHONE:
            return check.text(f.name, value, f.kind)
        case Kind.DATE:
            return check.date(f.name, value, f.past_only)
        case Kind.YEAR_MONTH:
            return check.year_month(f.name, value, f.past_only)
        case Kind.TIME:
            return check.time(f.name, value)
        case Kind.INTEGER:
            return check.integer(f.name, value, 0, MAX_AGE)
        case Kind.ORDINAL:
            return check.integer(f.name, value, 1, MAX_ORDINAL)
        case Kind.ONE_OF | Kind.ANY_OF:
            return check.choice(f, value)
        case Kind.SIGNATURE:
            return check.signature(f, value)
        case Kind.IMAGE:
            return check.image(f.name, value)
        case Kind.TABLE:
            return check.table(f, value)
    raise AssertionError(f.kind)


def _ticked(value: Any) -> set[str]:
    if isinstance(value, list):
        return set(value)
    return {value} if isinstance(value, str) and value else set()


def _check_write_ins(check: _Checker, annex: Annex, out: dict[str, Any]) -> None:
    for f in annex:
        if not f.is_choice:
            continue
        ticked = _ticked(out.get(f.name))
        for option in f.notes:
            assert option.note
            note = out.get(option.note)
            if option.text in ticked and not note:
                check.fail(option.note, NOTE_NEEDED, option=option.text)
            elif note and option.text not in ticked:
                check.fail(option.note, NOTE_UNWANTED, option=option.text)


def _derive(check: _Checker, annex: Annex, out: dict[str, Any]) -> None:
    """Fill values that follow from others (年龄 from 出生年月), and catch contradictions."""
    for f in annex:
        if f.kind is Kind.INTEGER and len(f.derived_from) == 2:
            birth, on = (out.get(n) for n in f.derived_from)
            derived = age_at(birth, on) if birth else None
            if derived is None:
                continue
            if out.get(f.name) in (None, ""):
                out[f.name] = derived
            elif out[f.name] != derived:
                check.fail(f.name, AGE_MISMATCH, age=derived)


def _check_rules(check: _Checker, annex: Annex, out: dict[str, Any]) -> None:
    for rule in annex.rules:
        if isinstance(rule, DateOrder):
            earlier, later = out.get(rule.earlier), out.get(rule.later)
            if (earlier and later and _DATE.match(earlier) and _DATE.match(later)
                    and later < earlier):
                check.fail(rule.later, DATE_BACKWARDS, later=annex[rule.later].label,
                           earlier=annex[rule.earlier].label)
        elif (isinstance(rule, RequiredWhen) and out.get(rule.when) == rule.value
              and out.get(rule.field) in (None, "", [])):
            check.fail(rule.field, REQUIRED_WHEN, field=annex[rule.when].label,
                       value=rule.value)


def is_blank(value: Any) -> bool:
    """Whether a normalised value holds nothing."""
    return value in (None, "", [], {})
