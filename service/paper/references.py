"""The blank copies scans are read against: each annex's current template, rendered and
converted once per process and template version, its pages' layouts and images kept."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from ..annexes import ANNEXES
from ..documents.pagecode import template_version
from ..documents.render import render_docx, template_path
from .layout import page_layouts, rasterise
from .read import Reference

_CACHE: dict[tuple[str, str], list[Reference]] = {}
_LOCK = threading.Lock()


def current_version(annex_code: str) -> str:
    """The fingerprint of the annex's Word template as it is now."""
    return template_version(template_path(ANNEXES[annex_code]).read_bytes())


def blank_pdf(annex_code: str) -> bytes:
    """The blank copy of an annex as LibreOffice prints it."""
    from ..documents.convert import to_pdf

    return to_pdf(render_docx(ANNEXES[annex_code], {}))


def lookup(annex_code: str, template: str | None, *,
           make_pdf: Callable[[str], bytes] = blank_pdf) -> Sequence[Reference]:
    """The pages of ``annex_code``'s blank copy printed from ``template`` (None: the current
    one); empty when that template is not the current one (its layout is not known)."""
    if annex_code not in ANNEXES:
        return []
    version = current_version(annex_code)
    if template is not None and template != version:
        return []
    key = (annex_code, version)
    with _LOCK:
        found = _CACHE.get(key)
    if found is None:
        pdf = make_pdf(annex_code)
        layouts = page_layouts(ANNEXES[annex_code], version, pdf)
        found = [Reference(layout, image) for layout, image in zip(layouts, rasterise(pdf),
                                                                   strict=True)]
        with _LOCK:
            _CACHE[key] = found
    return found
