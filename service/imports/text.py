"""Text as agencies type it: width, spacing, tick glyphs, dates and ordinals.

Every function here keeps the length of the text it normalises, so that a match found in the
normalised text slices the same characters out of the original.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

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


@lru_cache(maxsize=65536)
def _char_cached(c: str) -> str:
    return _char(c)


def fold(text: str) -> str:
    """The comparable form of ``text``: half width, 其它 as 其他, tick glyphs as marks.

    The result has exactly the length of ``text``.
    """
    out = "".join(_char_cached(c) for c in text)
    for variant, usual in _VARIANTS.items():
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


_YMD = re.compile(r"(\d{4})\s*(?:年|[./\-])\s*(\d{1,2})\s*(?:月|[./\-])\s*(\d{1,2})\s*日?")
_YM = re.compile(r"(\d{4})\s*(?:年|[./\-])\s*(\d{1,2})\s*月?")
_COMPACT = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")


def find_date(text: str) -> tuple[str, tuple[int, int]] | None:
    """The first date written in ``text`` as YYYY-MM-DD, with where it stood; or None.

    Reads 2023年5月8日, 2023.5.8, 2023/05/08, 2023-5-8 and 20230508.
    """
    folded = fold(text)
    for pattern in (_YMD, _COMPACT):
        for m in pattern.finditer(folded):
            try:
                day = date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                continue
            return day.isoformat(), m.span()
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
    """A year and month (出生年月: 1961年3月, 1961.03, 1961-3, 1961/03) as YYYY-MM, or None."""
    folded = strip_value(fold(text))
    m = _YM.fullmatch(folded) or _YMD.fullmatch(folded)
    if not m or not 1 <= int(m[2]) <= 12:
        return None
    return f"{int(m[1]):04d}-{int(m[2]):02d}"


def parse_integer(text: str, *, prefix: str = "", suffix: str = "") -> int | None:
    """A whole number written alone or inside its printed frame (第 3 次, 63岁), or None."""
    folded = strip_value(fold(text))
    before = f"(?:{re.escape(fold(prefix))})?" if prefix else ""
    after = f"(?:{re.escape(fold(suffix))})?" if suffix else ""
    pattern = before + r"\s*(\d{1,6})\s*" + after + r"\s*(?:岁|周岁)?"
    m = re.fullmatch(pattern, folded)
    return int(m[1]) if m else None


def parse_time(text: str) -> str:
    """A time or time span with half-width digits and a plain hyphen (14:30-15:30)."""
    folded = strip_value(fold(text))
    folded = re.sub(r"\s*(?:-|至|到)\s*", "-", folded)
    return re.sub(r"(\d{1,2})\s*[:点時时]\s*(\d{2})分?", r"\1:\2", folded)
