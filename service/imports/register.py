"""Case registers (CSV, XLSX): one case a row, under a header row of labels.

The header row is the first row in which at least two cells are labels (or data keys) of one
annex; each later row with anything in it is read as one form of that annex.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from typing import Any

from ..annexes import ANNEXES, Annex, Field, Kind, Option
from .choices import read_listed
from .evidence import Evidence
from .labels import FIELD, bare_label, build_index, default_index, detect_annex
from .layout import convert
from .limits import Limits
from .reading import ImportFailure, Reading, conclude
from .synonyms import Synonyms
from .text import squeeze

_HEADER_SCAN = 10


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFailure("the CSV is neither UTF-8 nor GB18030 text")
    yield from csv.reader(io.StringIO(text, newline=""))


def _xlsx_rows(data: bytes, limits: Limits) -> Iterator[list[str]]:
    import zipfile

    from openpyxl import load_workbook

    from .limits import check_zip

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            check_zip(package, limits)
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except zipfile.BadZipFile:
        raise ImportFailure("the spreadsheet is password-protected or damaged") from None
    except (KeyError, ValueError, OSError) as e:
        raise ImportFailure(f"the spreadsheet is damaged ({e})") from None
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
    finally:
        book.close()


def _note_headers(annex: Annex) -> dict[str, tuple[Field, Option]]:
    heads: dict[str, tuple[Field, Option]] = {}
    for f in annex:
        for option in f.notes:
            assert option.note
            for text in (option.note, f.label + option.text, f.label + option.printed,
                         f"{f.label}({option.text})", f"{f.label}（{option.text}）"):
                heads[squeeze(text).strip(":")] = (f, option)
    return heads


def _column(annex: Annex, aliases: Mapping[str, str] | None, header: str
            ) -> Field | tuple[Field, Option] | None:
    if header in annex:
        return annex[header]
    index = build_index(annex, aliases) if aliases else default_index(annex.code)
    key = bare_label(header)
    target = index.targets.get(key)
    if target is not None and target.kind == FIELD:
        return annex[target.name]
    return _note_headers(annex).get(key) or _note_headers(annex).get(squeeze(header).strip(":"))


def _header(rows: list[list[str]], aliases: Mapping[str, Mapping[str, str]]
            ) -> tuple[int, str] | None:
    titled = detect_annex(" ".join(r) for r in rows[:_HEADER_SCAN])
    for n, row in enumerate(rows[:_HEADER_SCAN]):
        scores = {code: sum(1 for h in row if h and _column(a, aliases.get(code), h))
                  for code, a in ANNEXES.items()}
        best = titled if titled and scores.get(titled, 0) >= 2 else max(
        scores, key=lambda code: scores[code])
        if scores[best] >= 2:
            return n, best
    return None


def _letter(n: int) -> str:
    """The spreadsheet's name of column ``n`` (0 -> A, 26 -> AA)."""
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _row(annex: Annex, columns: list[Any], headers: list[str], values: list[str], row: int,
         synonyms: Synonyms | None = None
         ) -> tuple[dict[str, Any], list[str], dict[str, str], list[Evidence]]:
    data: dict[str, Any] = {}
    warnings: list[str] = []
    unmapped: dict[str, str] = {}
    evidence: list[Evidence] = []
    for n, (column, header, value) in enumerate(zip(columns, headers, values, strict=False)):
        if not value:
            continue
        where = f"row {row}, column {_letter(n)} ({header})"
        if column is None:
            if header:
                unmapped[header] = value
                warnings.append(f"label not recognised: {header}")
            continue
        if isinstance(column, tuple):
            data[column[1].note or ""] = value
            evidence.append(Evidence(column[1].note or "", value, 1.0, False, where, "", value))
            continue
        f: Field = column
        how = ""
        if f.is_choice:
            choice = read_listed(f, value, synonyms)
            data[f.name], found, more = choice.value, choice.notes, choice.warnings
            how = choice.via
        elif f.kind is Kind.SIGNATURE:
            converted, found, more = convert(f, value)
            data[f.name] = converted
        else:
            data[f.name], found, more = convert(f, value)
        for key, note in found.items():
            data.setdefault(key, note)
            evidence.append(Evidence(key, note, 0.95 if how else 1.0, False, where, how, value))
        warnings.extend(more)
        reason = "; ".join(more)
        evidence.append(Evidence(f.name, data[f.name], 0.5 if reason else 0.95 if how else 1.0,
                                 bool(reason), where, reason or how, value))
    return data, warnings, unmapped, evidence


def read_register(name: str, data: bytes, *, xlsx: bool, limits: Limits | None = None,
                  aliases: Mapping[str, Mapping[str, str]] | None = None,
                  synonyms: Synonyms | None = None) -> list[Reading]:
    """One reading per filled row of a register."""
    limits = limits or Limits()
    aliases = aliases or {}
    rows: list[list[str]] = []
    for row in (_xlsx_rows(data, limits) if xlsx else _csv_rows(data)):
        rows.append(row)
        if len(rows) > limits.rows:
            raise ImportFailure(f"the register has more than {limits.rows} rows")
    found = _header(rows, aliases)
    if found is None:
        raise ImportFailure("no header row of Annex B, C or D labels in the register")
    at, code = found
    annex = ANNEXES[code]
    headers = rows[at]
    columns = [_column(annex, aliases.get(code), h) if h else None for h in headers]
    readings = []
    for n, values in enumerate(rows[at + 1:], start=at + 2):
        if not any(v.strip() for v in values):
            continue
        form, warnings, unmapped, read = _row(annex, columns, headers, values, n, synonyms)
        form, warnings, evidence = conclude(code, form, warnings, read)
        readings.append(Reading(name=name, annex=code, data=form, warnings=warnings,
                                unmapped=unmapped, part=f"row {n}", evidence=evidence))
    return readings
