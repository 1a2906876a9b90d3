"""Saving filled Annex B forms through gunicorn, measured beside a bare endpoint of the same app.

One command: ``.venv/bin/python bench/forms.py`` (``--help`` for the options).

It makes a scratch instance folder and database (a SQLite file, or with ``--database-url`` a
scratch PostgreSQL database it creates and drops), a worker and their cases with an Annex B each,
starts gunicorn on a free port of 127.0.0.1 (documents are queued, not made in the request:
HUEY_IMMEDIATE is unset), signs every client in through the real sign-in page, then runs the
same clients through two phases (three with ``--floor``), each bounded in time and in count:

- *bare*: ``GET /sw.js``, the app's lightest route (no sign-in, no database, no template, but
  the same WSGI stack and after-request hooks as every page; it reads the session cookie but,
  like every file the browser fetches on its own, never sets it again);
- *save*: ``POST /cases/<id>/forms/<form_id>`` with a complete valid Annex B (the declaration's
  example), a fresh submission token and the CSRF token; only a 302 to the case counts as a save.
  Each save submits a draft nobody has submitted yet (a submitted form waits for its review and
  refuses a second submission), so every client has enough cases of its own for the phase.
  A browser would then open the case page, which shows and drops the "submitted" flash message
  kept in the session cookie; the clients do not load that page but go back to their signed-in
  cookie instead, so that unshown messages do not pile up in it and slow every later request.

With ``--floor`` a third phase follows:

- *floor*: the same posts to a route that does the least any save must do (sign-in, CSRF,
  parsing the post, one row stored and committed, the redirect; ``bench/floor_app.py``, which
  only the benchmark serves), so that the report shows what a real save costs beyond that.
  gunicorn then serves that module's app, which is the service's own app with the one route
  added, for all three phases.

It prints requests, errors, throughput, latency percentiles and the CPU each request cost the
web processes, the clients and PostgreSQL (read from /proc) side by side with the ratios, what
bounded each phase (the share of the machine's CPU left idle, and how many cores the clients
kept busy: they are threads of this one process, so about one at most), and checks afterwards
that the database holds exactly one new version per save.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
PASSWORD = "bench-password-not-secret"
GOAL_P95_MS = 100.0
GOAL_THROUGHPUT_RATIO = 1 / 3
BARE_PATHS = ("/sw.js", "/login")
START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 30.0
MAX_DURATION_S = 120.0
MAX_REQUESTS = 20_000
MAX_CLIENTS = 200
MAX_CASES = 50_000
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


class BenchError(RuntimeError):
    """The benchmark cannot run as asked (a clear message for the person running it)."""


# --- what is posted --------------------------------------------------------------------------


def annex_b_fields() -> list[tuple[str, str]]:
    """The complete valid Annex B example as the worker's form page posts it: the declaration's
    (name, value) pairs without the reviewer's cells, which that page shows disabled."""
    from service.annexes import ANNEXES
    from service.annexes.examples import worker_example
    from service.forms.builder import to_formdata

    return to_formdata(ANNEXES["B"], worker_example("B"))


# --- scratch instance, database and server ---------------------------------------------------


@contextmanager
def scratch_database(url: str | None, instance: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file in ``instance``, or a scratch PostgreSQL database
    created beside the one ``url`` names (and dropped afterwards)."""
    if not url:
        yield f"sqlite:///{instance / 'bench.sqlite3'}"
        return
    import sqlalchemy as sa

    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("postgresql"):
        raise BenchError(f"--database-url must be a PostgreSQL URL, not {url.split(':')[0]}")
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        raise BenchError(f"PostgreSQL is not reachable at {url}: {error.orig}") from error
    parts = urlsplit(url)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_environment(instance: Path, database_url: str) -> dict[str, str]:
    """The environment shared by this process (for seeding) and gunicorn."""
    env = dict(os.environ)
    for name in ("HUEY_IMMEDIATE", "REDIS_URL", "ARCHIVE_ROOT", "WORK_ROOT"):
        env.pop(name, None)  # documents go on the (SQLite) queue; folders inside the instance
    env.update({
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    })
    return env


@dataclass(frozen=True)
class Target:
    """A case's Annex B, as the clients address it."""

    case_id: int
    form_id: int

    @property
    def path(self) -> str:
        return f"/cases/{self.case_id}/forms/{self.form_id}"


def username(n: int) -> str:
    """The n-th client's worker (one each: 20 tablets are 20 workers, each on their own cases)."""
    return f"bench-worker-{n:03d}"


@contextmanager
def service_database() -> Iterator[Any]:
    """The service's ``db`` inside an app context of its own (the settings come from the
    environment), its session removed and its connections closed afterwards."""
    from service import create_app
    from service.db import db

    app = create_app()
    with app.app_context():
        try:
            yield db
        finally:
            db.session.remove()
            db.engine.dispose()


def seed(clients: int, cases: int, floor: bool = False) -> list[list[Target]]:
    """Tables, one worker per client and ``cases`` cases shared out among them, each case with
    its (empty) Annex B; the targets of each client. ``floor``: the floor route's table too."""
    from bench.floor_app import make_floor_table
    from service.auth.models import Role
    from service.auth.users import create_user
    from service.cases.lifecycle import new_form, open_case

    with service_database() as db:
        db.create_all()
        if floor:
            make_floor_table(db.engine)
        workers = [create_user(username(n), {Role.WORKER}, PASSWORD) for n in range(clients)]
        targets: list[list[Target]] = [[] for _ in workers]
        for i in range(cases):
            worker = workers[i % clients]
            case = open_case(worker=worker)
            form = new_form(case, "B", by=worker)
            targets[i % clients].append(Target(case.id, form.id))
        db.session.commit()
    return targets


def count_versions() -> int:
    """How many Annex B versions the database holds."""
    from sqlalchemy import func, select

    from service.cases.models import FormRecord, FormVersion

    with service_database() as db:
        n = db.session.scalar(select(func.count(FormVersion.id)).join(FormRecord)
                              .where(FormRecord.annex == "B"))
    return int(n or 0)


def count_floor() -> int:
    """How many posts the floor route has stored."""
    from bench.floor_app import count_floor_saves

    with service_database() as db:
        return count_floor_saves(db.engine)


def queued_tasks() -> int | None:
    """Tasks waiting on the queue (the documents the saves asked for), if it can tell."""
    try:
        from service.jobs.queue import huey

        return int(huey.pending_count())
    except Exception:  # noqa: BLE001 - an informative figure only
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


SERVICE_APP = "service:create_app()"
FLOOR_APP = "bench.floor_app:create_floor_app()"


def gunicorn_command(port: int, workers: int, threads: int, app: str = SERVICE_APP
                     ) -> list[str]:
    exe = ROOT / ".venv" / "bin" / "gunicorn"
    found = str(exe) if exe.exists() else shutil.which("gunicorn")
    if not found:
        raise BenchError("gunicorn is not installed (.venv/bin/gunicorn)")
    return [found, "-w", str(workers), "--threads", str(threads), "-b", f"{HOST}:{port}",
            "--log-level", "warning", "--backlog", "256", app]


@contextmanager
def gunicorn(env: dict[str, str], workers: int, threads: int, log: Path,
             app: str = SERVICE_APP) -> Iterator[tuple[str, int]]:
    """gunicorn serving ``app`` on a free port; yields its base URL and its process group,
    stops it afterwards."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(gunicorn_command(port, workers, threads, app), cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until_up(base, proc, log)
            yield base, proc.pid
        finally:
            stop(proc)


def wait_until_up(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(base + "/sw.js", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer within {START_TIMEOUT_S:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn (its own process group: master and workers) and wait for it."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# --- clients ---------------------------------------------------------------------------------


@dataclass
class Client:
    """One tablet: its own HTTP session, signed in, with its CSRF token and its cases."""

    base: str
    username: str
    targets: list[Target]
    session: requests.Session = field(default_factory=requests.Session)
    csrf: str = ""
    turn: Iterator[Target] | None = None
    signed_in: requests.cookies.RequestsCookieJar | None = None

    def sign_in(self) -> None:
        """Sign in through /login as a person would: the page, its CSRF token, the post."""
        page = self.session.get(self.base + "/login", timeout=REQUEST_TIMEOUT_S)
        token = CSRF_INPUT.search(page.text)
        if page.status_code != 200 or not token:
            raise BenchError(f"/login answered {page.status_code} without a CSRF token")
        answer = self.session.post(
            self.base + "/login", allow_redirects=False, timeout=REQUEST_TIMEOUT_S,
            data={"username": self.username, "password": PASSWORD, "csrf_token": token.group(1)})
        if answer.status_code != 302:
            raise BenchError(f"signing in {self.username} answered {answer.status_code}, "
                             "not 302 (429: the sign-in rate limit)")
        form = self.session.get(self.base + self.targets[0].path, timeout=REQUEST_TIMEOUT_S)
        found = CSRF_INPUT.search(form.text) or CSRF_META.search(form.text)
        if form.status_code != 200 or not found:
            raise BenchError(f"{self.targets[0].path} answered {form.status_code} "
                             "without a CSRF token")
        self.csrf = found.group(1)
        self.turn = iter(self.targets)
        self.signed_in = self.session.cookies.copy()

    def save(self, fields: list[tuple[str, str]]) -> int:
        """Submit the next case's Annex B; the status code."""
        assert self.turn is not None
        target = next(self.turn, None)
        if target is None:
            return -1  # every draft of this client's is submitted: no save left to make
        answer = self._post_form(target.path, fields)
        assert self.signed_in is not None
        self.session.cookies = self.signed_in.copy()  # as if the flash had been shown
        return _saved(answer)

    def floor(self, fields: list[tuple[str, str]]) -> int:
        """Post the same form to the floor route (of the first case: it changes nothing
        there); the status code."""
        from bench.floor_app import floor_path

        target = self.targets[0]
        return _saved(self._post_form(floor_path(target.case_id, target.form_id), fields))

    def _post_form(self, path: str, fields: list[tuple[str, str]]) -> requests.Response:
        """Post ``fields`` to ``path`` as the form page would, with a fresh submission token."""
        body = [*fields, ("csrf_token", self.csrf), ("submission_token", uuid.uuid4().hex)]
        return self.session.post(self.base + path, data=body, allow_redirects=False,
                                 timeout=REQUEST_TIMEOUT_S)

    def bare(self, path: str) -> int:
        """GET the bare endpoint; the status code."""
        answer = self.session.get(self.base + path, allow_redirects=False,
                                  timeout=REQUEST_TIMEOUT_S)
        return answer.status_code


def _saved(answer: requests.Response) -> int:
    """The status code of a post that should save: 0 for a redirect that is not to the saved
    case (the sign-in page, say)."""
    if answer.status_code == 302 and "submitted=" not in answer.headers.get("Location", ""):
        return 0
    return answer.status_code


def cpu_seconds(group: int | None) -> dict[str, float]:
    """CPU time (user + system, s) used so far by the web server (the processes of gunicorn's
    process ``group``, its workers' ended children included), the database server (PostgreSQL's
    processes) and the clients (this process). Linux only; empty where /proc is missing."""
    proc = Path("/proc")
    if not proc.is_dir():
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    used = {"server": 0.0, "database": 0.0}
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        spent = sum(int(n) for n in fields[11:15]) / tick  # utime stime cutime cstime
        if group is not None and int(fields[2]) == group:
            used["server"] += spent
        elif name.startswith("postgres"):
            used["database"] += spent
    mine = os.times()
    used["clients"] = mine.user + mine.system
    return used


def machine_ticks() -> tuple[int, int]:
    """(idle, all) CPU ticks of the whole machine so far, idle including waits for the disk
    (/proc/stat); (0, 0) where it is missing."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return 0, 0
    ticks = [int(n) for n in first[1:9]]  # user nice system idle iowait irq softirq steal
    return ticks[3] + ticks[4], sum(ticks)


@dataclass
class Phase:
    """The latencies (s) and outcomes of one phase."""

    name: str
    expected: int
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    idle: float = float("nan")  # the share of the machine's CPU time left idle

    @property
    def client_cores(self) -> float:
        """How many cores the clients (this one process) kept busy on average."""
        if "clients" not in self.cpu or not self.elapsed:
            return float("nan")
        return self.cpu["clients"] / self.elapsed

    def cpu_ms(self, part: str) -> float:
        """CPU milliseconds ``part`` (server, database, clients) used a request."""
        if part not in self.cpu or not self.requests:
            return float("nan")
        return self.cpu[part] * 1000 / self.requests

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != str(self.expected))

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """The p-th percentile latency in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1] * 1000


def run_phase(name: str, expected: int, clients: list[Client],
              request: Callable[[Client], int], duration: float, limit: int,
              interval: float = 0.0, group: int | None = None) -> Phase:
    """All clients at once, each repeating ``request`` until ``duration`` s or ``limit``
    requests in all have gone; bounded either way. With ``interval`` > 0 each client starts a
    request at most every ``interval`` s (a person's pace) instead of back to back."""
    phase = Phase(name, expected)
    tickets = itertools.count()
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)
    deadline = [0.0]

    def work(client: Client) -> None:
        start.wait()
        due = time.perf_counter() + interval * random.random()  # spread the first requests
        while due < deadline[0] and next(tickets) < limit:
            time.sleep(max(0.0, due - time.perf_counter()))
            began = time.perf_counter()
            due = max(due + interval, began) if interval else began
            try:
                status = str(request(client))
            except requests.RequestException as error:
                status = type(error).__name__
            took = time.perf_counter() - began
            with lock:
                phase.latencies.append(took)
                phase.statuses[status] += 1

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    cpu = cpu_seconds(group)
    idle, ticks = machine_ticks()
    began = time.perf_counter()
    deadline[0] = began + duration
    start.wait()
    for t in threads:
        t.join(timeout=duration + REQUEST_TIMEOUT_S + 5)
    phase.elapsed = time.perf_counter() - began
    phase.cpu = {part: spent - cpu[part] for part, spent in cpu_seconds(group).items()}
    idle_after, ticks_after = machine_ticks()
    if ticks_after > ticks:
        phase.idle = (idle_after - idle) / (ticks_after - ticks)
    return phase


# --- the report ------------------------------------------------------------------------------


def report(bare: Phase, save: Phase, *, bare_path: str, database: str, clients: int,
           workers: int, threads: int, stored: int, interval: float,
           floor: Phase | None = None, floor_stored: int = 0) -> str:
    """The figures side by side, with the ratios and the goals (and the floor's, if run)."""
    rows = [("requests", "{:d}", lambda p: p.requests),
            ("errors", "{:d}", lambda p: p.errors),
            ("throughput (req/s)", "{:.1f}", lambda p: p.throughput),
            ("p50 latency (ms)", "{:.1f}", lambda p: p.percentile(50)),
            ("p95 latency (ms)", "{:.1f}", lambda p: p.percentile(95)),
            ("p99 latency (ms)", "{:.1f}", lambda p: p.percentile(99)),
            ("mean latency (ms)", "{:.1f}",
             lambda p: statistics.fmean(p.latencies) * 1000 if p.latencies else float("nan")),
            ("web CPU/request (ms)", "{:.2f}", lambda p: p.cpu_ms("server")),
            ("client CPU/req. (ms)", "{:.2f}", lambda p: p.cpu_ms("clients"))]
    if database == "PostgreSQL":
        rows.append(("db CPU/request (ms)", "{:.2f}", lambda p: p.cpu_ms("database")))
    measured = (save, floor) if floor else (save,)
    pace = f"each every {interval:g} s" if interval else "back to back"
    lines = [f"Annex B saves vs bare GET {bare_path} | {database} | {clients} clients {pace} | "
             f"gunicorn -w {workers} --threads {threads} | {os.cpu_count()} CPUs",
             f"{'':22}{'bare':>12}{'save':>12}{'save/bare':>12}"
             + (f"{'floor':>12}{'floor/bare':>12}" if floor else "")]
    for label, fmt, value in rows:
        b = value(bare)
        line = f"{label:22}{fmt.format(b):>12}"
        for phase in measured:
            v = value(phase)
            # no ratio to a baseline that shows as nought (the database's few µs a bare
            # request): it would read as hundreds of times for a quantity never measured
            line += f"{fmt.format(v):>12}{f'{v / b:.2f}' if float(fmt.format(b)) else '-':>12}"
        lines.append(line)
    # what bounded each phase: cores left idle, and the clients' one interpreter
    for label, fmt, value in (("machine CPU idle (%)", "{:.0f}", lambda p: p.idle * 100),
                              ("client cores busy", "{:.2f}", lambda p: p.client_cores)):
        line = f"{label:22}{fmt.format(value(bare)):>12}"
        for phase in measured:
            line += f"{fmt.format(value(phase)):>12}{'-':>12}"
        lines.append(line)
    ratio = save.throughput / bare.throughput if bare.throughput else 0.0
    p95 = save.percentile(95)
    verdict = "met" if ratio >= GOAL_THROUGHPUT_RATIO else "NOT met"
    if interval:
        verdict = "not judged: paced clients measure latency, not capacity"
    lines += [
        f"save throughput / bare throughput: {ratio:.3f} "
        f"(goal >= {GOAL_THROUGHPUT_RATIO:.3f}: {verdict})",
        f"save p95 / {GOAL_P95_MS:.0f} ms goal: {p95 / GOAL_P95_MS:.2f} "
        f"(p95 {p95:.1f} ms: {'met' if p95 < GOAL_P95_MS else 'NOT met'})",
        f"versions stored: {stored} for {save.statuses.get('302', 0)} saves answered 302",
    ]
    if floor:
        lines += floor_lines(bare, save, floor, database, floor_stored)
    for phase in (bare, *measured):
        odd = {k: v for k, v in phase.statuses.items() if k != str(phase.expected)}
        if odd:
            lines.append(f"{phase.name} errors by status: {dict(sorted(odd.items()))} "
                         "(0 = a redirect that is not to the saved case, "
                         "-1 = the client had no unsubmitted form left)")
    return "\n".join(lines)


def floor_lines(bare: Phase, save: Phase, floor: Phase, database: str, stored: int
                ) -> list[str]:
    """The floor's ratio, and what a save costs beyond it (CPU a request, each part)."""
    ratio = floor.throughput / bare.throughput if bare.throughput else 0.0
    parts = [("web", "server"), ("client", "clients")]
    if database == "PostgreSQL":
        parts.append(("database", "database"))
    beyond = ", ".join(f"{label} {save.cpu_ms(part) - floor.cpu_ms(part):.2f}"
                       for label, part in parts)
    return [f"floor throughput / bare throughput: {ratio:.2f}",
            f"CPU ms a save beyond the floor: {beyond}",
            f"floor rows stored: {stored} for {floor.statuses.get('302', 0)} posts answered 302"]


# --- the run ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="PostgreSQL server to make a scratch database on "
                             "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test); "
                             "default: a SQLite file")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--cases", type=int, default=0,
                        help="cases (each with its Annex B draft), shared out among the clients; "
                             "default: twice a client's share of --requests, plus its warm-up")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per phase")
    parser.add_argument("--requests", type=int, default=2000, help="at most, per phase")
    parser.add_argument("--warmup", type=int, default=3, help="requests per client, unmeasured")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--interval", type=float, default=0.0,
                        help="seconds between the starts of a client's requests "
                             "(default 0: back to back, the server saturated)")
    parser.add_argument("--bare-path", choices=BARE_PATHS, default=BARE_PATHS[0],
                        help="the baseline endpoint")
    parser.add_argument("--floor", action="store_true",
                        help="a third phase: the same posts to a route that only signs in, "
                             "checks CSRF, parses and stores them as one row "
                             "(bench/floor_app.py)")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS:
        parser.error(f"--clients must lie between 1 and {MAX_CLIENTS}")
    if not args.cases:
        share = -(-args.requests // args.clients)
        args.cases = min(MAX_CASES, args.clients * (2 * share + args.warmup))
    if not args.clients <= args.cases <= MAX_CASES:
        parser.error(f"--cases must lie between --clients and {MAX_CASES}")
    if not 0 < args.duration <= MAX_DURATION_S:
        parser.error(f"--duration must lie between 0 and {MAX_DURATION_S:.0f} s")
    if not 1 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must lie between 1 and {MAX_REQUESTS}")
    if not 0 <= args.interval <= 10:
        parser.error("--interval must lie between 0 and 10 s")
    if not 0 <= args.warmup <= 20 or not 1 <= args.workers <= 16 or not 1 <= args.threads <= 32:
        parser.error("--warmup 0..20, --workers 1..16, --threads 1..32")
    return args


def run(args: argparse.Namespace, scratch: Path) -> str:
    """Set up, load, measure, check; the report."""
    instance = scratch / "instance"
    instance.mkdir()
    with scratch_database(args.database_url or None, instance) as database_url:
        env = server_environment(instance, database_url)
        os.environ.clear()
        os.environ.update(env)  # the app reads its settings (and the queue its file) from here
        targets = seed(args.clients, args.cases, floor=args.floor)
        fields = annex_b_fields()
        app = FLOOR_APP if args.floor else SERVICE_APP
        with gunicorn(env, args.workers, args.threads, scratch / "gunicorn.log",
                      app) as (base, group):
            clients = [Client(base, username(n), mine) for n, mine in enumerate(targets)]
            for client in clients:
                client.sign_in()
            expected_bare = 200
            for client in clients:  # warm both paths in every worker; not measured
                for _ in range(args.warmup):
                    client.bare(args.bare_path)
                    if (status := client.save(fields)) != 302:
                        log = (scratch / "gunicorn.log").read_text(errors="replace")
                        raise BenchError(f"a warm-up save answered {status}, not 302; "
                                         f"the server said:\n{log[-3000:]}")
            before = count_versions()
            bare = run_phase("bare", expected_bare, clients, lambda c: c.bare(args.bare_path),
                             args.duration, args.requests, args.interval, group)
            save = run_phase("save", 302, clients, lambda c: c.save(fields),
                             args.duration, args.requests, args.interval, group)
            floor = None
            if args.floor:
                floor = run_phase("floor", 302, clients, lambda c: c.floor(fields),
                                  args.duration, args.requests, args.interval, group)
            for client in clients:
                client.session.close()
        stored = count_versions() - before
        queued = queued_tasks()
        kind = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
        text = report(bare, save, bare_path=args.bare_path, database=kind,
                      clients=args.clients, workers=args.workers, threads=args.threads,
                      stored=stored, interval=args.interval, floor=floor,
                      floor_stored=count_floor() if args.floor else 0)
        if queued is not None:
            saves = save.statuses.get("302", 0) + args.clients * args.warmup
            text += (f"\ntasks waiting on the queue afterwards: {queued} "
                     f"(saves including the warm-up: {saves})")
        return text


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    saved_env = dict(os.environ)
    scratch = Path(tempfile.mkdtemp(prefix="bench-forms-"))
    try:
        print(run(args, scratch))
        return 0
    except BenchError as error:
        print(f"bench/forms.py: {error}", file=sys.stderr)
        return 2
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
