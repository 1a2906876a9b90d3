"""Helpers of the archive tests: a Word -> PDF/A converter and the copies a form version gets."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

_PDFA2 = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'


def office_pdf(docx: bytes) -> bytes:
    """The documents converter when it is installed, else LibreOffice directly (PDF/A-2b)."""
    try:
        from service.documents.convert import to_pdf
    except ImportError:
        to_pdf = None
    if to_pdf is not None:
        return to_pdf(docx)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "in.docx"
        source.write_bytes(docx)
        subprocess.run(["soffice", f"-env:UserInstallation=file://{scratch}/profile",
                        "--headless", "--convert-to", _PDFA2, "--outdir", scratch,
                        str(source)], check=True, capture_output=True, timeout=180)
        return (Path(scratch) / "in.pdf").read_bytes()


def make_copies(version, work_root: Path) -> None:
    """What the documents jobs do for a version: its Word and PDF copies, marked ready."""
    from service.annexes import ANNEXES
    from service.cases.models import Document, DocumentState
    from service.db import db
    from service.documents.convert import pdf_pages
    from service.documents.render import render_docx

    docx = render_docx(ANNEXES[version.form.annex], version.data)
    pdf = office_pdf(docx)
    folder = Path("cases") / str(version.form.case_id)
    (work_root / folder).mkdir(parents=True, exist_ok=True)
    for fmt, data in (("docx", docx), ("pdf", pdf)):
        rel = folder / f"{version.form.annex}{version.form.seq}-v{version.number}.{fmt}"
        (work_root / rel).write_bytes(data)
        db.session.add(Document(version=version, format=fmt, state=DocumentState.READY,
                                path=str(rel), size=len(data),
                                pages=pdf_pages(data) if fmt == "pdf" else 0))
    db.session.flush()


def signed_off(form, data: dict, *, worker, reviewer):
    """Submit ``data`` as ``worker`` and sign it off as ``reviewer`` through the review cycle
    (the copies are left to the caller); the approved version."""
    from service.annexes import ANNEXES
    from service.cases import workflow

    workflow.submit(form, data, by=worker, then=lambda _v: None)
    reviewer_cells = ANNEXES[form.annex].reviewer_part(data)
    return workflow.approve(form, reviewer_cells, by=reviewer, then=lambda _v: None).version
