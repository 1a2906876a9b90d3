"""JSON Schema and example data derived from an annex declaration."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

from .model import MAX_IMAGE_CHARS, MAX_LENGTH, Annex, Field, Kind, Option
from .validate import MAX_AGE, MAX_ORDINAL, MAX_TABLE_ROWS

SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_PNG_PATTERN = r"^data:image/png;base64,[A-Za-z0-9+/=]+$"


def _string(title: str, kind: Kind, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "title": title}
    if kind in MAX_LENGTH:
        schema["maxLength"] = MAX_LENGTH[kind]
    schema.update(extra)
    return schema


def _image(title: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "contentMediaType": "image/png",
            "pattern": _PNG_PATTERN, "maxLength": MAX_IMAGE_CHARS}


def field_schema(f: Field) -> dict[str, Any]:
    """The JSON Schema of one field's value."""
    match f.kind:
        case Kind.TEXT | Kind.LONGTEXT | Kind.PHONE | Kind.TIME:
            schema = _string(f.label, f.kind)
            if f.suggestions:
                schema["examples"] = list(f.suggestions)
            return schema
        case Kind.DATE:
            return {"type": "string", "title": f.label, "format": "date"}
        case Kind.YEAR_MONTH:
            return {"type": "string", "title": f.label, "pattern": _MONTH_PATTERN}
        case Kind.INTEGER:
            return {"type": "integer", "title": f.label, "minimum": 0, "maximum": MAX_AGE}
        case Kind.ORDINAL:
            return {"type": "integer", "title": f.label, "minimum": 1, "maximum": MAX_ORDINAL}
        case Kind.ONE_OF:
            return {"type": "string", "title": f.label, "enum": list(f.option_texts)}
        case Kind.ANY_OF:
            return {"type": "array", "title": f.label, "uniqueItems": True,
                    "items": {"type": "string", "enum": list(f.option_texts)}}
        case Kind.IMAGE:
            return _image(f.label)
        case Kind.SIGNATURE:
            props: dict[str, Any] = {
                "image": _image(f.label),
                "date": {"type": "string", "title": f.date_label or f.label, "format": "date"},
                "name": {**_string(f.label, Kind.TEXT),
                         "description": "the signer's name as typed, when nothing was drawn"},
            }
            if f.with_remark:
                props["remark"] = _string(f.label, Kind.LONGTEXT)
            return {"type": "object", "title": f.label, "properties": props,
                    "additionalProperties": False}
        case Kind.TABLE:
            columns = {
                c.name: ({"type": "integer", "title": c.label, "minimum": 1}
                         if c.kind is Kind.INTEGER else _string(c.label, c.kind))
                for c in f.columns
            }
            columns.update({
                c.choice_key: {"type": "string", "title": c.label,
                               "enum": ["", *(o.text for o in c.options)]}
                for c in f.columns if c.choice_key
            })
            return {"type": "array", "title": f.label, "maxItems": MAX_TABLE_ROWS,
                    "items": {"type": "object", "properties": columns,
                              "additionalProperties": False}}
    raise AssertionError(f.kind)


def write_in_title(option: Option) -> str:
    """The title of a write-in: its option as printed, without the trailing colon."""
    return option.printed.rstrip("：:") or option.text


def json_schema(annex: Annex) -> dict[str, Any]:
    """The JSON Schema (2020-12) of a filled form of ``annex``."""
    properties: dict[str, Any] = {}
    for f in annex:
        properties[f.name] = field_schema(f)
        for option in f.notes:
            assert option.note
            properties[option.note] = _string(write_in_title(option), Kind.TEXT,
                                              description=f"{f.label}：{option.text}")
    return {
        "$schema": SCHEMA_DRAFT,
        "$id": f"urn:petition-casework:annex:{annex.code}",
        "title": annex.title,
        "type": "object",
        "properties": properties,
        "required": [f.name for f in annex if f.required],
        "additionalProperties": False,
    }


def tiny_png(width: int = 60, height: int = 20) -> str:
    """A small black-on-white stroke as a PNG data URL: an example signature."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            on_stroke = abs(y - (height // 2 + (x % 12) - 6)) <= 1
            row.extend((0, 0, 0) if on_stroke else (255, 255, 255))
        rows.append(bytes(row))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(
            ">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"".join(rows)))
           + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
