"""A queue message lost before any worker took it (a Redis restarted without its data): bundle
requests and import runs still waiting long after they were queued are queued again, and a
second message of a job never runs beside the one already running it. The test's SQLite queue
file, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import job_leases


@pytest.fixture
def queue():
    """The instance's SQLite queue, emptied as a restarted Redis would be; nothing runs here."""
    from service.jobs.queue import huey

    huey.immediate = False
    huey.storage.flush_queue()
    yield huey
    huey.storage.flush_queue()
    huey.immediate = True


def _waiting(huey) -> list[tuple[str, tuple]]:
    """The queued tasks: (name, arguments)."""
    return sorted((task.name, tuple(task.args)) for task in huey.pending())


def _bundle_request(minutes_ago: int, state: str = "queued"):
    from service.cases.archival import BundleRequest
    from service.db import db, utcnow

    request = BundleRequest(file_ids=[], state=state, options={"output": "pdf"},
                            queued_at=utcnow() - timedelta(minutes=minutes_ago))
    db.session.add(request)
    db.session.commit()
    return request


def test_a_bundle_request_whose_message_was_lost_is_queued_again_once(app, queue) -> None:
    from service.cases.archival import BundleRequest
    from service.db import db
    from service.jobs.archive.tasks import requeue_lost_bundles

    lost = _bundle_request(20)
    recent = _bundle_request(2)  # its message may still be on its way
    _bundle_request(30, state="ready")
    _bundle_request(30, state="running")  # a worker has it: its lease answers for it
    assert requeue_lost_bundles.call_local() == 1
    assert _waiting(queue) == [("run_bundle_request", (lost.id,))]
    assert requeue_lost_bundles.call_local() == 0  # it waits its time again before another
    assert len(queue.pending()) == 1
    db.session.expire_all()
    assert db.session.get(BundleRequest, recent.id).state == "queued"


def test_import_runs_whose_message_was_lost_are_queued_again(app, queue, make_user) -> None:
    from service.cases.imported import ImportRun, RunState
    from service.db import db, utcnow
    from service.jobs.imports.runs import requeue_lost_runs

    owner = make_user("zhou", "supervisor")
    long_ago = utcnow() - timedelta(minutes=40)
    runs = {state: ImportRun(created_by_id=owner.id, state=state, queued_at=long_ago)
            for state in (RunState.CHECKING, RunState.QUEUED, RunState.CHECKED,
                          RunState.RUNNING, RunState.DONE)}
    # queued before the column existed: its creation stands for its queueing
    older = ImportRun(created_by_id=owner.id, state=RunState.QUEUED, created_at=long_ago)
    db.session.add_all([*runs.values(), older])
    db.session.commit()
    assert requeue_lost_runs.call_local() == 3
    assert _waiting(queue) == sorted([("check_run_task", (runs[RunState.CHECKING].id,)),
                                      ("import_run_task", (runs[RunState.QUEUED].id,)),
                                      ("import_run_task", (older.id,))])


def test_a_run_queued_from_the_import_page_is_stamped_and_not_swept_early(app, client,
                                                                         make_user,
                                                                         queue) -> None:
    import io
    import zipfile

    from service.cases.imported import ImportRun, RunState
    from service.db import db
    from service.jobs.imports.runs import requeue_lost_runs
    from tests.conftest import csrf_token, login

    login(client, make_user("zhou", "supervisor"))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("接案表.txt", "姓名：王建国")
    response = client.post("/imports/", data={"csrf_token": csrf_token(client, "/imports/"),
                                              "archive": (io.BytesIO(archive.getvalue()),
                                                          "old.zip")})
    assert response.status_code == 302
    run = db.session.scalars(sa.select(ImportRun)).one()
    assert run.state == RunState.CHECKING and run.queued_at is not None
    assert _waiting(queue) == [("check_run_task", (run.id,))]
    assert requeue_lost_runs.call_local() == 0  # queued just now: not lost
    assert len(queue.pending()) == 1


def _lease(task: str, args: list, holder: str, minutes: int) -> None:
    from service.db import db, utcnow
    from service.jobs.leases import JobLease, _key

    args_json = json.dumps(args, sort_keys=True)
    db.session.add(JobLease(key=_key(task, args_json), task=task, args=args_json,
                            holder=holder, expires_at=utcnow() + timedelta(minutes=minutes)))
    db.session.commit()


def _holders() -> list[str]:
    return [holder for _task, _args, holder in job_leases()]


def test_a_second_message_of_a_running_job_is_dropped_not_run_beside_it(app, queue) -> None:
    from service.cases.archival import BundleRequest
    from service.db import db
    from service.jobs.archive.tasks import run_bundle_request

    request = _bundle_request(20)
    _lease("bundles", [request.id], "elsewhere:4242", minutes=1)  # a live worker runs it
    assert run_bundle_request.call_local(request.id) is None
    db.session.expire_all()
    assert db.session.get(BundleRequest, request.id).state == "queued"  # not touched here
    assert _holders() == ["elsewhere:4242"]


def test_a_job_whose_lease_ran_out_or_was_let_go_is_run(app, queue) -> None:
    from service.cases.archival import BundleRequest
    from service.db import db
    from service.jobs.archive.tasks import run_bundle_request

    for holder, minutes in (("elsewhere:4242", -1), ("", 10)):  # ran out; let go by the reaper
        request = _bundle_request(20)
        _lease("bundles", [request.id], holder, minutes=minutes)
        run_bundle_request.call_local(request.id)
        db.session.expire_all()
        assert db.session.get(BundleRequest, request.id).state in ("ready", "failed")
        assert _holders() == []  # taken, then dropped at the job's end


def test_a_late_second_message_of_a_finished_bundle_leaves_it_as_it_is(app, queue) -> None:
    from service.cases.archival import BundleRequest
    from service.db import db
    from service.jobs.archive.tasks import run_bundle_request

    request = _bundle_request(20, state="ready")
    request.path = "bundles/bundle-1.pdf"
    db.session.commit()
    run_bundle_request.call_local(request.id)
    db.session.expire_all()
    again = db.session.get(BundleRequest, request.id)
    assert (again.state, again.path) == ("ready", "bundles/bundle-1.pdf")
