"""The summary of a year of 100,000 forms, on SQLite and PostgreSQL, beside two baselines.

One command: ``.venv/bin/python bench/reports.py [--database-url URL] [--cases 20000]``.

It fills a scratch database (a SQLite file, or a scratch schema of the PostgreSQL database named
by ``--database-url``, dropped afterwards) with a year of cases: each with an intake, three
interviews and, for four in five, a closing form (with ``--cases 20000``, 96,000 forms plus
4,000 more interviews: 100,000 form versions holding each form's JSON), and the facts the forms
leave (places, needs, interview times, goal outcomes, follow-ups), written in bulk. Then it
times, best of three:

- *baseline, scan*: ``SELECT count(*)`` over every form version (one pass over the table);
- *baseline, Python*: the naive way, loading the year's interview and closing forms' JSON and
  adding up hours and goal outcomes in Python;
- the *summary* of the year, of one quarter, and of one worker's year (every figure, by worker,
  team and 问题属地, with the breakdowns).

Goal: the year's summary under 2 seconds on either database. Beside each wall time it prints
this process's CPU time (on SQLite the query runs here, so load from others shows only in
the wall time) and the ratio to the Python baseline.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NEEDS = ("法律咨询", "政策引导", "情绪疏导", "家庭关系调适", "危机介入", "邻里纠纷", "诉求解决",
         "链接资源")
DISTRICTS = ("越秀区", "海珠区", "荔湾区", "天河区", "白云区", "黄埔区", "番禺区", "花都区",
             "南沙区", "从化区", "增城区")
OUTCOMES = ("达成", "部分达成", "未达成", "")


def best(runs: int, action: Callable[[], Any]) -> tuple[float, float]:
    """The best of ``runs`` wall times, and this process's CPU time in that run (on SQLite the
    whole query runs in this process, so a loaded machine shows in the wall time only)."""
    times = []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        action()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    return min(times)


def fill(db: Any, cases: int, year: int, seed: int = 7) -> int:
    """Bulk-insert a year of cases, forms and facts; the number of form versions made."""
    from service.annexes.examples import example
    from service.auth.models import Team, User
    from service.cases.evaluation import CaseEvaluation, CaseNeed, Followup, InterviewFact
    from service.cases.models import Case, FormRecord, FormVersion
    from service.evaluation.followup import due_dates

    rnd = random.Random(seed)
    conn = db.session.connection()
    conn.execute(sa.insert(Team), [{"id": t, "name": f"第{t}组"} for t in range(1, 5)])
    conn.execute(sa.insert(User), [{"id": u, "username": f"worker{u}", "display_name": "",
                                    "password_hash": "", "roles_text": "worker",
                                    "team_id": 1 + u % 4, "active": True, "failed_logins": 0}
                                   for u in range(1, 41)])
    b, c, d = example("B"), example("C"), example("D")
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in (
        "cases", "forms", "versions", "evals", "needs", "talks", "follow")}
    form_id = 0
    start = date(year, 1, 1)

    def add_form(case_id: int, annex: str, seq: int, data: dict[str, Any]) -> int:
        nonlocal form_id
        form_id += 1
        rows["forms"].append({"id": form_id, "case_id": case_id, "annex": annex, "seq": seq,
                              "state": "approved", "draft": {}, "review_comment": ""})
        rows["versions"].append({"id": form_id, "form_id": form_id, "number": 1, "data": data,
                                 "content_hash": uuid.uuid4().hex, "source": "typed"})
        return form_id

    extra_talks = max(0, cases // 5)
    for case_id in range(1, cases + 1):
        opened = start + timedelta(days=rnd.randrange(365))
        closed = opened + timedelta(days=rnd.randrange(10, 200)) if rnd.random() < 0.8 else None
        if closed and closed.year > year:
            closed = None
        transfer = closed is not None and rnd.random() < 0.15
        worker = rnd.randrange(1, 41)
        rows["cases"].append({
            "id": case_id, "number": f"XF-{year}-{case_id:05d}", "client_name": "某某",
            "client_phone": "", "worker_id": worker, "team_id": 1 + worker % 4,
            "stage": ("转介" if transfer else "结案") if closed else "服务实施",
            "screening": {}, "representatives": [], "confidential": False,
            "risk_grade": rnd.choice(("高风险", "中风险", "低风险", None)),
            "special_process": rnd.choice(("集体上访", "非理性上访", "生活困难上访", None, None)),
            "opened_on": opened, "closed_on": closed})
        needs = rnd.sample(NEEDS, rnd.randrange(1, 4))
        add_form(case_id, "B", 1, {**b, "needs": needs, "first_contact_date": opened.isoformat()})
        rows["needs"].extend({"case_id": case_id, "need": n} for n in needs)
        for seq in range(1, 4 + (1 if case_id <= extra_talks else 0)):
            held = opened + timedelta(days=7 * seq)
            begin = rnd.randrange(8 * 60, 17 * 60)
            minutes = rnd.choice((30, 45, 60, 90))
            time_text = f"{begin // 60:02d}:{begin % 60:02d}-{(begin + minutes) // 60:02d}:" \
                        f"{(begin + minutes) % 60:02d}"
            fid = add_form(case_id, "C", seq, {**c, "date": held.isoformat(), "time": time_text,
                                               "session_no": seq})
            rows["talks"].append({"form_id": fid, "case_id": case_id, "held_on": held,
                                  "minutes": minutes})
        outcomes = [rnd.choice(OUTCOMES) for _ in range(3)]
        if closed:
            goals = [{"seq": n, "goal": f"目标{n}", "status": "", "remark": "", "outcome": o}
                     for n, o in enumerate(outcomes, start=1)]
            add_form(case_id, "D", 1, {**d, "goals": goals, "opened_on": opened.isoformat(),
                                       "closed_on": closed.isoformat()})
            rows["follow"].extend({"case_id": case_id, "due_on": due, "finding": "",
                                   "reopened": False,
                                   "done_on": due if rnd.random() < 0.6 else None}
                                  for due in due_dates(closed))
        rows["evals"].append({
            "case_id": case_id, "place_district": rnd.choice(DISTRICTS), "place_street": "",
            "change_before": rnd.randrange(1, 4) if closed else None,
            "change_after": rnd.randrange(2, 6) if closed else None,
            "case_source": rnd.choice(("案主主动咨询", "社工探访/接访", "转介人/单位")),
            "closing_type": ("转介" if transfer else "目标达成") if closed else "",
            "transfer_reason": "社工的工作变动" if transfer else "",
            "goals_total": 3 if closed else 0,
            "goals_met": outcomes.count("达成") if closed else 0,
            "goals_partly_met": outcomes.count("部分达成") if closed else 0,
            "goals_unrated": outcomes.count("") if closed else 0})
    for table, key in ((Case, "cases"), (FormRecord, "forms"), (FormVersion, "versions"),
                       (CaseEvaluation, "evals"), (CaseNeed, "needs"), (InterviewFact, "talks"),
                       (Followup, "follow")):
        batch = rows[key]
        for i in range(0, len(batch), 5000):
            conn.execute(sa.insert(table), batch[i:i + 5000])
    db.session.commit()
    return len(rows["versions"])


def naive(db: Any, year: int) -> tuple[int, int]:
    """The baseline a summary replaces: every C and D of the year loaded and read in Python."""
    from service.annexes.validate import time_span_minutes
    from service.cases.models import FormRecord, FormVersion

    minutes = met = 0
    stmt = sa.select(FormRecord.annex, FormVersion.data).join(
        FormVersion, FormVersion.form_id == FormRecord.id).where(FormRecord.annex.in_(["C", "D"]))
    for annex, data in db.session.execute(stmt):
        if annex == "C" and str(data.get("date", "")).startswith(str(year)):
            minutes += time_span_minutes(data.get("time")) or 0
        elif annex == "D" and str(data.get("closed_on", "")).startswith(str(year)):
            met += sum(1 for g in data.get("goals", []) if g.get("outcome") == "达成")
    return minutes, met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--year", type=int, default=2024)
    args = parser.parse_args()

    from service import create_app
    from service.db import db
    from service.reports.figures import Scope
    from service.reports.period import quarter
    from service.reports.period import year as whole_year
    from service.reports.summary import summary

    folder = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    url, schema, engine = f"sqlite:///{folder / 'bench.sqlite3'}", "", None
    if args.database_url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in args.database_url else "?"
        url = f"{args.database_url}{sep}options=-csearch_path%3D{schema}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ARCHIVE_ROOT": str(folder / "a"),
                      "WORK_ROOT": str(folder / "w")})
    try:
        with app.app_context():
            db.create_all()
            t0 = time.perf_counter()
            forms = fill(db, args.cases, args.year)
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.execute(sa.text("ANALYZE"))
            else:
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
            filled = time.perf_counter() - t0
            name = db.engine.dialect.name
            print(f"{name}: {args.cases} cases, {forms} form versions (filled in {filled:.1f} s)")
            from service.cases.models import FormVersion

            results = [
                ("baseline: count(*) over every form version",
                 best(3, lambda: db.session.scalar(sa.select(sa.func.count(FormVersion.id))))),
                ("baseline: the year's C and D JSON read in Python",
                 best(1, lambda: naive(db, args.year))),
                ("summary of the year", best(3, lambda: summary(Scope(whole_year(args.year))))),
                ("summary of one quarter",
                 best(3, lambda: summary(Scope(quarter(args.year, 2))))),
                ("summary of one worker's year",
                 best(3, lambda: summary(Scope(whole_year(args.year), worker_id=1)))),
            ]
            data = summary(Scope(whole_year(args.year)))
            db.session.remove()
            db.engine.dispose()
        print(f"| figure | {name} seconds | CPU seconds here | / count(*) | / Python |")
        print("|---|---|---|---|---|")
        for label, (seconds, cpu) in results:
            print(f"| {label} | {seconds:.3f} | {cpu:.3f} | {seconds / results[0][1][0]:.1f}x "
                  f"| {seconds / results[1][1][0]:.2f} |")
        verdict = "PASS" if results[2][1][0] < 2 else "FAIL"
        print(f"year summary under 2 s: {verdict} "
              f"(cases_new {data['cases_new']}, interviews {data['interviews']}, "
              f"service_hours {data['service_hours']})")
    finally:
        if engine is not None:
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()


if __name__ == "__main__":
    main()
