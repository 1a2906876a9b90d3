"""The check of an imported form that holds values a person must look at.

A legacy form with any flagged value is stored as a draft, never filed as if certain. Here an
importer who may see the case sees every value read beside the original text it came from, the
part read marked, the flagged ones first with the reason; corrects the form beside them and
submits it the way a scan's review is submitted (:func:`.scans.submit_review`). The routes
belong to the imports blueprint (:mod:`.imports`).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..annexes import ANNEXES, INTAKE
from ..auth import audit
from ..cases.access import IMPORTERS, can_review, roles_required
from ..cases.imported import ImportedFile
from ..cases.models import FormRecord, FormState, Original
from ..db import db
from ..forms.builder import form_for
from ..imports.evidence import needs_person, shown
from .imports import bp
from .scans import _imported

#: Files whose text was read (not pictures): a doubt about them is checked beside that text.
TYPED = (".docx", ".docm", ".doc", ".odt", ".xlsx", ".csv")


@bp.app_template_global()
def review_url(imported: ImportedFile, original: Original | None = None) -> str:
    """Where a file waiting for review is reviewed: the check of a typed form whose values a
    person must look at, or the review of a scan (or PDF) beside its pictures."""
    original = original or db.session.get(Original, imported.original_id)
    name = (original.filename if original is not None else "").split("#")[0].lower()
    if (name.endswith(TYPED) and imported.form_id is not None
            and needs_person(imported.fields or [])):
        return url_for("imports.check", imported_id=imported.id)
    return url_for("imports.review", imported_id=imported.id)


@bp.get("/check/<int:imported_id>")
@roles_required(*IMPORTERS)
def check(imported_id: int) -> Any:
    """Every value read, beside its original text, next to the form to correct and submit."""
    imported, case, original = _imported(imported_id)
    if not imported.needs_review:
        flash(_("This form has already been checked."), "info")
        return redirect(url_for("cases.show", case_id=case.id))
    record = db.session.get(FormRecord, imported.form_id) if imported.form_id else None
    if record is not None and record.case_id != case.id:
        record = None
    code = record.annex if record is not None else (imported.annex or INTAKE.code)
    annex = ANNEXES[code]
    form = form_for(annex, data=record.data if record is not None else {})
    form.submission_token.data = uuid.uuid4().hex
    audit.record("import.check.view", case, imported=imported.id, original=original.id)
    db.session.commit()
    locked = (record is not None and record.state in (FormState.SUBMITTED, FormState.APPROVED)
              ) or not case.is_open
    return render_template("imports/check.html", imported=imported, case=case,
                           original=original, annex=annex, form=form, record=record,
                           rows=shown(annex, imported.fields or []), locked=locked,
                           reviewer=can_review(current_user, case, seen=True))
