"""`flask --app service demo seed --cases N [--worker NAME]`: realistic demonstration cases
across categories, grades and states, filed like real ones (documents, then the archive)."""

from __future__ import annotations

import random
import secrets
import time
from datetime import date, timedelta
from typing import Any

import click
from flask.cli import AppGroup

from ..annexes.process import RiskGrade, SpecialProcess

demo = AppGroup("demo", help="Demonstration data for newcomers and tests.")

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁"
_GIVEN = ("建国", "秀英", "志强", "丽华", "国强", "美玲", "伟明", "淑贞", "家豪", "惠芳",
          "永红", "德胜", "桂英", "少军", "雪梅")
_PLACES = ("荔城街", "新塘镇", "永宁街", "增江街", "石滩镇", "中新镇")
_DEMANDS = (
    "要求相关部门尽快处理小区加装电梯引发的邻里纠纷，并公开施工审批材料。",
    "反映征地补偿款未足额发放，要求核实补偿标准并补发差额。",
    "因工伤认定长期未有结论，要求加快认定并落实工伤待遇。",
    "家庭生活困难，申请最低生活保障未获批准，要求重新审核。",
    "对法院执行进度不满，要求督促执行到位。",
    "反映企业拖欠工资，要求协调追讨。",
)
#: (special process, law-related, risk grade, confidential) of each kind of demo case.
_PROFILES: tuple[tuple[SpecialProcess | None, bool, RiskGrade, bool], ...] = (
    (SpecialProcess.COLLECTIVE, False, RiskGrade.HIGH, False),
    (None, False, RiskGrade.LOW, False),
    (SpecialProcess.HARDSHIP, False, RiskGrade.MEDIUM, False),
    (None, True, RiskGrade.MEDIUM, False),
    (SpecialProcess.IRRATIONAL, False, RiskGrade.HIGH, True),
    (None, False, RiskGrade.MEDIUM, False),
)


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def _signed(example: dict[str, Any], key: str, on: date) -> None:
    if isinstance(example.get(key), dict):
        example[key] = {**example[key], "date": on.isoformat()}


def intake_data(rng: random.Random, client: str, worker: str, opened: date) -> dict[str, Any]:
    """A filled Annex B for a demo case."""
    from ..annexes.examples import example

    data = example("B")
    birth = date(rng.randint(1950, 1990), rng.randint(1, 12), 1)
    age = opened.year - birth.year - (1 if opened.month < birth.month else 0)
    data.update(first_contact_date=opened.isoformat(), worker=worker, client_name=client,
                birth_month=birth.strftime("%Y-%m"), age=age,
                phone=f"13{rng.randint(100000000, 999999999)}",
                address=f"广州市增城区{rng.choice(_PLACES)}{rng.randint(1, 200)}号",
                petition_demands=rng.choice(_DEMANDS))
    _signed(data, "worker_signature", opened)
    _signed(data, "director_approval", opened + timedelta(days=1))
    return data


def interview_data(rng: random.Random, client: str, n: int, on: date) -> dict[str, Any]:
    """A filled Annex C (the n-th session) for a demo case."""
    from ..annexes.examples import example

    data = example("C")
    data.update(interviewee=client, date=on.isoformat(), session_no=n,
                time=f"{rng.randint(9, 16):02d}:00-{rng.randint(17, 18):02d}:00")
    _signed(data, "worker_signature", on)
    _signed(data, "supervisor_signature", on + timedelta(days=1))
    return data


def closing_data(rng: random.Random, client: str, worker: str, opened: date, closed: date,
                 transfer: bool) -> dict[str, Any]:
    """A filled Annex D, closing or transferring a demo case."""
    from ..annexes import CLOSING
    from ..annexes.closing import TRANSFER
    from ..annexes.examples import example

    data = example("D")
    data.update(client_name=client, worker=worker, opened_on=opened.isoformat(),
                closed_on=closed.isoformat())
    if transfer:
        data.update(category=TRANSFER,
                    transfer_reason=CLOSING["transfer_reason"].options[0].text,
                    closing_type=CLOSING["closing_type"].option_texts[1])
    _signed(data, "worker_signature", closed)
    _signed(data, "director_signature", closed + timedelta(days=2))
    return data


def _submit(case: Any, annex: str, data: dict[str, Any], worker: Any, reviewer: Any) -> Any:
    """Submit a demo form as ``worker`` and sign it off as ``reviewer``, through the review
    cycle as a person would; the signed version's copies are made once the case is
    committed."""
    from ..annexes import ANNEXES
    from ..cases import lifecycle, workflow
    from ..cases.errors import Invalid

    form = lifecycle.new_form(case, annex, by=worker)
    declared = ANNEXES[annex]
    try:
        workflow.submit(form, declared.worker_part(data), by=worker,
                        then=lambda _v: None)  # only the signed version gets copies here
        return workflow.approve(form, declared.reviewer_part(data), by=reviewer).version
    except Invalid as invalid:
        raise click.ClickException(
            f"demo {annex} form is not valid: {[(p.key, p.message) for p in invalid.problems]}"
        ) from invalid


def seed_case(rng: random.Random, n: int, worker: Any, reviewer: Any) -> Any:
    """One demo case: B, some Cs and (for most) a D, each signed off by ``reviewer``;
    committed, profile by ``n``."""
    from ..cases import lifecycle
    from ..db import db

    special, law_related, risk, confidential = _PROFILES[n % len(_PROFILES)]
    client = _person(rng)
    opened = date(2023, 1, 1) + timedelta(days=rng.randint(0, 600))
    case = lifecycle.open_case(worker=worker, client_name=client, opened_on=opened)
    case.special_process, case.risk_grade, case.confidential = special, risk, confidential
    case.screening = {"law_related": law_related, "within_scope": True}
    if special is SpecialProcess.COLLECTIVE:
        case.representatives = [_person(rng) for _ in range(3)]
    _submit(case, "B", intake_data(rng, client, worker.name, opened), worker, reviewer)
    day = opened
    for session in range(1, rng.randint(2, 4) + 1):
        day += timedelta(days=rng.randint(5, 30))
        _submit(case, "C", interview_data(rng, client, session, day), worker, reviewer)
    if n % 4 != 3:  # three cases in four are closed, one in three of them by transfer
        closed = day + timedelta(days=rng.randint(10, 60))
        _submit(case, "D", closing_data(rng, client, worker.name, opened, closed,
                                        transfer=n % 3 == 2), worker, reviewer)
    db.session.commit()
    return case


def _worker(name: str | None, role: Any = None, display_name: str = "陈晓敏") -> Any:
    from sqlalchemy import select

    from ..auth.models import Role, User
    from ..auth.users import create_user
    from ..db import db

    role = role or Role.WORKER
    username = name or f"demo-{role.value}"
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        password = secrets.token_urlsafe(12)
        user = create_user(username, {role}, password, display_name=display_name,
                           team_id=None)
        db.session.commit()
        click.echo(f"created {role.value} {username} (password: {password})")
    return user


def wait_until_filed(cases: list[Any], timeout: float) -> None:
    """Wait for every copy to be made and every closed case to be filed."""
    from ..cases.models import DocumentState
    from ..db import db
    from ..jobs.archive.filing import archive_case
    from ..jobs.archive.lookup import archived

    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        pending = [c for c in cases if any(
            not f.current.documents or any(d.state != DocumentState.READY
                                           for d in f.current.documents)
            for f in c.forms if f.current)]
        failed = [c.number for c in cases for f in c.forms if f.current
                  for d in f.current.documents if d.state == DocumentState.FAILED]
        if failed:
            raise click.ClickException(f"copies failed for {', '.join(sorted(set(failed)))}")
        if not pending:
            for case in cases:
                if not case.is_open and archived(case) is None:
                    archive_case(case)
            return
        if time.monotonic() > deadline:
            raise click.ClickException(
                f"copies of {len(pending)} case(s) not ready after {timeout:.0f}s: is a "
                "queue consumer running (huey_consumer service.consumer.huey)?")
        time.sleep(0.5)


@demo.command("seed")
@click.option("--cases", "count", type=click.IntRange(1, 10_000), default=12,
              show_default=True, help="How many cases to create.")
@click.option("--worker", "worker_name", default=None,
              help="The worker's username (created if missing; default demo-worker).")
@click.option("--seed", type=int, default=None, help="Random seed, for repeatable data.")
@click.option("--timeout", type=float, default=600, show_default=True,
              help="Seconds to wait for the copies to be made and filed.")
@click.option("--use-queue", is_flag=True,
              help="Leave the copies to running queue consumers instead of making them here.")
def seed_command(count: int, worker_name: str | None, seed: int | None,
                 timeout: float, use_queue: bool) -> None:
    """Create N realistic cases (B, several C, D as fits) and return once they are filed."""
    from ..jobs.archive.lookup import archived
    from ..jobs.queue import huey

    if not use_queue:
        huey.immediate = True  # this process makes the copies and files them
    from ..auth.models import Role

    rng = random.Random(seed)
    worker = _worker(worker_name)
    # the two-person rule: someone other than the worker signs the forms off
    director = _worker(None, Role.DIRECTOR, display_name="李主任")
    cases = []
    with click.progressbar(range(count), label="cases") as numbers:
        for n in numbers:
            cases.append(seed_case(rng, n, worker, director))
    wait_until_filed(cases, timeout)
    filed = [archived(c) for c in cases]
    click.echo(f"{len(cases)} cases, {sum(1 for f in filed if f)} filed in the archive")


COMMANDS = [demo]
