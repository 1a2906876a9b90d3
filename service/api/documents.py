"""API: the service as a document generator.

``POST /api/v1/documents/<B|C|D>?format=docx|pdf`` with a form's JSON answers the official Word
copy, or its PDF/A-2b copy made by a queue worker. The web process waits for the PDF at most
API_DOCUMENT_WAIT seconds (10, well within the web server's timeout); a PDF not ready by then
is answered ``202 Accepted`` with the URL of its job (``Location``), which answers 202 until
the PDF is there, then the PDF once. A queue that cannot take the job answers 503 with
Retry-After. A JSON that is not a valid form gets 422, a problem document naming each field at
fault.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Response, current_app, jsonify, request, send_file, url_for
from flask_babel import gettext
from huey.exceptions import ResultTimeout, TaskException
from itsdangerous import BadSignature, URLSafeSerializer

from ..annexes import ANNEXES
from ..annexes.examples import example
from ..annexes.validate import clean
from ..documents.render import DocumentError, DocumentMeta, render_docx
from . import bp
from .auth import api_user, token_required
from .problems import ApiProblem, invalid
from .spec import json_body, json_response, operation, problem_response, problems, query_param

MIMETYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
#: How long a request waits for a worker's PDF before answering 202 with the job's URL.
PDF_WAIT_SECONDS = 10
RETRY_AFTER = "5"
_JOB_SALT = "api-document-job"
_JOB_SCHEMA = {"type": "object", "required": ["job", "status", "url"], "properties": {
    "job": {"type": "string"}, "status": {"const": "pending"}, "url": {"type": "string"}}}
_JOB_EXAMPLE = {"job": "eyJ0IjoiM2Y...", "status": "pending",
                "url": "/api/v1/documents/jobs/eyJ0IjoiM2Y..."}
_PDF_RESPONSE = {"description": "The PDF/A-2b copy.",
                 "content": {"application/pdf": {"schema": {"type": "string",
                                                            "format": "binary"}}}}
_PENDING = json_response(
    "Not ready yet: ask the job's URL (also in `Location`) after `Retry-After` seconds.",
    _JOB_SCHEMA, _JOB_EXAMPLE, headers={
        "Location": {"schema": {"type": "string"}, "description": "The job's URL."},
        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}})


@bp.post("/documents/<code>")
@token_required
@operation("makeDocument", summary="The official Word or PDF/A copy of a form's data.",
           description="Word copies come at once. A PDF is made by a queue worker: when it "
                       "takes longer than a few seconds the answer is 202 with the URL of its "
                       "job (getDocumentJob), never a request held past the web timeout.",
           parameters=[query_param("format", "docx (default) or pdf",
                                   {"enum": ["docx", "pdf"]}, example="pdf"),
                       query_param("case_number", "printed in the copy's header",
                                   {"type": "string", "maxLength": 40})],
           request=json_body({"$ref": "#/components/schemas/AnnexB"}, example("B"),
                             description="A form's data: Annex B, C or D as `code` says."),
           responses={"200": {"description": "The copy (Word or PDF).", "content": {
               MIMETYPES["docx"]: {"schema": {"type": "string", "format": "binary"}},
               "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                      "202": _PENDING,
                      "503": problem_response("The queue cannot take the job now: try again "
                                              "after `Retry-After` seconds."),
                      **problems(400, 404, 413, 422)})
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
    except _Pending as pending:
        return _accepted(pending.task_id, annex.title)
    except DocumentError as exc:
        if exc.problems:
            raise invalid(exc.problems) from exc
        raise ApiProblem(422, gettext("The document could not be made from this data."),
                         str(exc), kind="invalid-data") from exc
    except TimeoutError as exc:
        raise ApiProblem(503, gettext("The document could not be made in time; try again."),
                         headers={"Retry-After": RETRY_AFTER}) from exc
    except TaskException as exc:
        current_app.logger.error("a document for the API failed: %s", exc.metadata)
        raise ApiProblem(502, gettext("The document could not be made; try again later.")
                         ) from exc
    return send_file(io.BytesIO(content), mimetype=MIMETYPES[fmt], as_attachment=True,
                     download_name=f"{annex.title}.{fmt}")


class _Pending(Exception):
    """The PDF is queued but not made yet."""

    def __init__(self, task_id: str) -> None:
        super().__init__(task_id)
        self.task_id = task_id


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_JOB_SALT)


def _accepted(task_id: str, title: str) -> Response:
    """202 with the job's URL: a signed name of the task, its caller and the file's name."""
    job = _serializer().dumps({"t": task_id, "u": api_user().id, "n": title})
    url = url_for("api.document_job", job=job)
    response = jsonify(job=job, status="pending", url=url)
    response.status_code = 202
    response.headers["Location"] = url
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def _pdf_from_worker(code: str, data: dict[str, Any], meta: dict[str, str]) -> bytes:
    """Queue the PDF and wait a little for a worker's answer (inline when the queue is
    immediate); _Pending when it is not ready by then, TimeoutError when it cannot be queued."""
    from ..jobs.documents import render_form_pdf

    try:
        result = render_form_pdf(code, data, meta)
    except Exception as exc:  # noqa: BLE001 - the queue's storage is away
        current_app.logger.error("the queue did not take a document: %s", exc)
        raise TimeoutError(str(exc)) from exc
    wait = float(current_app.config.get("API_DOCUMENT_WAIT", PDF_WAIT_SECONDS))
    try:  # taken from the queue's storage as it is read: nothing is left behind
        pdf = result.get(blocking=True, timeout=wait) if wait > 0 else result.get()
    except ResultTimeout:
        pdf = None
    if pdf is None:
        raise _Pending(result.id)
    if not isinstance(pdf, bytes):
        raise TimeoutError("no document came back from the worker")
    return pdf


@bp.get("/documents/jobs/<job>")
@token_required
@operation("getDocumentJob", summary="A PDF asked of makeDocument that was not ready at once.",
           description="202 while a worker makes it; then the PDF, once (410 afterwards).",
           parameters=[{"name": "job", "in": "path", "required": True,
                        "schema": {"type": "string"}, "description": "From makeDocument's 202."}],
           responses={"200": _PDF_RESPONSE, "202": _PENDING,
                      "410": problem_response("The PDF was already fetched."),
                      "502": problem_response("The worker could not make the PDF."),
                      **problems(404)})
def document_job(job: str) -> Any:
    """The PDF of a queued document job, once it is made; 202 until then."""
    from ..jobs.queue import huey

    try:
        claims = _serializer().loads(job)
    except BadSignature:
        claims = None
    if not isinstance(claims, dict) or claims.get("u") != api_user().id:
        raise ApiProblem(404, gettext("No such document job."))  # another's job is nobody's
    task_id = str(claims["t"])
    try:
        pdf = huey.result(task_id, preserve=False)
    except TaskException as exc:
        current_app.logger.error("a document for the API failed: %s", exc.metadata)
        raise ApiProblem(502, gettext("The document could not be made; try again later.")
                         ) from exc
    if pdf is None:
        if huey.get(f"delivered:{task_id}", peek=True):
            raise ApiProblem(410, gettext("This document was already fetched."))
        response = jsonify(job=job, status="pending", url=request.path)
        response.status_code = 202
        response.headers["Location"] = request.path
        response.headers["Retry-After"] = RETRY_AFTER
        return response
    huey.put(f"delivered:{task_id}", True)
    return send_file(io.BytesIO(pdf), mimetype=MIMETYPES["pdf"], as_attachment=True,
                     download_name=f"{claims.get('n') or 'document'}.pdf")
