"""A small agency as a supervisor and a worker find it on their tablets: three cases whose forms
stand in every state (approved with its copies, waiting for review for hours or days, returned
with a comment, a draft). The browser tests and ``bench/screenshots.py`` both build it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from service.annexes.examples import reviewer_example, worker_example
from service.cases import lifecycle, workflow
from service.cases.models import Document, DocumentState, FormRecord
from service.db import db, utcnow

PASSWORD = "correct horse battery"
RETURN_COMMENT = "请补充后再提交"
FIELD_COMMENT = "请写明案主儿子对协调方案的意见"  # beside 会谈记录


@dataclass
class Scene:
    """Ids of what was built."""

    case_id: int  # 王建国: B approved (with copies), C 1 approved, C 2 waiting, C 3 returned, D draft
    other_case_id: int  # 张丽华 (another worker's): B waiting for three days
    third_case_id: int  # 刘志强: B draft, C 1 waiting for five hours
    intake_id: int
    waiting_interview_id: int
    returned_interview_id: int
    closing_id: int
    other_intake_id: int
    third_interview_id: int


def _submit(record: FormRecord, data: dict[str, Any], by: Any, hours_ago: float) -> Any:
    version = workflow.submit(record, data, by=by, then=_no_copies).version
    version.submitted_at = utcnow() - timedelta(hours=hours_ago)
    db.session.flush()
    return version


def _no_copies(_version: Any) -> None:
    """The copies are made by hand below (the pages only list them)."""


def _approve(record: FormRecord, by: Any) -> Any:
    return workflow.approve(record, reviewer_example(record.annex), by=by, then=_no_copies).version


def _with_copies(version: Any) -> None:
    """The Word and PDF copies, as made (the pages only list them)."""
    for fmt in ("docx", "pdf"):
        db.session.add(Document(version_id=version.id, format=fmt, state=DocumentState.READY,
                                path=f"copies/{version.id}.{fmt}", sha256="0" * 64))


def build() -> Scene:
    """Users chen and li (workers), zhou (supervisor); the three cases; committed."""
    from service.auth.models import Role
    from service.auth.users import create_user

    chen = create_user("chen", {Role.WORKER}, PASSWORD, display_name="陈晓敏")
    li = create_user("li", {Role.WORKER}, PASSWORD, display_name="李明")
    zhou = create_user("zhou", {Role.SUPERVISOR}, PASSWORD, display_name="周主任")

    case = lifecycle.open_case(worker=chen, client_name="王建国", opened_on=date(2024, 5, 8))
    intake = lifecycle.new_form(case, "B", by=chen)
    _submit(intake, worker_example("B"), chen, hours_ago=200)
    _with_copies(_approve(intake, zhou))
    first = lifecycle.new_form(case, "C", by=chen)
    _submit(first, worker_example("C"), chen, hours_ago=150)
    _with_copies(_approve(first, zhou))
    waiting = lifecycle.new_form(case, "C", by=chen)
    second = worker_example("C") | {"session_no": 2, "date": "2024-05-22",
                                  "purpose": "了解加装电梯协调会后案主的想法"}
    _submit(waiting, second, chen, hours_ago=26)
    returned = lifecycle.new_form(case, "C", by=chen)
    third = worker_example("C") | {"session_no": 3, "date": "2024-06-05"}
    _submit(returned, third, chen, hours_ago=50)
    workflow.return_(returned, RETURN_COMMENT, {"record": FIELD_COMMENT}, by=zhou)
    closing = lifecycle.new_form(case, "D", by=chen)

    other = lifecycle.open_case(worker=li, client_name="张丽华", opened_on=date(2024, 4, 2))
    other_intake = lifecycle.new_form(other, "B", by=li)
    _submit(other_intake, worker_example("B") | {"client_name": "张丽华"}, li, hours_ago=72)

    third_case = lifecycle.open_case(worker=chen, client_name="刘志强", opened_on=date(2024, 6, 1))
    lifecycle.new_form(third_case, "B", by=chen)
    third_interview = lifecycle.new_form(third_case, "C", by=chen)
    _submit(third_interview, worker_example("C") | {"interviewee": "刘志强"}, chen, hours_ago=5)
    db.session.commit()
    return Scene(case.id, other.id, third_case.id, intake.id, waiting.id, returned.id,
                 closing.id, other_intake.id, third_interview.id)
