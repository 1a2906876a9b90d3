"""The review cycle (8.3) as one state machine, on SQLite and PostgreSQL: a closing form is a
reviewed decision, nobody signs off their own work, nothing typed is silently replaced, a
repeated request gives the first result, and the pages go through the same road."""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest
from sqlalchemy import func, select

from service.annexes import ANNEXES
from service.annexes.examples import example, reviewer_example, worker_example
from tests.archive_helpers import signed_off
from tests.conftest import csrf_token, login, posted_form, statements, stored_row


@pytest.fixture
def people(app, make_user):
    return {"worker": make_user("chen", "worker"), "director": make_user("li", "director"),
            "both": make_user("zhao", "worker", "supervisor")}
def _case(worker, risk: str | None = "中风险"):
    from service.cases import lifecycle

    case = lifecycle.open_case(worker=worker, client_name="王建国")
    case.risk_grade = risk
    return case


def _no_copies(_version) -> None:
    """Copies are not what these tests look at."""


def _steps(form) -> list[str]:
    from service.auth.models import ReviewStep
    from service.db import db

    return list(db.session.scalars(select(ReviewStep.action).where(ReviewStep.form_id == form.id)
                                   .order_by(ReviewStep.id)))


def _ready_to_close(people, risk="中风险"):
    """A case whose intake is signed off and whose closing form waits for review."""
    from service.cases import lifecycle, workflow

    worker, director = people["worker"], people["director"]
    case = _case(worker, risk)
    signed_off(lifecycle.new_form(case, "B", by=worker), example("B"), worker=worker,
               reviewer=director)
    closing = lifecycle.new_form(case, "D", by=worker)
    workflow.submit(closing, worker_example("D"), by=worker, then=_no_copies)
    return case, closing


# --- the closing form ---------------------------------------------------------------------

def test_submitting_d_waits_for_sign_off_and_approving_it_closes_the_case(app, people) -> None:
    from service.cases import workflow

    case, closing = _ready_to_close(people)
    assert case.stage == "待结案审批" and case.is_open and closing.state == "submitted"
    outcome = workflow.approve(closing, reviewer_example("D"), by=people["director"],
                               then=_no_copies)
    assert closing.state == "approved" and case.stage == "结案" and not case.is_open
    assert outcome.version.approved_by_id == people["director"].id
    assert outcome.version.data["agency_evaluation"] == example("D")["agency_evaluation"]
    assert _steps(closing) == ["submitted", "approved"]


def test_a_transfer_waits_as_a_pending_transfer(app, people) -> None:
    from service.annexes.closing import TRANSFER
    from service.cases import lifecycle, workflow

    case = _case(people["worker"])
    closing = lifecycle.new_form(case, "D", by=people["worker"])
    data = {**worker_example("D"), "category": TRANSFER,
            "transfer_reason": ANNEXES["D"]["transfer_reason"].options[0].text}
    workflow.submit(closing, data, by=people["worker"], then=_no_copies)
    assert case.stage == "待转介审批"


@pytest.mark.parametrize("missing", ["agency_evaluation", "director_signature"])
def test_d_is_not_signed_off_without_the_directors_evaluation_and_signature(
        app, people, missing) -> None:
    from service.cases import workflow
    from service.cases.errors import Invalid

    case, closing = _ready_to_close(people)
    cells = reviewer_example("D")
    cells[missing] = {} if missing == "director_signature" else ""
    with pytest.raises(Invalid) as refused:
        workflow.approve(closing, cells, by=people["director"], then=_no_copies)
    assert any(p.key.startswith(missing) for p in refused.value.problems)
    assert closing.state == "submitted" and case.is_open


def test_d_is_not_signed_off_while_a_goal_has_no_outcome(app, people) -> None:
    from service.cases import lifecycle, workflow
    from service.cases.errors import Invalid

    worker = people["worker"]
    case = _case(worker)
    closing = lifecycle.new_form(case, "D", by=worker)
    data = worker_example("D")
    data["goals"][1].update(status="", outcome="")
    workflow.submit(closing, data, by=worker, then=_no_copies)
    with pytest.raises(Invalid) as refused:
        workflow.approve(closing, reviewer_example("D"), by=people["director"], then=_no_copies)
    assert [p.key for p in refused.value.problems] == ["goals.1.status"]
    assert case.is_open


def test_an_unassessed_risk_grade_is_asked_for_never_guessed(app, people) -> None:
    from service.cases import workflow
    from service.cases.errors import Invalid

    case, closing = _ready_to_close(people, risk=None)
    with pytest.raises(Invalid) as refused:
        workflow.approve(closing, reviewer_example("D"), by=people["director"], then=_no_copies)
    assert [p.key for p in refused.value.problems] == ["risk_grade"]
    assert case.is_open and case.risk_grade is None


def test_d_waits_for_the_cases_other_forms_to_be_signed_off(app, people) -> None:
    from service.cases import lifecycle, workflow
    from service.cases.errors import Invalid

    worker = people["worker"]
    case = _case(worker)
    workflow.submit(lifecycle.new_form(case, "B", by=worker), worker_example("B"), by=worker,
                    then=_no_copies)
    closing = lifecycle.new_form(case, "D", by=worker)
    workflow.submit(closing, worker_example("D"), by=worker, then=_no_copies)
    with pytest.raises(Invalid) as refused:
        workflow.approve(closing, reviewer_example("D"), by=people["director"], then=_no_copies)
    assert [p.key for p in refused.value.problems] == ["case"]
    assert "接案表" in str(refused.value.problems[0].params)


def test_a_returned_d_goes_back_to_its_worker_editable_with_the_case_open(app, people) -> None:
    from service.cases import workflow

    case, closing = _ready_to_close(people)
    workflow.return_(closing, "请补充反思", {"reflection": "太简略", "goals.0.status": "请具体"},
                     by=people["director"])
    assert closing.state == "returned" and case.is_open and case.stage == "成效评估"
    assert closing.field_comments == {"reflection": "太简略", "goals.0.status": "请具体"}
    assert closing.draft["reflection"] == example("D")["reflection"]
    saved = workflow.save_draft(closing, {**closing.draft, "reflection": "补充后的反思"},
                                by=people["worker"], expected_version=workflow.version_tag(closing))
    assert saved.form.state == "returned"
    workflow.submit(closing, {**worker_example("D"), "reflection": "补充后的反思"},
                    by=people["worker"], then=_no_copies)
    assert closing.state == "submitted" and closing.field_comments == {}
    assert case.stage == "待结案审批"


def test_a_return_names_only_cells_of_the_form(app, people) -> None:
    from service.cases import workflow
    from service.cases.errors import Invalid

    _case_, closing = _ready_to_close(people)
    with pytest.raises(Invalid):
        workflow.return_(closing, "见意见", {"no_such_field": "x"}, by=people["director"])
    with pytest.raises(Invalid):
        workflow.return_(closing, "  ", by=people["director"])
    assert closing.state == "submitted"


# --- two people for every sign-off --------------------------------------------------------

def test_nobody_signs_off_or_returns_their_own_submission_whatever_their_roles(
        app, people) -> None:
    from service.cases import lifecycle, workflow
    from service.cases.errors import SelfReview

    both = people["both"]
    case = _case(both)
    form = lifecycle.new_form(case, "B", by=both)
    workflow.submit(form, worker_example("B"), by=both, then=_no_copies)
    with pytest.raises(SelfReview) as refused:
        workflow.approve(form, reviewer_example("B"), by=both, then=_no_copies)
    assert "someone else" in refused.value.message_id and "他人" in refused.value.message
    with pytest.raises(SelfReview):
        workflow.return_(form, "自己退回", by=both)
    assert form.state == "submitted" and _steps(form) == ["submitted"]
    workflow.approve(form, reviewer_example("B"), by=people["director"], then=_no_copies)
    assert form.state == "approved"


def test_the_page_says_why_a_reviewer_cannot_sign_their_own_form(app, people) -> None:
    from service.cases import lifecycle, workflow
    from service.db import db

    both = people["both"]
    case = _case(both)
    form = lifecycle.new_form(case, "B", by=both)
    workflow.submit(form, worker_example("B"), by=both, then=_no_copies)
    db.session.commit()
    client = app.test_client()
    login(client, both)
    page = unescape(client.get(f"/cases/{case.id}/forms/{form.id}").get_data(as_text=True))
    assert "someone else must review it" in page or "须由他人审核" in page
    assert 'id="approve"' not in page
    listing = unescape(client.get("/review").get_data(as_text=True))
    assert "须由他人签批" in listing or "someone else signs it off" in listing
    token = csrf_token(client, "/cases")
    refused = client.post(f"/cases/{case.id}/forms/{form.id}/approve",
                          data={"csrf_token": token, **posted_form(reviewer_example("B"))})
    assert refused.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(form), form.id).state == "submitted"


# --- version tags, withdraw --------------------------------------------------------------

def test_a_save_against_an_older_tag_is_refused_never_merged(app, people) -> None:
    from service.cases import lifecycle, workflow
    from service.cases.errors import StaleVersion

    worker = people["worker"]
    form = lifecycle.new_form(_case(worker), "B", by=worker)
    opened = workflow.version_tag(form)
    workflow.save_draft(form, {"client_name": "甲"}, by=worker, expected_version=opened)
    with pytest.raises(StaleVersion) as stale:
        workflow.save_draft(form, {"client_name": "乙"}, by=worker, expected_version=opened)
    assert stale.value.current_data["client_name"] == "甲"
    assert stale.value.current_tag == workflow.version_tag(form) != opened
    assert form.draft["client_name"] == "甲"


def test_a_save_whose_answer_was_lost_is_the_pages_own_not_a_conflict(app, people) -> None:
    """A tablet's connection drops while a draft save's answer is on its way back: the server
    stored it, the page still holds the tag from before. Its next saves and its submission
    name the saves left unanswered; made against that same tag, they are the page's own."""
    from service.cases import lifecycle, workflow

    worker = people["worker"]
    form = lifecycle.new_form(_case(worker), "B", by=worker)
    held = workflow.version_tag(form)
    first, second, third = (uuid.uuid4().hex for _ in range(3))
    workflow.save_draft(form, {"client_name": "甲"}, by=worker, expected_version=held,
                        attempt=first)  # its answer never arrives
    workflow.save_draft(form, {"client_name": "甲", "phone": "13900000000"}, by=worker,
                        expected_version=held, attempt=second, unanswered={first})
    assert form.draft["phone"] == "13900000000"
    workflow.save_draft(form, {"client_name": "甲乙"}, by=worker,  # lost again
                        expected_version=held, attempt=third, unanswered={first, second})
    workflow.submit(form, worker_example("B"), by=worker, expected_version=held,
                    unanswered={first, second, third}, then=_no_copies)
    assert form.state == "submitted"


@pytest.mark.parametrize("meanwhile", ["another_save", "submitted_and_withdrawn", "not_listed",
                                       "older_tag", "another_person"])
def test_a_lost_answer_never_hides_another_writers_change(app, people, meanwhile) -> None:
    """Only the page's own unanswered save, made against the tag it holds and written last,
    passes: another save since, another step since (a submission and its withdrawal from
    another tablet), a save the page does not list, a page holding an older tag than that
    save's, or a save by someone else under the same name is still refused and compared."""
    from service.cases import lifecycle, workflow
    from service.cases.errors import StaleVersion

    worker = people["worker"]
    form = lifecycle.new_form(_case(worker), "B", by=worker)
    older = workflow.version_tag(form)
    if meanwhile == "older_tag":
        workflow.save_draft(form, {"client_name": "丙"}, by=worker, expected_version=older)
    held = workflow.version_tag(form)
    lost = uuid.uuid4().hex
    writer = people["director"] if meanwhile == "another_person" else worker
    workflow.save_draft(form, {"client_name": "甲"}, by=writer, expected_version=held,
                        attempt=lost)
    if meanwhile == "another_save":  # another tablet, with the tag the lost save made
        workflow.save_draft(form, {"client_name": "乙"}, by=worker,
                            expected_version=workflow.version_tag(form),
                            attempt=uuid.uuid4().hex)
    if meanwhile == "submitted_and_withdrawn":
        workflow.submit(form, worker_example("B"), by=worker, then=_no_copies)
        workflow.withdraw(form, by=worker)
    listed = {uuid.uuid4().hex} if meanwhile == "not_listed" else {lost}
    page_tag = older if meanwhile == "older_tag" else held
    with pytest.raises(StaleVersion):
        workflow.save_draft(form, {"client_name": "丁"}, by=worker, expected_version=page_tag,
                            attempt=uuid.uuid4().hex, unanswered=listed)
    with pytest.raises(StaleVersion):
        workflow.submit(form, worker_example("B"), by=worker, expected_version=page_tag,
                        unanswered=listed, then=_no_copies)
    kept = {"another_save": "乙", "submitted_and_withdrawn": "王建国"}.get(meanwhile, "甲")
    assert form.draft["client_name"] == kept


def test_a_retried_save_whose_answer_was_lost_is_answered_not_written_again(app,
                                                                          people) -> None:
    """A client retrying a draft save under the same name (its answer was lost) gets the form
    as that save left it, nothing written twice; once anything else has changed the form, the
    retry's tag is stale like any other."""
    from service.cases import lifecycle, workflow
    from service.cases.errors import StaleVersion

    worker = people["worker"]
    form = lifecycle.new_form(_case(worker), "B", by=worker)
    held = workflow.version_tag(form)
    name = uuid.uuid4().hex
    first = workflow.save_draft(form, {"client_name": "甲"}, by=worker, expected_version=held,
                                attempt=name)
    made = workflow.version_tag(form)
    again = workflow.save_draft(form, {"client_name": "甲"}, by=worker, expected_version=held,
                                attempt=name)
    assert again.repeated and not first.repeated
    assert workflow.version_tag(form) == made and form.draft["client_name"] == "甲"
    with pytest.raises(StaleVersion):  # the same name from someone else is not a retry
        workflow.save_draft(form, {"client_name": "乙"}, by=people["director"],
                            expected_version=held, attempt=name)
    workflow.save_draft(form, {"client_name": "丙"}, by=worker, expected_version=made,
                        attempt=uuid.uuid4().hex)
    with pytest.raises(StaleVersion):
        workflow.save_draft(form, {"client_name": "甲"}, by=worker, expected_version=held,
                            attempt=name)
    assert form.draft["client_name"] == "丙"


def test_a_draft_save_never_pulls_a_form_out_of_review(app, people) -> None:
    from service.cases import lifecycle, workflow
    from service.cases.errors import WrongState

    worker = people["worker"]
    form = lifecycle.new_form(_case(worker), "B", by=worker)
    workflow.submit(form, worker_example("B"), by=worker, then=_no_copies)
    with pytest.raises(WrongState) as refused:
        workflow.save_draft(form, {"client_name": "乙"}, by=worker)
    assert refused.value.status == 409 and form.state == "submitted"
    workflow.withdraw(form, by=worker)
    assert form.state == "withdrawn" and form.draft["client_name"] == "王建国"
    assert _steps(form) == ["submitted", "withdrawn"]
    workflow.save_draft(form, {**form.draft, "client_name": "乙"}, by=worker)
    assert form.state == "withdrawn"


def test_the_same_submission_repeated_gives_the_first_result(app, people) -> None:
    from service.auth.models import AuditEntry
    from service.cases import lifecycle, workflow
    from service.cases.models import FormVersion
    from service.db import db

    worker = people["worker"]
    form = lifecycle.new_form(_case(worker), "B", by=worker)
    key = uuid.uuid4().hex
    first = workflow.submit(form, worker_example("B"), by=worker, idempotency_key=key,
                            then=_no_copies)
    again = workflow.submit(form, worker_example("B"), by=worker, idempotency_key=key,
                            then=_no_copies)
    assert again.repeated and again.version.id == first.version.id
    assert db.session.scalar(select(func.count(FormVersion.id))) == 1
    assert _steps(form) == ["submitted"]
    assert db.session.scalar(select(func.count(AuditEntry.id))
                             .where(AuditEntry.action == "form.submit")) == 1


def test_a_submission_reads_its_key_and_the_latest_version_in_one_statement(app, people):

    from service.cases import lifecycle, workflow
    from service.cases.errors import WrongState
    from service.db import db

    worker = people["worker"]
    form = lifecycle.new_form(_case(worker), "B", by=worker)
    other = lifecycle.new_form(_case(worker), "B", by=worker)
    first_key, second_key, other_key = (uuid.uuid4().hex for _ in range(3))
    first = workflow.submit(form, worker_example("B"), by=worker, idempotency_key=first_key,
                            then=_no_copies)
    db.session.commit()
    workflow.withdraw(form, by=worker)
    second = workflow.submit(form, {**worker_example("B"), "client_name": "乙"}, by=worker,
                             idempotency_key=second_key, then=_no_copies)
    workflow.submit(other, worker_example("B"), by=worker, idempotency_key=other_key,
                    then=_no_copies)
    db.session.commit()
    db.session.expire_all()  # the versions are read, not taken from the session
    db.session.refresh(form)
    db.session.refresh(other)

    with statements() as seen:
        assert lifecycle.submission_and_latest(form, first_key) == (first.version,
                                                                    second.version)
        assert len(seen) == 1
        assert lifecycle.submission_and_latest(form, uuid.uuid4().hex) == (None, second.version)
        earlier, latest = lifecycle.submission_and_latest(form, other_key)
        assert (earlier.form_id, latest) == (other.id, second.version)
        assert len(seen) == 3
    assert lifecycle.submission_and_latest(form, None) == (None, second.version)
    again = workflow.submit(form, worker_example("B"), by=worker, idempotency_key=first_key,
                            then=_no_copies)
    assert again.repeated and again.version == first.version
    with pytest.raises(WrongState):  # a key already used for another form
        workflow.submit(form, worker_example("B"), by=worker, idempotency_key=other_key,
                        then=_no_copies)


def test_a_submission_makes_its_hash_and_audit_details_before_its_turn(app, people,
                                                                        monkeypatch):
    """On SQLite the form's turn is the database's one write lock: what can be worked out
    before it is, so that others wait less."""

    from service.auth import audit
    from service.cases import lifecycle, workflow
    from service.db import db

    worker = people["worker"]
    form = lifecycle.new_form(_case(worker), "B", by=worker)
    db.session.commit()
    marks = ("content_hash", "canonical")
    with statements() as seen:  # the two calls marked among the statements, as they come
        for module, name in ((lifecycle, "content_hash"), (audit, "canonical")):
            real = getattr(module, name)
            monkeypatch.setattr(module, name,
                                lambda *a, _real=real, _name=name, **k: (seen.append(_name),
                                                                          _real(*a, **k))[1])
        workflow.submit(form, worker_example("B"), by=worker, idempotency_key=uuid.uuid4().hex,
                        then=_no_copies)
    order = [entry if entry in marks else "turn" for entry in seen
             if entry in marks or ("lock_version" in entry
                                   and ("FOR UPDATE" in entry or entry.startswith("UPDATE")))]
    assert order[:3] == ["content_hash", "canonical", "turn"]
    assert "content_hash" not in order[3:] and "canonical" not in order[3:]
    entry = audit.verify()
    assert entry.ok and entry.count >= 1


def test_a_submission_takes_its_turn_by_writing_its_form_as_read(app, people):
    """The form's own update, where it is still as read, is the turn and its check: no
    statement before it to lock or check the form, and the form is written once."""
    from service.cases import lifecycle, workflow
    from service.cases.models import FormRecord, FormState
    from service.db import db

    worker = people["worker"]
    form = lifecycle.new_form(_case(worker), "B", by=worker)
    db.session.commit()
    as_read = form.lock_version
    with statements() as seen:
        workflow.submit(form, worker_example("B"), by=worker, idempotency_key=uuid.uuid4().hex,
                        then=_no_copies)
    writes = [s for s in seen if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes[0].startswith("UPDATE form_records")
    assert "lock_version" in writes[0].split(" WHERE ", 1)[1]  # where it is still as read
    assert not any("FOR UPDATE" in s for s in seen)
    assert sum(s.startswith("UPDATE form_records") for s in seen) == 1
    db.session.commit()
    stored = stored_row(FormRecord, form.id)
    assert stored["state"] == FormState.SUBMITTED and stored["lock_version"] == as_read + 1
    assert stored["draft"] == {} and stored["review_comment"] == ""


def _moved_meanwhile(form_id: int, **values) -> None:
    """Another tablet's step on the form, committed after this session read it."""
    from sqlalchemy import update

    from service.cases.models import FormRecord
    from service.db import db

    table = FormRecord.__table__
    with db.engine.begin() as other:
        other.execute(update(table).where(table.c.id == form_id)
                      .values(lock_version=table.c.lock_version + 1, **values))


def test_a_form_changed_after_it_was_read_is_read_and_checked_again(app, people):
    """The turn finds the form moved on since it was read (a draft saved meanwhile): nothing
    is written over it; it is read afresh under its turn, checked again, and stored."""
    from service.cases import lifecycle, workflow
    from service.cases.models import FormRecord, FormState, FormVersion
    from service.db import db

    worker = people["worker"]
    form = lifecycle.new_form(_case(worker), "B", by=worker)
    db.session.commit()
    as_read = form.lock_version
    _moved_meanwhile(form.id, draft={"client_name": "另一台平板"})
    with statements() as seen:
        outcome = workflow.submit(form, worker_example("B"), by=worker,
                                  idempotency_key=uuid.uuid4().hex, then=_no_copies)
    db.session.commit()
    assert outcome.version.number == 1 and not outcome.repeated
    updates = [s for s in seen if s.startswith("UPDATE form_records")]
    assert len(updates) == 2  # the turn that found it moved, then the write under the turn
    stored = stored_row(FormRecord, form.id)
    assert stored["state"] == FormState.SUBMITTED and stored["lock_version"] == as_read + 2
    assert stored["draft"] == {}
    assert db.session.scalar(select(func.count(FormVersion.id))
                             .where(FormVersion.form_id == form.id)) == 1


def test_a_form_submitted_by_another_tablet_meanwhile_is_not_submitted_again(app, people):
    """Checked again after the turn found it moved: it now waits for review, so this
    submission is refused and writes nothing."""
    from service.cases import lifecycle, workflow
    from service.cases.errors import WrongState
    from service.cases.models import FormRecord, FormState, FormVersion
    from service.db import db

    worker = people["worker"]
    form = lifecycle.new_form(_case(worker), "B", by=worker)
    db.session.commit()
    as_read = form.lock_version
    _moved_meanwhile(form.id, state=FormState.SUBMITTED)
    with pytest.raises(WrongState):
        workflow.submit(form, worker_example("B"), by=worker, idempotency_key=uuid.uuid4().hex,
                        then=_no_copies)
    db.session.rollback()
    stored = stored_row(FormRecord, form.id)
    assert stored["state"] == FormState.SUBMITTED and stored["lock_version"] == as_read + 1
    assert db.session.scalar(select(func.count(FormVersion.id))
                             .where(FormVersion.form_id == form.id)) == 0


def test_another_writer_of_the_form_waits_until_the_submission_commits(app, people):
    """The turn is held until the transaction ends: another connection cannot change the
    form meanwhile (SQLite: the write lock; PostgreSQL: the row lock), and can afterwards."""
    from sqlalchemy import update
    from sqlalchemy.exc import OperationalError

    from service.cases import lifecycle, workflow
    from service.cases.models import FormRecord
    from service.db import db

    worker = people["worker"]
    form = lifecycle.new_form(_case(worker), "B", by=worker)
    db.session.commit()
    workflow.submit(form, worker_example("B"), by=worker, idempotency_key=uuid.uuid4().hex,
                    then=_no_copies)
    submitted = form.lock_version
    table = FormRecord.__table__
    bump = (update(table).where(table.c.id == form.id)
            .values(lock_version=table.c.lock_version + 1))
    with db.engine.connect() as other:
        if other.dialect.name == "sqlite":
            other.connection.dbapi_connection.lock_wait = 0.1
        else:
            other.exec_driver_sql("SET lock_timeout = '100ms'")
        with pytest.raises(OperationalError):
            other.execute(bump)
        other.rollback()
        db.session.commit()  # the turn ends with the submission stored
        other.execute(bump)
        other.commit()
    assert stored_row(FormRecord, form.id)["lock_version"] == submitted + 1


def test_the_same_approval_repeated_gives_the_first_result(app, people) -> None:
    from service.cases import lifecycle, workflow
    from service.cases.errors import WrongState

    worker, director = people["worker"], people["director"]
    form = lifecycle.new_form(_case(worker), "B", by=worker)
    workflow.submit(form, worker_example("B"), by=worker, then=_no_copies)
    key = uuid.uuid4().hex
    first = workflow.approve(form, reviewer_example("B"), by=director, idempotency_key=key,
                             then=_no_copies)
    again = workflow.approve(form, reviewer_example("B"), by=director, idempotency_key=key,
                             then=_no_copies)
    assert again.repeated and again.version.id == first.version.id
    with pytest.raises(WrongState):  # a second approval without the key is a conflict
        workflow.approve(form, reviewer_example("B"), by=director, then=_no_copies)
    assert _steps(form) == ["submitted", "approved"]


def test_every_step_is_in_the_one_table(app) -> None:
    from service.cases import workflow

    assert set(workflow.TRANSITIONS) == {"save_draft", "submit", "withdraw", "return",
                                         "approve", "reopen"}
    assert {t.actor for t in workflow.TRANSITIONS.values()
            if t.name in ("approve", "return")} == {workflow.Actor.REVIEWER}


# --- the pages ------------------------------------------------------------------------------

def _open_form(client, code: str = "B") -> tuple[int, int]:
    token = csrf_token(client, "/cases")
    response = client.post("/cases/new", data={"csrf_token": token})
    case_id, form_id = (int(p) for p in response.headers["Location"].split("/")[2::2])
    if code != "B":
        response = client.post(f"/cases/{case_id}/forms/{code}", data={"csrf_token": token})
        form_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return case_id, form_id


def _tag(page: str) -> str:
    found = re.search(r'name="version_tag" id="version_tag" value="([^"]*)"', page)
    assert found, "no version tag on the page"
    return found.group(1)


def test_a_stale_autosave_is_refused_and_the_page_compares_field_by_field(app, people) -> None:
    from service.cases.models import FormRecord
    from service.db import db

    tab1, tab2 = app.test_client(), app.test_client()
    login(tab1, people["worker"])
    login(tab2, people["worker"])
    case_id, form_id = _open_form(tab1)
    url = f"/cases/{case_id}/forms/{form_id}"
    old_tag = _tag(tab1.get(url).get_data(as_text=True))
    token, token2 = csrf_token(tab1, url), csrf_token(tab2, url)
    saved = tab2.post(url + "/draft", data={"csrf_token": token2, "version_tag": old_tag,
                                            "client_name": "李四", "phone": "13900000000"})
    assert saved.status_code == 200 and saved.json["version_tag"] != old_tag
    stale = tab1.post(url + "/draft", data={"csrf_token": token, "version_tag": old_tag,
                                            "client_name": "王五"})
    assert stale.status_code == 412 and stale.json["compare_url"].endswith("/compare")
    db.session.expire_all()
    assert db.session.get(FormRecord, form_id).draft["client_name"] == "李四"
    # the comparison page: mine in the form, theirs beside it, nothing lost
    page = tab1.post(stale.json["compare_url"], data={
        "csrf_token": token, "version_tag": old_tag, "client_name": "王五"})
    assert page.status_code == 409
    text = unescape(page.get_data(as_text=True))
    assert 'value="王五"' in text and "李四" in text and 'name="choose.client_name"' in text
    new_tag = _tag(text)
    # keep mine for the name, theirs for the phone
    chosen = tab1.post(url + "/chosen", data={
        "csrf_token": token, "version_tag": new_tag, "client_name": "王五",
        "choose.client_name": "mine", "choose.phone": "theirs"})
    assert chosen.status_code == 302
    db.session.expire_all()
    draft = db.session.get(FormRecord, form_id).draft
    assert (draft["client_name"], draft["phone"]) == ("王五", "13900000000")


def test_a_stale_submission_is_refused_with_the_comparison(app, people) -> None:
    from service.cases.models import FormRecord
    from service.db import db

    client = app.test_client()
    login(client, people["worker"])
    case_id, form_id = _open_form(client)
    url = f"/cases/{case_id}/forms/{form_id}"
    old_tag = _tag(client.get(url).get_data(as_text=True))
    token = csrf_token(client, url)
    client.post(url + "/draft", data={"csrf_token": token, "version_tag": old_tag,
                                      "client_name": "李四"})
    refused = client.post(url, data={**posted_form(worker_example("B")), "csrf_token": token,
                                     "version_tag": old_tag,
                                     "submission_token": uuid.uuid4().hex})
    assert refused.status_code == 409
    assert "李四" in unescape(refused.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(FormRecord, form_id).state == "draft"


def test_withdraw_from_the_page_and_the_reviewers_list_says_so(app, people) -> None:
    from service.cases.models import FormRecord
    from service.db import db

    worker, director = app.test_client(), app.test_client()
    login(worker, people["worker"])
    login(director, people["director"])
    case_id, form_id = _open_form(worker)
    url = f"/cases/{case_id}/forms/{form_id}"
    token = csrf_token(worker, url)
    assert worker.post(url, data={**posted_form(worker_example("B")), "csrf_token": token,
                                  "submission_token": uuid.uuid4().hex}).status_code == 302
    page = unescape(worker.get(url).get_data(as_text=True))
    assert 'id="withdraw"' in page and "cannot be changed" in page or "不能修改" in page
    late = worker.post(url + "/draft", data={"csrf_token": token, "client_name": "x"})
    assert late.status_code == 409
    assert worker.post(url + "/withdraw", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(FormRecord, form_id).state == "withdrawn"
    listing = director.get("/review").get_data(as_text=True)
    assert 'class="withdrawn"' in listing and f"/forms/{form_id}" in listing


def test_field_comments_of_a_return_show_beside_their_fields(app, people) -> None:
    worker, director = app.test_client(), app.test_client()
    login(worker, people["worker"])
    login(director, people["director"])
    case_id, form_id = _open_form(worker)
    url = f"/cases/{case_id}/forms/{form_id}"
    token = csrf_token(worker, url)
    worker.post(url, data={**posted_form(worker_example("B")), "csrf_token": token,
                           "submission_token": uuid.uuid4().hex})
    review_page = director.get(url).get_data(as_text=True)
    assert 'name="field_comment.phone" form="return-form"' in review_page
    dtoken = csrf_token(director, url)
    returned = director.post(url + "/return", data={
        "csrf_token": dtoken, "review_comment": "请核对电话",
        "field_comment.phone": "电话少一位", "field_comment.address": ""})
    assert returned.status_code == 302
    page = worker.get(url).get_data(as_text=True)
    cell = re.search(r'<td[^>]*data-field="phone">(.*?)</td>', page, re.S)
    assert cell and "电话少一位" in cell.group(1)
    assert "请核对电话" in page and 'href="#comment-phone"' in page
