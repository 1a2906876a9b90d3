"""Blank forms printed for a case ahead of a visit: the case's number and page codes on them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, request
from flask_login import login_required
from huey.exceptions import ResultTimeout, TaskException

from ..annexes import ANNEXES
from ..cases.access import require_case
from ..documents.render import DocumentMeta, render_docx
from .exports import send_export

bp = Blueprint("paper", __name__)

PDF_WAIT_SECONDS = 120


@bp.get("/cases/<int:case_id>/blank/<annex_code>")
@login_required
def blank_form(case_id: int, annex_code: str) -> Any:
    """A blank Word (default) or PDF (``?format=pdf``) copy of an annex, printed for a case
    anyone who sees the case may print: the paper holds only the case number and its codes."""
    case = require_case(case_id)
    annex = ANNEXES.get(annex_code)
    fmt = request.args.get("format", "docx")
    if annex is None or fmt not in ("docx", "pdf"):
        abort(404)
    meta = DocumentMeta(case_number=case.number, agency=current_app.config.get("AGENCY_NAME", ""))
    content = render_docx(annex, {}, meta)
    if fmt == "pdf":
        from ..jobs.documents import render_form_pdf

        result = render_form_pdf(annex.code, {}, {"case_number": case.number,
                                                  "agency": meta.agency})
        try:
            content = result.get(blocking=True, timeout=PDF_WAIT_SECONDS, revoke_on_timeout=True)
        except (ResultTimeout, TaskException):
            abort(503)
        if not isinstance(content, bytes):
            abort(503)
    name = f"{case.number}-{annex.short_title}.{fmt}"
    return send_export(content, name, action="document.blank", case=case, annex=annex.code,
                       format=fmt)
