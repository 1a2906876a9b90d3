"""Text as agencies type it: width, spacing, tick glyphs, dates and ordinals.

Every function here keeps the length of the text it normalises, so that a match found in the
normalised text slices the same characters out of the original.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

#: Private-use characters that stand for a ticked and an empty box once a reader has decoded
#: whatever encoding the file used (glyph, symbol font, content control, form field).
TICKED = "\ue001"
EMPTY = "\ue000"
MARKS = TICKED + EMPTY

#: Private-use characters around a run set apart by formatting alone (the docx reader writes
#: them; :func:`fold` sees them as spaces and :func:`plain` drops them).
FORMAT_NAMES = {"\ue010": "bold", "\ue011": "underline", "\ue012": "highlight",
                "\ue013": "shading", "\ue014": "colour"}
FORMAT_END = "\ue01f"
FORMAT_MARKS = "".join(FORMAT_NAMES) + FORMAT_END

_TICKED_GLYPHS = "☑☒■√✓✔✅⊠▣⌧🗹🗸🗷✗✘"
_EMPTY_GLYPHS = "□☐▢"
_GLYPHS = {**dict.fromkeys(_TICKED_GLYPHS, TICKED), **dict.fromkeys(_EMPTY_GLYPHS, EMPTY)}

#: Symbol-font characters (low byte of w:sym/@w:char, or the character typed in the font).
SYMBOL_FONTS: dict[str, dict[int, str]] = {
    "wingdings": {0xFE: TICKED, 0xFD: TICKED, 0x78: TICKED, 0xFC: TICKED,
                  0xA8: EMPTY, 0x6F: EMPTY, 0x71: EMPTY},
    "wingdings 2": {0x52: TICKED, 0x53: TICKED, 0x54: TICKED, 0x50: TICKED,
                    0xA3: EMPTY, 0x2A: EMPTY},
    "wingdings 3": {},
    "symbol": {0xD6: TICKED},  # the radical sign offices type as √
    "webdings": {0x61: TICKED, 0x63: EMPTY, 0x67: TICKED},
    "ms gothic": {},
}

_SPACE = " \t\u3000\xa0\n\r"
_VARIANTS = {"其它": "其他"}
_PUNCT_EDGE = " \t\u3000\xa0\n\r:：_＿,，;；、|" + FORMAT_MARKS


def _char(c: str) -> str:
    if c in _GLYPHS:
        return _GLYPHS[c]
    if c in FORMAT_MARKS:
        return " "
    n = unicodedata.normalize("NFKC", c)
    if len(n) != 1:
        return c
    if n in "—–―~〜～":
        return "-"
    return n


class _FoldTable(dict[int, str]):
    """``str.translate`` table of :func:`_char`, filled as characters are met."""

    def __missing__(self, code: int) -> str:
        folded = _char(chr(code))
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """The comparable form of ``text``: half width, 其它 as 其他, tick glyphs as marks.

    The result has exactly the length of ``text``.
    """
    out = text.translate(_FOLD)
    for variant, usual in _VARIANTS.items():
        if variant in out:
            out = out.replace(variant, usual)
    return out


def plain(text: str) -> str:
    """``text`` without the formatting marks a reader put in (not length-keeping)."""
    if not any(c in text for c in FORMAT_MARKS):
        return text
    return "".join(c for c in text if c not in FORMAT_MARKS)


def squeeze(text: str) -> str:
    """``fold(text)`` without any white space: the key labels are compared by."""
    return re.sub(r"\s+", "", fold(text))


def strip_value(text: str) -> str:
    """A value as written, minus the colons, blanks and underlines around it."""
    return text.strip(_PUNCT_EDGE).strip()


def spaced_pattern(text: str) -> str:
    """A regular expression matching ``fold(text)`` with any white space between characters."""
    chars = [c for c in fold(text) if not c.isspace()]
    return r"\s*".join(re.escape(c) for c in chars)


_YMD = re.compile(r"(?<!\d)(\d{4})\s*(?:年|[./\-])\s*(\d{1,2})\s*(?:月|[./\-])\s*(\d{1,2})(?!\d)"
                  r"\s*[日号]?")
_YM = re.compile(r"(\d{4})\s*(?:年|[./\-])\s*(\d{1,2})\s*月?")
_COMPACT = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")
_SHORT = re.compile(r"(?<![\d.])(\d{2})\s*([./\-])\s*(\d{1,2})\s*\2\s*(\d{1,2})(?![\d.])")
_CN_DIGITS = {c: n for n, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "O": 0}
_CN_NUMBER = "〇零○一二三四五六七八九十两"
_CN_DATE = re.compile(f"([{_CN_NUMBER}O]{{4}})\\s*年\\s*([{_CN_NUMBER}]{{1,3}})\\s*月"
                      f"(?:\\s*([{_CN_NUMBER}]{{1,3}})\\s*[日号])?")


def chinese_number(text: str) -> int | None:
    """一 to 九十九 (十二, 二十, 廿 not read), as months, days and 第__次 are written."""
    text = text.strip()
    if not text:
        return None
    if "十" not in text:
        digits = [_CN_DIGITS.get(c, 2 if c == "两" else None) for c in text]
        if None in digits:
            return None
        n = 0
        for d in digits:
            n = n * 10 + d  # type: ignore[operator]
        return n
    tens, _, ones = text.partition("十")
    t = chinese_number(tens) if tens else 1
    o = chinese_number(ones) if ones else 0
    return None if t is None or o is None else t * 10 + o


def _century(yy: int) -> int:
    """A two-digit year in this century unless that is more than a year ahead."""
    this = date.today().year
    year = 2000 + yy
    return year if year <= this + 1 else 1900 + yy


def _dates(folded: str) -> list[tuple[int, int, int, tuple[int, int], bool]]:
    """Every date written in ``folded``: (year, month, day, span, short), in order.

    ``day`` is 0 when only a year and month are written in Chinese numerals; ``short`` marks a
    two-digit year.
    """
    out: list[tuple[int, int, int, tuple[int, int], bool]] = []
    for m in _YMD.finditer(folded):
        out.append((int(m[1]), int(m[2]), int(m[3]), m.span(), False))
    for m in _COMPACT.finditer(folded):
        out.append((int(m[1]), int(m[2]), int(m[3]), m.span(), False))
    for m in _SHORT.finditer(folded):
        out.append((_century(int(m[1])), int(m[3]), int(m[4]), m.span(), True))
    for m in _CN_DATE.finditer(folded):
        y, mo = chinese_number(m[1]), chinese_number(m[2])
        d = chinese_number(m[3]) if m[3] else 0
        if y is not None and mo is not None and d is not None:
            out.append((y, mo, d, m.span(), False))
    out.sort(key=lambda x: x[3][0])
    return out


def find_date(text: str) -> tuple[str, tuple[int, int]] | None:
    """The first date written in ``text`` as YYYY-MM-DD, with where it stood; or None.

    Reads 2023年5月8日, 2023.5.8, 2023/05/08, 2023-5-8, 20230508, 23/9/4 (year first, as dates
    are written here) and 二〇二三年五月八日.
    """
    folded = fold(text)
    for y, m, d, span, _ in _dates(folded):
        if not d:
            continue
        try:
            day = date(y, m, d)
        except ValueError:
            continue
        return day.isoformat(), span
    return None


def parse_date(text: str) -> str | None:
    """``text`` as YYYY-MM-DD when it holds one date and nothing else of substance."""
    found = find_date(text)
    if not found:
        return None
    iso, (start, end) = found
    rest = strip_value(fold(text)[:start] + fold(text)[end:])
    return iso if not rest else None


def parse_year_month(text: str) -> str | None:
    """A year and month (出生年月: 1961年3月, 1961.03, 1961-3, 1961/03, 一九六一年三月) as
    YYYY-MM, or None."""
    folded = strip_value(fold(text))
    m = _YM.fullmatch(folded) or _YMD.fullmatch(folded)
    if m and 1 <= int(m[2]) <= 12:
        return f"{int(m[1]):04d}-{int(m[2]):02d}"
    c = _CN_DATE.fullmatch(folded)
    if c and not c[3]:
        y, mo = chinese_number(c[1]), chinese_number(c[2])
        if y and mo and 1 <= mo <= 12:
            return f"{y:04d}-{mo:02d}"
    return None


def parse_integer(text: str, *, prefix: str = "", suffix: str = "") -> int | None:
    """A whole number written alone or inside its printed frame (第 3 次, 第三次, 三, 63岁),
    or None."""
    folded = strip_value(fold(text))
    before = f"(?:{re.escape(fold(prefix))})?" if prefix else ""
    after = f"(?:{re.escape(fold(suffix))})?" if suffix else ""
    pattern = before + r"\s*(\d{1,6}|[一二三四五六七八九十两]{1,3})\s*" + after + r"\s*(?:岁|周岁)?"
    m = re.fullmatch(pattern, folded)
    if not m:
        return None
    return int(m[1]) if m[1].isdigit() else chinese_number(m[1])


def parse_time(text: str) -> str:
    """A time or time span with half-width digits and a plain hyphen (14:30-15:30)."""
    folded = strip_value(fold(text))
    folded = re.sub(r"\s*(?:-|至|到)\s*", "-", folded)
    return re.sub(r"(\d{1,2})\s*[:点時时]\s*(\d{2})分?", r"\1:\2", folded)
