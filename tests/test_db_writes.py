"""Writing known rows without a flush (``db.write_rows``, ``db.insert_row(attach=True)``), on
SQLite and PostgreSQL: what a flush would write, a row changed meanwhile refused, and a
session left as a flush leaves it."""

from __future__ import annotations

import pytest
from sqlalchemy import event, update
from sqlalchemy.orm.exc import StaleDataError

from tests.conftest import statements, stored_row


@pytest.fixture
def form(app, make_user):
    from service.cases import lifecycle
    from service.db import db

    worker = make_user("chen", "worker")
    case = lifecycle.open_case(worker=worker)
    record = lifecycle.new_form(case, "B", by=worker)
    db.session.commit()
    return record


def test_changed_columns_are_written_and_the_session_is_left_clean(form):
    from service.cases.models import Case, FormRecord, FormState
    from service.db import db, write_rows

    case = form.case
    before_update = case.updated_at
    lock = form.lock_version
    form.state = FormState.SUBMITTED
    form.draft = {}
    case.client_name = "王五"
    with statements() as seen:
        write_rows(form, case)
        db.session.flush()  # a flush now has nothing left to write
    assert [s.split()[0] for s in seen] == ["UPDATE", "UPDATE"]
    assert not db.session.dirty and not db.session.new
    assert form.lock_version == lock + 1
    assert case.updated_at > before_update  # onupdate applied and held as written
    db.session.commit()
    assert stored_row(FormRecord, form.id)["state"] == "submitted"
    assert stored_row(FormRecord, form.id)["lock_version"] == lock + 1
    assert stored_row(Case, case.id)["client_name"] == "王五"
    assert stored_row(Case, case.id)["updated_at"] == case.updated_at


def test_a_row_changed_meanwhile_is_refused_and_nothing_is_written(form):
    from service.cases.models import FormRecord, FormState
    from service.db import db, write_rows

    with db.engine.begin() as other:  # another tablet's step, committed meanwhile
        other.execute(update(FormRecord.__table__).where(FormRecord.__table__.c.id == form.id)
                      .values(lock_version=FormRecord.__table__.c.lock_version + 1))
    form.state = FormState.SUBMITTED
    with pytest.raises(StaleDataError):
        write_rows(form)
    db.session.rollback()
    assert stored_row(FormRecord, form.id)["state"] == "draft"


def test_a_value_set_again_unchanged_writes_nothing_and_keeps_the_version(form):
    from service.db import db, write_rows

    lock = form.lock_version
    form.state = form.state
    with statements() as seen:
        write_rows(form)
    assert seen == []
    assert form.lock_version == lock
    db.session.commit()


def test_values_set_again_beside_changed_ones_leave_nothing_for_the_flush(form):
    """A submission sets the form's comments back to empty whether or not they were: the
    changed columns are written, and the unchanged ones are not left for a flush to walk
    the session for (it would find nothing to write, at the cost of looking)."""
    from service.cases.models import FormRecord, FormState
    from service.db import db, write_rows

    assert form.review_comment == "" and form.field_comments == {}  # as read
    form.state = FormState.SUBMITTED
    form.review_comment = ""
    form.field_comments = {}
    flushes: list[int] = []

    def walked(session, *_args) -> None:
        flushes.append(len(session.dirty))

    event.listen(db.session(), "before_flush", walked)
    try:
        with statements() as seen:
            write_rows(form)
    finally:
        event.remove(db.session(), "before_flush", walked)
    assert len(seen) == 1 and seen[0].startswith("UPDATE form_records SET state=")
    assert "review_comment" not in seen[0] and "field_comments" not in seen[0]
    assert flushes == []
    db.session.commit()
    assert stored_row(FormRecord, form.id)["state"] == "submitted"


def test_a_changed_relationship_is_left_to_the_flush(form, make_user):
    from service.cases.models import Case
    from service.db import db, write_rows

    other = make_user("wang", "worker")
    case = form.case
    case.worker = other
    write_rows(case)
    db.session.commit()
    assert stored_row(Case, case.id)["worker_id"] == other.id


def test_an_attached_row_is_found_with_its_defaults_and_no_read(form):
    from service.cases.models import FormVersion
    from service.db import db, insert_row

    version = FormVersion(form_id=form.id, number=1, data={"a": 1}, content_hash="h")
    insert_row(version, attach=True)
    assert version.id is not None
    with statements() as seen:
        assert db.session.get(FormVersion, version.id) is version
        assert version.submitted_at is not None and version.source == "typed"
        assert version.form is form
    assert seen == []
    assert version not in db.session.new and not db.session.dirty
    db.session.commit()
    assert stored_row(FormVersion, version.id)["submitted_at"] is not None


def test_a_row_by_id_is_read_once_and_the_session_keeps_it(form):
    from service.cases.models import FormRecord
    from service.db import db, row_by_id

    form_id = form.id
    db.session.expunge_all()
    with statements() as seen:
        found = row_by_id(FormRecord, form_id)
        again = row_by_id(FormRecord, form_id)
        missing = row_by_id(FormRecord, form_id + 1000)
    assert found is again and found.id == form_id and found.annex == "B"
    assert missing is None
    assert len(seen) == 2  # the form once, the missing row once


def test_without_the_private_mark_clearing_a_later_flush_still_writes_nothing(form, monkeypatch):
    """Should SQLAlchemy drop the call that clears the 'modified' mark, rows are still right:
    the flush then walks the session, and finds nothing left to write."""
    from sqlalchemy.orm.state import InstanceState

    from service.cases.models import FormRecord, FormState
    from service.db import db, write_rows

    monkeypatch.delattr(InstanceState, "_commit_all")
    lock = form.lock_version
    form.state = FormState.SUBMITTED
    with statements() as seen:
        write_rows(form)
        db.session.flush()
    assert len(seen) == 1 and form.lock_version == lock + 1
    monkeypatch.undo()
    db.session.commit()
    assert stored_row(FormRecord, form.id)["lock_version"] == lock + 1
