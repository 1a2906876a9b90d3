"""Storing one imported item: the original kept byte for byte, the form as a new version,
its copies queued; a known file is a duplicate and changes nothing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from ...annexes import ANNEXES
from ...auth.models import User
from ...cases import workflow
from ...cases.access import can_edit_case
from ...cases.errors import CaseError
from ...cases.imported import ImportedFile
from ...cases.lifecycle import content_hash, new_form
from ...cases.models import EDITABLE_STATES, Case, FormRecord, FormVersion, Original
from ...db import db, take_turns
from ...imports import FORM, SCAN, ImportFailure
from ...imports.evidence import needs_person
from ...storage import NAME_MAX_BYTES, atomic_write, fit_name
from ..documents import enqueue_documents
from .matching import Cases, earlier_original, known_original
from .model import (
    DUPLICATE,
    IMPORTED,
    NEEDS_REVIEW,
    WOULD_IMPORT,
    Item,
    Options,
    entry,
)

_SAFE = re.compile(r"[^\w.\-]+")


def _form_for(case: Case, code: str, data: dict[str, Any], by: User | None) -> FormRecord:
    """The form an imported reading goes into: a numbered form by its number, else the one."""
    annex = ANNEXES[code]
    if annex.repeats and data.get(annex.seq_field):
        seq = int(data[annex.seq_field])
        same = next((f for f in case.forms_of(code) if f.seq == seq), None)
        if same is not None:
            return same
        form = new_form(case, code, by=by)
        form.seq = seq
        return form
    return new_form(case, code, by=by)


def coded_case(number: str, by: User | None, warnings: list[str]) -> Case | None:
    """The case a scan's printed code names, if the importer may write into it (and it is
    open); otherwise None, with the reason added to ``warnings``."""
    if not number:
        return None
    case = db.session.scalars(select(Case).where(Case.number == number)).first()
    if case is None:
        warnings.append(f"the form's code names case {number}, which does not exist")
        return None
    if not case.is_open:
        warnings.append(f"the form's code names case {number}, which is closed")
        return None
    if by is not None and not can_edit_case(by, case):
        warnings.append(f"the form's code names case {number}, which you may not edit")
        return None
    return case


def chosen_case(case_id: int, named: str, cases: Cases) -> Case:
    """The case a file was brought in for (from its page): one the importer may attach to,
    and the one its code names when it has one; ImportFailure saying why not."""
    case = db.session.get(Case, case_id)
    if case is None or not cases.may_attach(case):
        raise ImportFailure("the case this file was brought in for is closed, or not one you "
                            "may edit")
    if named and named != case.number:
        raise ImportFailure(f"the form's code names case {named}, not {case.number}: bring it "
                            "in from that case's page")
    return case


def _scan_draft(case: Case, annex: str, data: dict[str, Any], by: User | None,
                warnings: list[str]) -> FormRecord | None:
    """The draft a read scan pre-fills for its reviewer: the case's B or D (unless signed
    off or waiting for sign-off), or a new form."""
    existing = case.forms_of(annex) if not ANNEXES[annex].repeats else []
    try:
        record = existing[0] if existing else new_form(case, annex, by=by)
    except CaseError as e:
        warnings.append(str(e))
        return None
    if record.state not in EDITABLE_STATES:
        warnings.append("the case's form is signed off or waiting for sign-off; the scan's "
                        "values were not written into it")
        return record
    if data:
        workflow.save_draft(record, {**(record.data or {}), **data}, by=by)
    return record


def _keep_cells(original: str, reading: dict[str, Any]) -> list[dict[str, Any]]:
    """Write a read scan's cell images beside its original; its report fields, each naming
    its cell's image (``cell``: a path under WORK_ROOT)."""
    import base64

    images = reading.get("images") or {}
    root = Path(current_app.config["WORK_ROOT"])
    fields = []
    for f in reading.get("fields", []):
        f = dict(f)
        png = images.get(f["field"])
        if png:
            path = f"{original}-cells/{_SAFE.sub('_', f['field'])[:80]}.png"
            atomic_write(root / path, base64.b64decode(png))
            f["cell"] = path
        fields.append(f)
    return fields


def _keep_original(case: Case, item: Item, raw: bytes) -> tuple[str, bool]:
    """Write the original under the case's folder; its relative path and whether it is new."""
    root = Path(current_app.config["WORK_ROOT"])
    base = item.label.split("#")[0].rsplit("/", 1)[-1]
    prefix = f"{item.sha[:16]}-"
    # the last 120 characters as before (a name kept earlier is found again), in bytes that fit
    name = prefix + fit_name(_SAFE.sub("_", base)[-120:], NAME_MAX_BYTES - len(prefix))
    relative = f"cases/{_SAFE.sub('_', case.number)}/originals/{name}"
    path = root / relative
    fresh = not path.exists()
    atomic_write(path, raw)
    return relative, fresh


def store_item(item: Item, reading: dict[str, Any], raw: bytes, cases: Cases,
           options: Options) -> dict[str, Any]:
    """Second pass for one item, in its own transaction (the caller commits). Runs storing
    the same content take turns until the commit, so that of two at once (an upload sent
    twice, two agencies' folders holding one file) the second finds the first's original and
    is a duplicate."""
    data = reading["data"]
    take_turns(f"original:{item.sha}", Original.__table__)
    known = known_original(item.sha, item.label)
    if known is not None:
        case = db.session.get(Case, known.case_id)
        return entry(item, DUPLICATE, annex=item.annex,
                     case=case.number if case is not None and cases.may_see(case) else "",
                     data=data, warnings=reading["warnings"])
    earlier = earlier_original(item.label) if item.kind == FORM else None
    form: FormRecord | None = None
    if earlier is not None and earlier.version_id is not None:
        version = db.session.get(FormVersion, earlier.version_id)
        form = version.form if version is not None else None
        if form is not None and form.current and form.current.content_hash == content_hash(data):
            return entry(item, DUPLICATE, annex=item.annex,
                         case=form.case.number if cases.may_see(form.case) else "",
                         data=data, warnings=reading["warnings"])
        if form is not None and not cases.may_attach(form.case):
            form = None  # a closed case, or one the importer may not edit: not written into
    warnings = list(reading["warnings"])
    if options.case_id is not None:
        case = chosen_case(options.case_id, reading.get("case_number") or "", cases)
        if form is not None and form.case_id != options.case_id:
            form = None
    else:
        case = form.case if form is not None else (
            coded_case(reading.get("case_number") or "", options.by, warnings)
            or cases.existing(item, data))
    reading = {**reading, "warnings": warnings}
    unsure = item.kind == FORM and needs_person(reading.get("fields", []))
    # a changed file whose form waits for review or is signed off: kept, held for a person
    held = form is not None and form.state not in EDITABLE_STATES
    status = NEEDS_REVIEW if item.kind == SCAN or unsure or held else (
        WOULD_IMPORT if options.dry_run else IMPORTED)
    if options.dry_run:
        label = case.number if case is not None else cases.label(item)
        if case is not None:
            cases.planned.setdefault(item.group.key if item.group else "", case.number)
        return entry(item, status, annex=item.annex, case=label, data=data,
                      warnings=reading["warnings"])
    if case is None:
        case = cases.open(item, data)
    cases.remember(item, case)
    version_id = None
    draft = None
    if item.kind == SCAN and item.annex:
        draft = _scan_draft(case, item.annex, data, options.by, reading["warnings"])
    if item.kind == FORM and item.annex and not held:
        form = form or _form_for(case, item.annex, data, options.by)
        if unsure:  # never filed as if certain: a draft, until a person has looked
            workflow.save_draft(form, data, by=options.by)
        else:
            version = workflow.submit(form, data, by=options.by, source="imported",
                                      then=lambda _v: None).version
            assert version is not None
            version_id = version.id
    relative, fresh = _keep_original(case, item, raw)
    fields = _keep_cells(relative, reading)
    try:
        original = Original(case_id=case.id, version_id=version_id, filename=item.label[:255],
                            sha256=item.sha, size=len(raw), path=relative)
        db.session.add(original)
        db.session.flush()
        db.session.add(ImportedFile(run_id=options.run.id if options.run else None,
                                    case_id=case.id, original_id=original.id,
                                    version_id=version_id, annex=item.annex or "",
                                    needs_review=item.kind == SCAN or unsure or held,
                                    form_id=(form.id if (unsure or held) and form else
                                             draft.id if draft is not None else None),
                                    warnings=reading["warnings"],
                                    fields=fields))
        db.session.flush()
        if version_id is not None:
            (options.enqueue or enqueue_documents)(version_id)
    except BaseException:
        if fresh:
            root = Path(current_app.config["WORK_ROOT"])
            (root / relative).unlink(missing_ok=True)
            shutil.rmtree(root / f"{relative}-cells", ignore_errors=True)
        raise
    return entry(item, status, annex=item.annex, case=case.number, data=data,
                  warnings=reading["warnings"])
