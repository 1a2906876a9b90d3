"""Declaration + filled form + a few facts about the copy -> the official Word document.

The templates in ``form_templates/`` hold the labels (derived from the declaration when they
were built) and docxtpl tags; this module builds the context those tags read: every value
escaped for XML (docxtpl renders with autoescape on), every option set in full with its boxes,
signatures and pictures as inline images, Annex D's goal rows.
"""

from __future__ import annotations

import base64
import functools
import io
import os
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, StrictUndefined, Template
from lxml import etree
from markupsafe import Markup, escape

from ..annexes import Annex, Field, Kind
from ..annexes.validate import Problem, clean
from .pagecode import PageCode, qr_png, template_version

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Where B.docx, C.docx and D.docx live; an agency may point FORM_TEMPLATES_DIR at its own.
TEMPLATES_DIR = Path(os.environ.get("FORM_TEMPLATES_DIR") or PROJECT_ROOT / "form_templates")

TICKED, UNTICKED = "\u2611", "\u2610"  # ☑ ☐
#: A write-in left empty prints as an underlined space a pen can fill.
BLANK_WRITE_IN = Markup("\u3000" * 4)
#: Empty rows a blank table offers for handwriting.
BLANK_TABLE_ROWS = 3
SIGNATURE_HEIGHT_MM, SIGNATURE_MAX_WIDTH_MM = 12.0, 45.0
PICTURE_MAX_WIDTH_MM, PICTURE_MAX_HEIGHT_MM = 110.0, 110.0
#: Side of the page's QR code (service.documents.pagecode) in the header.
CODE_MM = 14.0
_PNG_URL = "data:image/png;base64,"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: How many compiled, patched or read template sources each cache keeps.
_CACHED = 64
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_TEXT_KINDS = frozenset({Kind.TEXT, Kind.LONGTEXT, Kind.PHONE, Kind.DATE, Kind.YEAR_MONTH,
                         Kind.TIME, Kind.INTEGER, Kind.ORDINAL})


class DocumentError(ValueError):
    """The form cannot be made into a document; ``problems`` says why, field by field."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class DocumentMeta:
    """Facts about the copy that are not part of the form: they go in the header and the
    file's properties."""

    case_number: str = ""
    agency: str = ""
    title: str = ""  # defaults to the annex title
    author: str = ""  # defaults to the agency
    version: int = 1
    created: datetime | None = None  # defaults to now
    form_id: int | None = None  # the form this copy is of, named in the page's QR code
    extra: Mapping[str, str] = field(default_factory=dict)  # more {{ meta.* }} for templates


class _CachingEnvironment(Environment):
    """A Jinja environment that compiles each distinct template source once.

    docxtpl hands the whole part XML to ``from_string`` on every render; compiling it is most
    of the cost of a render, and the source only changes when the template file does.
    """

    def __init__(self) -> None:
        super().__init__(autoescape=True, undefined=StrictUndefined)
        self._from_source = functools.lru_cache(maxsize=_CACHED)(super().from_string)

    def from_string(self, source: Any, globals: Any = None,  # noqa: A002 - Jinja's name
                    template_class: Any = None) -> Template:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        return self._from_source(source)


@functools.lru_cache(maxsize=_CACHED)
def _patched_xml(source: str) -> str:
    """docxtpl's patch of a part's XML, made once per distinct source (the patch is a long run
    of regular expressions over the whole part, and depends on nothing but the source)."""
    return DocxTemplate.patch_xml(None, source)


class _Template(DocxTemplate):
    """A DocxTemplate that patches each distinct part source once."""

    def patch_xml(self, src_xml: str) -> str:
        return _patched_xml(src_xml)


_ENV = _CachingEnvironment()


def text(value: Any) -> Markup:
    """A value as XML-safe text for a docxtpl tag: escaped, and with no brace left that
    docxtpl's post-processing could read as a tag. Raises DocumentError on characters XML
    cannot hold."""
    if value is None:
        return Markup("")
    s = str(value).replace("\r\n", "\n").replace("\r", "\n")
    if _XML_ILLEGAL.search(s):
        raise DocumentError("The text holds characters a document cannot hold.")
    return Markup(str(escape(s)).replace("{", "&#123;").replace("}", "&#125;"))


def template_path(annex: Annex, directory: Path | None = None) -> Path:
    """The Word template of ``annex``."""
    return (directory or TEMPLATES_DIR) / f"{annex.code}.docx"


def _template_bytes(path: Path) -> bytes:
    """A template file's bytes, read again only when the file changed."""
    stat = path.stat()
    return _read_template(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=_CACHED)
def _read_template(path: str, _mtime_ns: int, _size: int) -> bytes:
    return Path(path).read_bytes()


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels of a PNG; DocumentError if it is not one."""
    if len(png) < 24 or png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise DocumentError("Not a valid picture.")
    width, height = struct.unpack(">II", png[16:24])
    if not width or not height:
        raise DocumentError("Not a valid picture.")
    return width, height


def _decode_png(data_url: str) -> bytes:
    if not data_url.startswith(_PNG_URL):
        raise DocumentError("Not a valid picture.")
    return base64.b64decode(data_url[len(_PNG_URL):])


def _image(tpl: DocxTemplate, data_url: str, max_w: float, max_h: float) -> InlineImage | str:
    """A picture scaled to fit max_w x max_h millimetres (at most 96 dpi), or ''."""
    if not data_url:
        return ""
    raw = _decode_png(data_url)
    px_w, px_h = png_size(raw)
    natural_w, natural_h = px_w * 25.4 / 96, px_h * 25.4 / 96
    scale = min(max_w / natural_w, max_h / natural_h, 1.0)
    return InlineImage(tpl, io.BytesIO(raw), width=Mm(natural_w * scale),
                       height=Mm(natural_h * scale))


def _signature_image(tpl: DocxTemplate, data_url: str) -> InlineImage | str:
    if not data_url:
        return ""
    px_w, px_h = png_size(_decode_png(data_url))
    height = SIGNATURE_HEIGHT_MM
    width = min(height * px_w / px_h, SIGNATURE_MAX_WIDTH_MM)
    return _image(tpl, data_url, width, height * 4)


def option_rows(f: Field, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every option of a choice field in printed order: box, printed text, write-in."""
    value = data.get(f.name)
    ticked = set(value) if isinstance(value, list) else ({value} if value else set())
    rows = []
    for o in f.options:
        note = data.get(o.note) if o.note else ""
        rows.append({
            "box": TICKED if o.text in ticked else UNTICKED,
            "ticked": o.text in ticked,
            "text": o.printed,
            "note": text(note) if note else (BLANK_WRITE_IN if o.has_write_in else ""),
        })
    return rows


def _table_rows(f: Field, value: Any) -> list[dict[str, Markup]]:
    rows = [{c.name: text(row.get(c.name)) for c in f.columns} for row in value or []]
    if not rows:
        rows = [{c.name: Markup("") for c in f.columns} for _ in range(BLANK_TABLE_ROWS)]
    return rows


def printed_value(kind: Kind, value: Any) -> Any:
    """A value as the paper form writes it: dates as 2024年5月8日, months as 1961年3月."""
    if not isinstance(value, str):
        return value
    if kind is Kind.DATE and (m := _ISO_DATE.match(value)):
        return f"{int(m[1])}年{int(m[2])}月{int(m[3])}日"
    if kind is Kind.YEAR_MONTH and (m := _ISO_MONTH.match(value)):
        return f"{int(m[1])}年{int(m[2])}月"
    return value


def build_context(annex: Annex, data: Mapping[str, Any], meta: DocumentMeta,
                  tpl: DocxTemplate) -> dict[str, Any]:
    """The docxtpl context of a normalised form (see form_templates/README.md)."""
    values: dict[str, Any] = {}
    options: dict[str, list[dict[str, Any]]] = {}
    signatures: dict[str, dict[str, Any]] = {}
    images: dict[str, Any] = {}
    rows: dict[str, list[dict[str, Markup]]] = {}
    for f in annex:
        value = data.get(f.name)
        if f.kind in _TEXT_KINDS:
            values[f.name] = text(printed_value(f.kind, value))
        elif f.is_choice:
            options[f.name] = option_rows(f, data)
            for o in f.notes:
                assert o.note
                values[o.note] = text(data.get(o.note))
        elif f.kind is Kind.SIGNATURE:
            sig = value or {}
            signatures[f.name] = {"image": _signature_image(tpl, sig.get("image", "")),
                                  "date": text(printed_value(Kind.DATE, sig.get("date"))),
                                  "name": text(sig.get("name")),
                                  "remark": text(sig.get("remark"))}
        elif f.kind is Kind.IMAGE:
            images[f.name] = _image(tpl, value or "", PICTURE_MAX_WIDTH_MM,
                                    PICTURE_MAX_HEIGHT_MM)
        elif f.kind is Kind.TABLE:
            rows[f.name] = _table_rows(f, value)
    agency = text(meta.agency)
    return {
        "v": values, "opts": options, "sig": signatures, "img": images, "rows": rows,
        "meta": {"case_number": text(meta.case_number), "agency": agency,
                 "title": text(meta.title or annex.title), "version": meta.version,
                 **{k: text(v) for k, v in meta.extra.items()}},
    }


def page_code(annex: Annex, version: str, meta: DocumentMeta, page: int) -> PageCode:
    """What the QR code on ``page`` (0: any page after the first) of this copy says."""
    return PageCode(annex=annex.code, template=version, page=page,
                    case_number=meta.case_number, form_id=meta.form_id)


def code_images(tpl: DocxTemplate, annex: Annex, version: str,
                meta: DocumentMeta) -> dict[str, InlineImage]:
    """``meta.code_first`` (the first page's header) and ``meta.code`` (the other pages')."""
    return {name: InlineImage(tpl, io.BytesIO(qr_png(page_code(annex, version, meta, page))),
                              width=Mm(CODE_MM), height=Mm(CODE_MM))
            for name, page in (("code_first", 1), ("code", 0))}


def _set_properties(tpl: DocxTemplate, annex: Annex, meta: DocumentMeta) -> None:
    props = tpl.docx.core_properties
    when = (meta.created or datetime.now(UTC)).replace(tzinfo=None, microsecond=0)
    props.title = meta.title or annex.title
    props.subject = meta.case_number
    props.identifier = meta.case_number
    props.author = meta.author or meta.agency
    props.last_modified_by = meta.author or meta.agency
    props.category = annex.short_title
    props.keywords = " ".join(k for k in (annex.annex_label, meta.case_number) if k)
    props.comments = meta.agency
    props.language = "zh-CN"
    props.revision = max(1, meta.version)
    props.created = props.modified = when
    _set_company(tpl, meta.agency)


def _set_company(tpl: DocxTemplate, agency: str) -> None:
    """Put the agency in docProps/app.xml's Company, the field Word shows as 单位."""
    ns = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
    for part in tpl.docx.part.package.parts:
        if part.partname == "/docProps/app.xml":
            root = etree.fromstring(part.blob)
            company = root.find(f"{{{ns}}}Company")
            if company is None:
                company = etree.SubElement(root, f"{{{ns}}}Company")
            company.text = agency
            part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                        standalone=True)


def render_template(path: str | Path, context: Mapping[str, Any], *,
                    properties: Mapping[str, Any] | None = None) -> bytes:
    """Render any docxtpl template with autoescape on; returns the .docx bytes.

    Plain strings in ``context`` are escaped; pass :func:`text` values where a value may hold
    braces. ``properties`` sets core properties (title, subject, author, ...).
    """
    tpl = _Template(io.BytesIO(_template_bytes(Path(path))))
    tpl.render(dict(context), _ENV, autoescape=True)
    for name, value in (properties or {}).items():
        setattr(tpl.docx.core_properties, name, value)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def render_docx(annex: Annex, data: Mapping[str, Any], meta: DocumentMeta | None = None, *,
                template: Path | None = None) -> bytes:
    """The official Word copy of a filled (or blank, or draft) form of ``annex``.

    ``data`` is normalised with the declaration's checks first; any problem raises
    :class:`DocumentError` listing them, so nothing half-made is returned.
    """
    meta = meta or DocumentMeta()
    cleaned, problems = clean(annex, dict(data), submit=False)
    if problems:
        raise DocumentError(f"Annex {annex.code}: the form has {len(problems)} problem(s).",
                            problems)
    source = _template_bytes(template or template_path(annex))
    tpl = _Template(io.BytesIO(source))
    context = build_context(annex, cleaned, meta, tpl)
    context["meta"].update(code_images(tpl, annex, template_version(source), meta))
    tpl.render(context, _ENV, autoescape=True)
    _set_properties(tpl, annex, meta)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()
