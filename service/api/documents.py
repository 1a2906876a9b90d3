"""API: the service as a document generator.

``POST /api/v1/documents/<B|C|D>?format=docx|pdf`` with a form's JSON answers the official Word
copy, or its PDF/A-2b copy made by a queue worker (the web process only waits for it). A JSON
that is not a valid form gets 422, a problem document naming each field at fault.
"""

from __future__ import annotations

import io
from typing import Any

from flask import current_app, request, send_file
from flask_babel import gettext
from huey.exceptions import ResultTimeout, TaskException

from ..annexes import ANNEXES
from ..annexes.validate import clean
from ..documents.render import DocumentError, DocumentMeta, render_docx
from . import bp
from .auth import token_required
from .problems import ApiProblem, invalid

MIMETYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
#: How long a request waits for a worker to make the PDF before answering 503.
PDF_WAIT_SECONDS = 120


@bp.post("/documents/<code>")
@token_required
def make_document(code: str) -> Any:
    """The Word (default) or PDF/A copy of the posted form; 422 with the field errors."""
    annex = ANNEXES.get(code.upper())
    if annex is None:
        raise ApiProblem(404, gettext("No such annex: use one of %(codes)s.",
                                      codes=", ".join(sorted(ANNEXES))))
    fmt = request.args.get("format", "docx").lower()
    if fmt not in MIMETYPES:
        raise ApiProblem(400, gettext("The format must be docx or pdf."),
                         errors=[{"field": "format", "detail": "docx | pdf"}])
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiProblem(422, gettext("Expected a JSON object of the form's fields."),
                         kind="invalid-data")
    cleaned, problems = clean(annex, data, submit=True)
    if problems:
        raise invalid(problems)
    meta = {"case_number": request.args.get("case_number", "")[:40],
            "agency": current_app.config.get("AGENCY_NAME", "")}
    try:
        if fmt == "docx":
            content = render_docx(annex, cleaned, DocumentMeta(**meta))
        else:
            content = _pdf_from_worker(annex.code, cleaned, meta)
    except DocumentError as exc:
        if exc.problems:
            raise invalid(exc.problems) from exc
        raise ApiProblem(422, gettext("The document could not be made from this data."),
                         str(exc), kind="invalid-data") from exc
    except TimeoutError as exc:
        raise ApiProblem(503, gettext("The document could not be made in time; try again."),
                         headers={"Retry-After": "30"}) from exc
    except TaskException as exc:
        current_app.logger.error("a document for the API failed: %s", exc.metadata)
        raise ApiProblem(502, gettext("The document could not be made; try again later.")
                         ) from exc
    return send_file(io.BytesIO(content), mimetype=MIMETYPES[fmt], as_attachment=True,
                     download_name=f"{annex.title}.{fmt}")


def _pdf_from_worker(code: str, data: dict[str, Any], meta: dict[str, str]) -> bytes:
    """Queue the PDF and wait for a worker's answer (inline when the queue is immediate)."""
    from ..jobs.documents import render_form_pdf

    result = render_form_pdf(code, data, meta)
    try:
        pdf = result.get(blocking=True, timeout=PDF_WAIT_SECONDS, revoke_on_timeout=True)
    except ResultTimeout as exc:
        raise TimeoutError(str(exc)) from exc
    if not isinstance(pdf, bytes):
        raise TimeoutError("no document came back from the worker")
    return pdf
