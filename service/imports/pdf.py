"""PDF files: fillable forms (AcroForm fields) are read; anything else is kept as a scan.

A field is named by its data key (the service's own forms), by its printed label, or by its
tooltip (``/TU``). A check box is named ``<label or key>.<option>``; a radio group by its label
with the option as its value. Nothing is guessed from the page text of a scan.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from ..annexes import ANNEXES, Field
from .choices import read_choice
from .evidence import Evidence
from .labels import FIELD, build_index, default_index, detect_annex
from .layout import convert
from .limits import Limits
from .reading import SCAN, ImportFailure, Reading, conclude
from .text import EMPTY, TICKED, squeeze

_OFF = {"", "/Off", "Off", "/0", "0", "/No", "No", "/false"}
_SPLIT = re.compile(r"^(.+)[._/:\-](.+)$")


def _open(data: bytes, limits: Limits) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ImportFailure("the PDF is password-protected")
        pages = len(reader.pages)
    except (FileNotDecryptedError, NotImplementedError):
        raise ImportFailure("the PDF is password-protected") from None
    except (PdfReadError, ValueError, KeyError, TypeError) as e:
        raise ImportFailure(f"the PDF is damaged ({e})") from None
    if pages > limits.pages:
        raise ImportFailure(f"the PDF has {pages} pages; at most {limits.pages}")
    return reader


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(_text(v) for v in value)
    text = str(value)
    return text[1:] if text.startswith("/") else text


def _fields(reader: PdfReader) -> list[tuple[str, str, str, str]]:
    """(name, tooltip, type, value) of every terminal field."""
    out = []
    for name, f in (reader.get_fields() or {}).items():
        kind = str(f.get("/FT", ""))
        if "/Kids" in f and kind == "":
            continue
        out.append((name, str(f.get("/TU", "") or ""), kind, f.get("/V")))
    return out


class _Resolver:
    """Finds the field of an annex that a PDF field name or tooltip stands for."""

    def __init__(self, code: str, aliases: Mapping[str, str] | None) -> None:
        self.annex = ANNEXES[code]
        self.index = build_index(self.annex, aliases) if aliases else default_index(code)

    def field(self, *names: str) -> Field | None:
        for name in names:
            if not name:
                continue
            key = name.rsplit(".", 1)[-1] if name.rsplit(".", 1)[-1] in self.annex else name
            if key in self.annex:
                return self.annex[key]
            target = self.index.targets.get(squeeze(name).strip(":"))
            if target is not None and target.kind == FIELD:
                return self.annex[target.name]
        return None


def _code(fields: list[tuple[str, str, str, str]], reader: PdfReader) -> str | None:
    scores = {code: sum(1 for n, *_ in fields if n.split(".")[0] in a.data_keys)
              for code, a in ANNEXES.items()}
    best = max(scores, key=lambda c: scores[c])
    if scores[best] >= 3:
        return best
    title = str(reader.metadata.get("/Title", "") or "") if reader.metadata else ""
    return detect_annex([title, *(n for n, *_ in fields), *(t for _, t, *_ in fields)])


def read_pdf(name: str, data: bytes, *, limits: Limits | None = None,
             aliases: Mapping[str, Mapping[str, str]] | None = None) -> Reading:
    """A fillable PDF's form, or a :data:`~.reading.SCAN` reading when it has no fields."""
    reader = _open(data, limits or Limits())
    fields = _fields(reader)
    if not fields:
        return Reading(name=name, kind=SCAN)
    code = _code(fields, reader)
    if code is None:
        raise ImportFailure("a fillable PDF whose fields are not those of Annex B, C or D")
    resolve = _Resolver(code, (aliases or {}).get(code))
    raw: dict[str, str] = {}
    boxes: dict[str, list[str]] = {}
    notes: dict[str, str] = {}
    warnings: list[str] = []
    unmapped: dict[str, str] = {}
    for full, tooltip, kind, value in fields:
        text = _text(value)
        if kind == "/Btn":
            _box(resolve, full, tooltip, value, boxes, unmapped)
            continue
        if full in resolve.annex.note_keys:
            notes[full] = text
            continue
        f = resolve.field(full, tooltip)
        if f is None:
            if text:
                unmapped[tooltip or full] = text
                warnings.append(f"label not recognised: {tooltip or full}")
            continue
        if f.is_choice:
            boxes.setdefault(f.name, []).append(TICKED + text)
        else:
            raw[f.name] = text
    out: dict[str, Any] = {}
    read: list[Evidence] = []

    def note(key: str, value: Any, more: list[str], snippet: str) -> None:
        reason = "; ".join(more)
        read.append(Evidence(key, value, 0.5 if reason else 1.0, bool(reason),
                             f"PDF field {key}", reason, snippet))

    for fname, text in raw.items():
        value, found, more = convert(resolve.annex[fname], text)
        out[fname] = value
        out.update(found)
        warnings.extend(more)
        note(fname, value, more, text)
    for fname, parts in boxes.items():
        choice = read_choice(resolve.annex[fname], " ".join(parts))
        out[fname] = choice.value
        out.update(choice.notes)
        warnings.extend(choice.warnings)
        note(fname, choice.value, choice.warnings, " ".join(parts))
    for key, text in notes.items():
        if text and not out.get(key):
            out[key] = text
        note(key, out.get(key), [], text)
    data_out, warnings, evidence = conclude(code, out, warnings, read)
    return Reading(name=name, annex=code, data=data_out, warnings=warnings, unmapped=unmapped,
                   evidence=evidence)


def _box(resolve: _Resolver, full: str, tooltip: str, value: Any,
         boxes: dict[str, list[str]], unmapped: dict[str, str]) -> None:
    """One check box or radio group, as a mark and its option text."""
    on = _text(value) not in {v.lstrip("/") for v in _OFF} and value is not None
    f = resolve.field(full, tooltip)
    if f is not None and f.is_choice:  # a radio group: the value is the option
        if on:
            boxes.setdefault(f.name, []).append(TICKED + _text(value))
        return
    m = _SPLIT.match(full)
    f = resolve.field(m[1]) if m else None
    if m is None or f is None or not f.is_choice:
        unmapped[tooltip or full] = "on" if on else "off"
        return
    boxes.setdefault(f.name, []).append((TICKED if on else EMPTY) + m[2])
