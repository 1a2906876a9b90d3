"""The review cycle of a form (8.3) as one small state machine: the one road every change of a
form's state goes through, from the pages, the API, the importer and the command line alike.

    draft ──submit──▶ submitted ──approve──▶ approved ──reopen──▶ draft
      ▲                │    │                 (a closing form's approval closes or
      │ (typing)       │    └──return──▶ returned ──submit──▶ submitted   transfers its case)
      │                └──withdraw──▶ withdrawn ──submit──▶ submitted

:data:`TRANSITIONS` is the table: for each step, the states it starts from, the state it
leads to, who may make it (the person who may edit the case, or a reviewer who neither wrote
nor submitted the form: the two-person rule holds whatever roles one holds) and what it
records. Each public function below makes one step: it takes its turn on the form's row (so of
two simultaneous steps one wins and the other sees the new state), checks the version tag it
was given, who makes it and the data, then changes the state, records the review step and the
audit entry, and queues what follows (the copies of a stored version; filing follows from them
once a closing form is signed off). A submission, the step made most often, checks the form as
read and takes its turn only to write, checking again if the form moved meanwhile. A closing
form's submission puts its case in pending closure or pending transfer; its approval, with
every reviewer's cell written and signed, every goal's outcome filled, the case's risk grade
assessed and the case's other forms signed off, closes or transfers it. Nothing reaches the
archive unsigned.

Each function adds to and flushes the session; the caller commits. Refusals are typed errors
of :mod:`service.cases.errors` carrying a translatable message and the HTTP status that
answers them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ..annexes import ANNEXES
from ..annexes.model import Annex, Kind
from ..annexes.validate import N_, Problem, clean, is_blank
from ..auth import audit
from ..auth.models import ReviewAction, ReviewStep
from ..db import db, insert_row, take_turns, utcnow, write_rows
from . import lifecycle
from .access import can_edit_case, can_review
from .errors import Invalid, NotAllowed, SelfReview, StaleVersion, WrongState
from .evaluation import record_form
from .models import EDITABLE_STATES, Case, FormRecord, FormState, FormVersion

MAX_COMMENT = 2000
MAX_FIELD_COMMENTS = 200


class Actor(StrEnum):
    """Who may make a step."""

    EDITOR = "editor"  # whoever may edit the case's forms (its worker, a supervisor ...)
    REVIEWER = "reviewer"  # a supervisor or director of the case who did not write the form


@dataclass(frozen=True)
class Transition:
    """One step of the review cycle."""

    name: str
    sources: frozenset[FormState]
    target: FormState | None  # None: the state stays
    actor: Actor
    action: ReviewAction | None  # the review step it records
    audit: str  # the audit entry it records ("" for none)


TRANSITIONS: dict[str, Transition] = {t.name: t for t in (
    Transition("save_draft", EDITABLE_STATES, None, Actor.EDITOR, None, ""),
    Transition("submit", EDITABLE_STATES, FormState.SUBMITTED, Actor.EDITOR,
               ReviewAction.SUBMITTED, "form.submit"),
    Transition("withdraw", frozenset({FormState.SUBMITTED}), FormState.WITHDRAWN, Actor.EDITOR,
               ReviewAction.WITHDRAWN, "form.withdraw"),
    Transition("return", frozenset({FormState.SUBMITTED}), FormState.RETURNED, Actor.REVIEWER,
               ReviewAction.RETURNED, "form.return"),
    Transition("approve", frozenset({FormState.SUBMITTED}), FormState.APPROVED, Actor.REVIEWER,
               ReviewAction.APPROVED, "form.approve"),
    Transition("reopen", frozenset({FormState.APPROVED}), FormState.DRAFT, Actor.EDITOR,
               ReviewAction.REOPENED, "form.reopen"),
)}

#: Why a step cannot start from a state, by the state the form is in.
_STATE_MESSAGES = {
    FormState.SUBMITTED: N_("This form waits for review: it cannot be changed until it is "
                            "returned or withdrawn."),
    FormState.APPROVED: N_("This form is approved and locked: reopen it to change it."),
    FormState.RETURNED: N_("This form was returned to its worker; it waits for a new "
                           "submission."),
    FormState.WITHDRAWN: N_("This form was withdrawn by its worker; it waits for a new "
                            "submission."),
    FormState.DRAFT: N_("This form has not been submitted for review."),
}

# --- what follows a step --------------------------------------------------------------------

_on_stored: list[Callable[[FormVersion], None]] = []


def on_version_stored(hook: Callable[[FormVersion], None]) -> Callable[[FormVersion], None]:
    """Register what follows each stored version (the queue makes its copies, and files a
    closed case once they are ready). Registered by the queue's package at import."""
    if hook not in _on_stored:
        _on_stored.append(hook)
    return hook


def _stored(version: FormVersion) -> None:
    if not _on_stored:
        raise RuntimeError("nothing makes the copies of a stored form: import service.jobs")
    for hook in _on_stored:
        hook(version)


# --- results ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What a step did: the form, the version it stored (if any), the review step it
    recorded, and whether it is the repetition of an earlier request (nothing new stored)."""

    form: FormRecord
    version: FormVersion | None
    step: ReviewStep | None
    repeated: bool = False

    @property
    def tag(self) -> str:
        return version_tag(self.form)


def version_tag(form: FormRecord) -> str:
    """The form's version tag: an opaque string that changes with every change of the form
    (its draft, its state, a new version). A change made against an older tag is refused."""
    return f"{form.id}-{form.lock_version}"


# --- the steps ------------------------------------------------------------------------------

def save_draft(form: FormRecord, data: dict[str, Any], *, by: Any,
               expected_version: str | None = None, attempt: str | None = None,
               unanswered: Collection[str] = ()) -> Outcome:
    """Keep what is typed so far (a draft may be incomplete); never changes the form's state.

    Refused with :class:`WrongState` (409) while the form waits for review or is approved,
    with :class:`StaleVersion` (412) when ``expected_version`` is given and is not the
    form's tag (someone else saved meanwhile: nothing is merged), with :class:`NotAllowed`
    (403) when ``by`` may not edit the case. The reviewer's cells keep their values unless
    ``by`` is a reviewer of the case.

    ``attempt`` names this save as the form page sent it, ``unanswered`` the page's earlier
    saves whose answers it never got (the connection dropped on the way back). When the form
    was last written by ``by`` in one of those, against this same tag, the tag is not stale:
    the change since it is the page's own, and what the page sends now holds every value it
    sent then.

    The same ``attempt`` again (a retry of a save whose answer was lost), when that save is
    still the form's last write, returns with ``repeated`` set and writes nothing: the form
    holds what it asked for.
    """
    _begin(form, TRANSITIONS["save_draft"], by, expected_version,
           unanswered if attempt is None else (*unanswered, attempt))
    if attempt and expected_version is not None and _own_unanswered_save(
            form, expected_version, (attempt,), by):
        return Outcome(form, None, None, repeated=True)
    annex = ANNEXES[form.annex]
    if not _reviews(by, form):
        data = {**data, **annex.reviewer_part(form.data)}
    form.draft = data
    form.draft_saved_at = utcnow()
    form.edited_by_id = getattr(by, "id", None)
    form.draft_attempt = _attempt_mark(attempt, expected_version, made=_next_row_version(form))
    _write(form)
    return Outcome(form, None, None)


def submit(form: FormRecord, data: dict[str, Any], *, by: Any,
           idempotency_key: str | None = None, expected_version: str | None = None,
           source: str = "typed", unanswered: Collection[str] = (),
           then: Callable[[FormVersion], None] | None = None) -> Outcome:
    """Store ``data`` as a new immutable version waiting for review, and queue its copies.

    The same ``idempotency_key`` again (a double tap, a retry) returns the first result with
    ``repeated`` set. ``data`` is checked in full: :class:`Invalid` (422) with the problems of
    each field. The reviewer's cells keep their stored values unless ``by`` reviews the case
    (an earlier sign-off never carries over to a corrected version). A closing form puts its
    case in pending closure or pending transfer. Also :class:`WrongState`,
    :class:`StaleVersion`, :class:`NotAllowed` as for :func:`save_draft`.

    ``unanswered``: the page's draft saves whose answers it never got, as for
    :func:`save_draft`.

    An imported form (``source="imported"``) is stored as it was read, the paper's own
    reviewer's remarks included (they are no sign-off here): its reviewer sees what the old
    paper held, and signs it off only once it is complete.
    ``then`` replaces what follows the stored version (the queue making its copies).
    """
    step = TRANSITIONS["submit"]
    annex = ANNEXES[form.annex]
    imported = source == "imported"
    locked = False
    while True:  # checked as read, then once more under the form's turn if it moved meanwhile
        earlier, latest = lifecycle.submission_and_latest(form, idempotency_key)
        if earlier is not None:
            return _repeated_submission(form, earlier)
        _check_tag(form, expected_version, unanswered, by)
        _check(form, step, by)
        if not form.case.is_open:
            raise WrongState(N_("This case is already closed."), state=form.state)
        if not imported and not _reviews(by, form):
            signed_off = latest is not None and latest.approved_by_id is not None
            stored = {} if signed_off or latest is None else latest.data
            data = {**data, **annex.reviewer_part(stored)}
        cleaned, problems = clean(annex, data, submit=not imported)
        if imported:
            cleaned = data
        elif problems:
            raise Invalid(N_("The form has %(n)s problem(s); each is shown beside its field."),
                          problems=problems, n=len(problems))
        # made before the turn, which on SQLite is the database's one write lock
        version = _new_version(form, cleaned, by=by, source=source, token=idempotency_key,
                               after=latest)
        described = _described(form, version.number,
                               {"before": latest.data if latest else {}, "after": cleaned})
        if locked or _take_turn(form, step):
            break
        locked = True
    if annex.closes_case:
        lifecycle.await_closing(form.case, annex, cleaned)
    else:
        lifecycle.follow(form.case, annex, cleaned)
    _move(form, step)  # written already as the turn, unless it was taken after a re-read
    return _finish(form, step, by, version, key=None, then=then, new=True, facts=cleaned,
                   described=described)


def withdraw(form: FormRecord, *, by: Any, reason: str = "",
             idempotency_key: str | None = None, expected_version: str | None = None
             ) -> Outcome:
    """Take a form waiting for review back to its worker (it leaves the review list as
    withdrawn). A closing form's case leaves pending closure. :class:`WrongState` unless the
    form waits for review; :class:`NotAllowed` unless ``by`` may edit the case. The same
    ``idempotency_key`` again (a double tap) returns the first result with ``repeated``
    set."""
    if (earlier := _repeated_review(form, idempotency_key)) is not None:
        return earlier
    step = TRANSITIONS["withdraw"]
    _begin(form, step, by, expected_version)
    if (earlier := _repeated_review(form, idempotency_key)) is not None:
        return earlier
    current = form.current
    assert current is not None
    form.draft = dict(current.data)
    _back_to_worker(form)
    return _finish(form, step, by, current, comment=_comment(reason, required=False),
                   key=idempotency_key, details={"reason": reason.strip()[:MAX_COMMENT]})


def return_(form: FormRecord, comment: str, field_comments: dict[str, str] | None = None, *,
            by: Any, idempotency_key: str | None = None,
            expected_version: str | None = None) -> Outcome:
    """Send a form waiting for review back to its worker with a general comment and, if any,
    comments on single cells (``field_comments``: a field path such as ``client_name`` or
    ``goals.1.status`` -> the comment). The worker carries on from what they submitted; a
    closing form's case stays open. :class:`Invalid` without a comment, for a path that is
    no cell of the form or a comment too long; :class:`SelfReview` (403) for the form's own
    writer or submitter; :class:`NotAllowed` for anyone who does not review the case;
    :class:`WrongState` (409) unless it waits for review (a second, simultaneous review)."""
    if (earlier := _repeated_review(form, idempotency_key)) is not None:
        return earlier
    step = TRANSITIONS["return"]
    _begin(form, step, by, expected_version)
    if (earlier := _repeated_review(form, idempotency_key)) is not None:
        return earlier
    text = _comment(comment, required=True)
    notes = _field_comments(ANNEXES[form.annex], field_comments or {})
    current = form.current
    assert current is not None
    form.draft = dict(current.data)
    form.review_comment = text
    form.field_comments = notes
    _back_to_worker(form)
    return _finish(form, step, by, current, comment=text, field_comments=notes,
                   key=idempotency_key, details={"comment": text, "fields": notes})


def approve(form: FormRecord, reviewer_data: dict[str, Any], *, by: Any,
            idempotency_key: str | None = None, expected_version: str | None = None,
            then: Callable[[FormVersion], None] | None = None) -> Outcome:
    """Sign off a form waiting for review with the reviewer's cells (taken from
    ``reviewer_data``; the worker's cells are those submitted): a new, locked version.

    Every reviewer's cell must be written and each signature signed and dated; a closing form
    also needs every goal's outcome filled, the case's risk grade assessed and the case's
    other forms signed off, and its approval closes or transfers the case (filed once its
    copies are made). :class:`Invalid` (422) with the problems otherwise; :class:`SelfReview`,
    :class:`NotAllowed`, :class:`WrongState` and repetition as for :func:`return_`.
    ``then`` as for :func:`submit`.
    """
    if (earlier := _repeated_review(form, idempotency_key)) is not None:
        return earlier
    step = TRANSITIONS["approve"]
    _begin(form, step, by, expected_version)
    if (earlier := _repeated_review(form, idempotency_key)) is not None:
        return earlier
    annex = ANNEXES[form.annex]
    submitted = form.current
    assert submitted is not None
    merged = {**submitted.data, **annex.reviewer_part(reviewer_data)}
    data, problems = clean(annex, merged, submit=True)
    problems += _sign_off_problems(annex, data)
    if annex.closes_case:
        problems += _closing_problems(form, annex, data)
    if problems:
        raise Invalid(N_("The form cannot be signed off: %(n)s problem(s), each shown beside "
                         "its field."), problems=problems, n=len(problems))
    version = _new_version(form, data, by=by, source="typed", token=None,
                           submitted_by_id=submitted.submitted_by_id, after=submitted)
    version.approved_by_id, version.approved_at = getattr(by, "id", None), utcnow()
    form.review_comment = ""
    form.field_comments = {}
    if annex.closes_case:
        lifecycle.close_case(form.case, annex, data)
    return _finish(form, step, by, version, key=idempotency_key, then=then, new=True,
                   facts=data, details={"before": submitted.data, "after": data})


def reopen(form: FormRecord, reason: str, *, by: Any, idempotency_key: str | None = None,
           expected_version: str | None = None) -> Outcome:
    """Unlock an approved form for a correction: a draft whose next version needs review
    again; the reviewer's cells start empty (the earlier sign-off stays on its version).
    :class:`Invalid` without a reason; :class:`WrongState` unless approved;
    :class:`NotAllowed` unless ``by`` may edit the case (a closed case's forms stay locked).
    The same ``idempotency_key`` again (a double tap) returns the first result with
    ``repeated`` set."""
    if (earlier := _repeated_review(form, idempotency_key)) is not None:
        return earlier
    step = TRANSITIONS["reopen"]
    _begin(form, step, by, expected_version)
    if (earlier := _repeated_review(form, idempotency_key)) is not None:
        return earlier
    text = _comment(reason, required=True, message=N_("Say why the approved form must change."))
    current = form.current
    assert current is not None
    form.draft = ANNEXES[form.annex].worker_part(current.data)
    form.draft_saved_at = utcnow()
    return _finish(form, step, by, current, comment=text, key=idempotency_key,
                   details={"reason": text})


# --- who may -----------------------------------------------------------------------------

def may(name: str, form: FormRecord, by: Any) -> bool:
    """Whether ``by`` may make step ``name`` on ``form`` now (for showing the buttons)."""
    try:
        _check(form, TRANSITIONS[name], by)
    except (NotAllowed, WrongState):
        return False
    return True


def writers(form: FormRecord) -> set[int]:
    """The people who wrote or submitted the form's version under review (and its draft)."""
    current = form.current
    ids = {form.created_by_id, form.edited_by_id,
           current.submitted_by_id if current is not None else None}
    return {i for i in ids if i is not None}


def _reviews(by: Any, form: FormRecord) -> bool:
    return by is not None and can_review(by, form.case)


def _check(form: FormRecord, step: Transition, by: Any) -> None:
    if form.state not in step.sources:
        raise WrongState(_STATE_MESSAGES[FormState(form.state)], state=form.state)
    if step.actor is Actor.EDITOR:
        # nobody signed in: the command line, acting for the agency
        if by is not None and not can_edit_case(by, form.case):
            raise NotAllowed(N_("You may not change the forms of this case."))
        return
    if by is None or not can_review(by, form.case):
        raise NotAllowed(N_("Only a supervisor or director of this case signs off its forms."))
    if by.id in writers(form):
        raise SelfReview(N_("You wrote or submitted this form, so someone else must review "
                            "it: nobody signs off or returns their own work, whatever roles "
                            "they hold."))


# --- the steps' common parts -----------------------------------------------------------------

def _begin(form: FormRecord, step: Transition, by: Any, expected: str | None,
           unanswered: Collection[str] = ()) -> None:
    """Take the form's turn (others making a step on it wait), read it afresh, and check the
    version tag, the state and who makes the step."""
    take_turns(f"form:{form.id}", FormRecord.__table__, row_locked=True)
    db.session.refresh(form, with_for_update=True)
    _check_tag(form, expected, unanswered, by)
    _check(form, step, by)


def _take_turn(form: FormRecord, step: Transition) -> bool:
    """Take the form's turn after its checks were made on the form as read, by writing its
    move to the step's state where it is still as read: one update, after which others
    making a step on it wait until the commit (on SQLite that first write opens the
    database's one write lock, on PostgreSQL it locks the row). If another step changed the
    form meanwhile, nothing is written: it is read afresh under its turn and False says to
    check it again."""
    _move(form, step)
    try:
        write_rows(form)
    except StaleDataError:
        db.session.refresh(form, with_for_update=True)
        return False
    return True


def _move(form: FormRecord, step: Transition) -> None:
    """Set what a submission changes on the form itself: its state, no draft, no comments."""
    assert step.target is not None
    form.state = step.target
    form.draft = {}
    form.review_comment = ""
    form.field_comments = {}


def _next_row_version(form: FormRecord) -> int:
    """The row version the form's next write gives it (the mapper's own generator)."""
    generate = inspect(FormRecord).version_id_generator
    assert callable(generate)  # FormRecord declares its version column
    return int(generate(form.lock_version))


def _attempt_mark(attempt: str | None, expected: str | None, *, made: int) -> str | None:
    """What a draft save leaves on its form: which save of a page it was, the tag it was made
    against and the row version it made; nothing for a save not named or made against no
    tag (nothing to check it by later)."""
    if not attempt or expected is None:
        return None
    return f"{attempt} {expected} {made}"


def _own_unanswered_save(form: FormRecord, expected: str, unanswered: Collection[str],
                         by: Any) -> bool:
    """Whether the form's last write is a draft save by ``by`` from the asking page (or
    client) whose answer never reached it, made against the same tag it still holds: then
    every change since that tag is its own. Any later write by anyone changes the row's
    version, and the mark no longer matches it; a save by someone else never matches, even
    under a name they chose alike."""
    mark = (form.draft_attempt or "").split(" ")
    return (len(mark) == 3 and mark[0] in unanswered and mark[1] == expected
            and mark[2] == str(form.lock_version)
            and form.edited_by_id is not None and form.edited_by_id == getattr(by, "id", None))


def _check_tag(form: FormRecord, expected: str | None, unanswered: Collection[str],
               by: Any) -> None:
    if expected is None or expected == version_tag(form):
        return
    if not _own_unanswered_save(form, expected, unanswered, by):
        raise StaleVersion(N_("Someone else changed this form meanwhile; nothing was "
                              "overwritten."), current_tag=version_tag(form),
                           current_data=dict(form.data))


def _finish(form: FormRecord, step: Transition, by: Any, version: FormVersion, *,
            comment: str = "", field_comments: dict[str, str] | None = None,
            key: str | None = None, details: dict[str, Any] | None = None,
            then: Callable[[FormVersion], None] | None = None, new: bool = False,
            facts: dict[str, Any] | None = None, described: str | None = None) -> Outcome:
    """Move the form to the step's state, record the review step, copy the ``facts`` of a
    stored version for the figures, queue what follows a ``new`` version, and record the
    audit entry last (the chain's head is then held only until the commit that follows).
    ``described``: the audit details made beforehand by :func:`_described`, in place of
    ``details``."""
    assert step.target is not None and step.action is not None
    form.state = step.target
    if step.target not in EDITABLE_STATES:
        form.draft = {}
    _write(form, version if new else None)
    review_step = _record_step(
        case_id=form.case_id, form_id=form.id, action=step.action, comment=comment,
        by_id=getattr(by, "id", None), version_number=version.number, request_key=key,
        field_comments=field_comments or {}, at=utcnow())
    if facts is not None:
        record_form(form, facts)
    if new:
        (then or _stored)(version)
    audit.record(step.audit, form.case, user=by,
                 details_json=described or _described(form, version.number, details))
    return Outcome(form, version, review_step)


def _described(form: FormRecord, version_number: int, details: dict[str, Any] | None) -> str:
    """The audit details of a step on ``form`` and its version, as the trail stores them."""
    return audit.canonical({"form": form.annex, "seq": form.seq, "version": version_number,
                            **(details or {})})


def _write(form: FormRecord, new_version: FormVersion | None = None) -> None:
    """Write the ``new_version`` if any, the form, its case if loaded, and anything else the
    session holds unwritten; a row changed by another step meanwhile is a conflict, never
    written over."""
    case = inspect(form).attrs.case.loaded_value
    with _conflicts_refused():
        if new_version is not None:
            _store(form, new_version)
        write_rows(form, *([case] if isinstance(case, Case) else []))


def _record_step(**values: Any) -> ReviewStep:
    """Insert the review step by itself, not by a flush of the session's objects; a request
    key used meanwhile by another step is a conflict, as for a flush."""
    step = ReviewStep(**values)
    with _conflicts_refused():
        insert_row(step)
    return step


@contextmanager
def _conflicts_refused() -> Iterator[None]:
    try:
        yield
    except (StaleDataError, IntegrityError) as error:
        db.session.rollback()
        raise WrongState(N_("Someone else acted on this form at the same moment; reload it "
                            "to see what it holds now.")) from error


def _new_version(form: FormRecord, data: dict[str, Any], *, by: Any, source: str,
                 token: str | None, submitted_by_id: int | None = None,
                 after: FormVersion | None) -> FormVersion:
    """The form's next version, numbered after its latest (``after``, None for the first)."""
    return FormVersion(form_id=form.id, number=(after.number if after else 0) + 1, data=data,
                       content_hash=lifecycle.content_hash(data), submission_token=token,
                       source=source,
                       submitted_by_id=submitted_by_id or getattr(by, "id", None))


def _store(form: FormRecord, version: FormVersion) -> None:
    """Write the new ``version`` by itself and keep it in the session as stored: the form's
    versions, when they are loaded, end with it, and it has no copies yet."""
    insert_row(version, attach=True)
    set_committed_value(version, "documents", [])  # known empty: no query for them
    if "versions" in form.__dict__:
        set_committed_value(form, "versions", [*form.versions, version])


def _back_to_worker(form: FormRecord) -> None:
    annex = ANNEXES[form.annex]
    if annex.closes_case:
        lifecycle.resume(form.case, annex, form.draft)


def _repeated_submission(form: FormRecord, earlier: FormVersion) -> Outcome:
    """The answer to a submission whose key stored ``earlier`` already: that first result."""
    if earlier.form_id != form.id:
        raise WrongState(N_("This submission key was already used for another form."))
    return Outcome(form, earlier, None, repeated=True)


def _repeated_review(form: FormRecord, key: str | None) -> Outcome | None:
    if not key:
        return None
    step = db.session.scalar(select(ReviewStep).where(ReviewStep.request_key == key))
    if step is None:
        return None
    if step.form_id != form.id:
        raise WrongState(N_("This request key was already used for another form."))
    version = db.session.scalar(select(FormVersion).where(
        FormVersion.form_id == form.id, FormVersion.number == step.version_number))
    return Outcome(form, version, step, repeated=True)


def _comment(text: str, *, required: bool,
             message: str = N_("Say what should change when returning a form.")) -> str:
    text = (text or "").strip()
    if required and not text:
        raise Invalid(message, problems=[Problem("comment", message)])
    if len(text) > MAX_COMMENT:
        too_long = N_("The comment is too long.")
        raise Invalid(too_long, problems=[Problem("comment", too_long)])
    return text


def _field_comments(annex: Annex, notes: dict[str, str]) -> dict[str, str]:
    """The comments on single cells, each path checked against the form's cells."""
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for path, text in list(notes.items())[:MAX_FIELD_COMMENTS]:
        text = (text or "").strip()
        if not text:
            continue
        if not _is_path(annex, path):
            problems.append(Problem(str(path)[:100], N_("This is not a field of the form.")))
        elif len(text) > MAX_COMMENT:
            problems.append(Problem(path, N_("The comment is too long.")))
        else:
            out[path] = text
    if problems:
        raise Invalid(N_("A comment names no field of the form."), problems=problems)
    return out


def _is_path(annex: Annex, path: str) -> bool:
    """Whether ``path`` names a cell of ``annex``: a field, a write-in, a signature's part or
    a table's cell (``goals.1.status``)."""
    parts = str(path).split(".")
    if parts[0] in annex.note_keys and len(parts) == 1:
        return True
    if parts[0] not in annex:
        return False
    field = annex[parts[0]]
    if len(parts) == 1:
        return True
    if field.kind is Kind.SIGNATURE:
        return len(parts) == 2 and parts[1] in ("image", "date", "remark")
    if field.kind is Kind.TABLE and len(parts) == 3 and parts[1].isdigit():
        return parts[2] in {c.name for c in field.columns}
    return False


def _sign_off_problems(annex: Annex, data: dict[str, Any]) -> list[Problem]:
    """Every reviewer's cell written; each reviewer's signature signed and dated."""
    problems = []
    for name in annex.reviewer_fields:
        if annex[name].kind is Kind.SIGNATURE:
            value = data.get(name)
            signature: dict[str, Any] = value if isinstance(value, dict) else {}
            problems += [Problem(f"{name}.{part}", N_("The reviewer must sign and date."))
                         for part in ("image", "date") if is_blank(signature.get(part))]
        elif is_blank(data.get(name)):
            problems.append(Problem(name, N_("The reviewer writes this before signing off.")))
    return problems


def _closing_problems(form: FormRecord, annex: Annex, data: dict[str, Any]) -> list[Problem]:
    """What closing a case needs besides the sign-off: each goal's outcome (the evaluation
    stage recorded, never skipped), an assessed risk grade, the case's other forms signed."""
    problems = []
    if annex.outcomes is not None:
        table = annex.outcomes
        column = next(c for c in annex[table.table].columns if c.name == table.outcome)
        keys = [k for k in (column.name, column.choice_key) if k]
        rows = data.get(table.table) or []
        problems += [Problem(f"{table.table}.{n}.{table.outcome}",
                             N_("Record the outcome of every goal before closing the case."))
                     for n, row in enumerate(rows)
                     if all(is_blank((row or {}).get(k)) for k in keys)]
    if not form.case.risk_grade:
        problems.append(Problem("risk_grade", N_("Assess the case's risk grade before closing "
                                                 "it: an unassessed case is never filed as "
                                                 "low risk.")))
    unsigned = [other for other in form.case.forms
                if other.id != form.id and other.current is not None
                and other.state != FormState.APPROVED]
    if unsigned:
        names = "、".join(f"{ANNEXES[o.annex].short_title}{o.seq if ANNEXES[o.annex].repeats else ''}"
                         for o in unsigned)
        problems.append(Problem("case", N_("Sign off the case's other forms first: %(forms)s."),
                                {"forms": names}))
    return problems
