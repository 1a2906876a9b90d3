"""Handing a file out of the service: logged, and a PDF marked with who took it and when."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Response, send_file
from flask_login import current_user

from ..auth import audit
from ..db import db, utcnow
from ..documents.stamp import mark_text, stamp_pdf


def send_export(source: Path | bytes, name: str, *, action: str, case: Any = None,
                inline: bool = False, **details: Any) -> Response:
    """Record ``action`` in the audit trail, then send ``source`` as ``name``.

    A PDF carries a visible line naming the user and the time on every page; other files are
    sent as they are.
    """
    audit.record(action, case, name=name, **details)
    db.session.commit()
    if name.lower().endswith(".pdf"):
        data = source if isinstance(source, bytes) else source.read_bytes()
        marked = stamp_pdf(data, mark_text(current_user.username, utcnow()))
        return send_file(io.BytesIO(marked), mimetype="application/pdf",
                         as_attachment=not inline, download_name=name)
    if isinstance(source, bytes):
        return send_file(io.BytesIO(source), as_attachment=True, download_name=name)
    return send_file(source, as_attachment=True, download_name=name)
