"""Bulk import of generated legacy Word forms against a bare python-docx walk of the same files.

    .venv/bin/python bench/imports.py [--forms 2000]

Generates FORMS legacy forms (Annex B, two Cs and a D per petitioner folder, every tick
encoding and layout in turn), then, each in a fresh process: opens and walks every file with
python-docx alone (the baseline), and imports them with `service.jobs.imports.run_import` into
a fresh SQLite database (originals written with fsync, Word/PDF copies queued on the SQLite
queue and not waited for). Memory is the peak RSS of the importing process for a quarter of the
files and for all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def generate(folder: Path, forms: int) -> list[Path]:
    """FORMS legacy Word files, four to a petitioner's folder, all different."""
    from tests.imports_legacy import TICKS, Style, expected, make_docx

    layouts = [dict(), dict(spaced=True, colon="：", qita_swapped=True),
               dict(below=True, colon=":"), dict(one_cell=True)]
    paths: list[Path] = []
    n = 0
    while len(paths) < forms:
        person = folder / f"petitioner-{n:05d}"
        person.mkdir(parents=True, exist_ok=True)
        name = f"案主{n:05d}"
        day = f"2023-{1 + n % 12:02d}-{1 + n % 27:02d}"
        b = expected("B") | {"client_name": name, "first_contact_date": day}
        c1 = expected("C") | {"interviewee": name, "session_no": 1}
        c2 = expected("C") | {"interviewee": name, "session_no": 2, "record": f"第二次会谈 {n}"}
        d = expected("D") | {"client_name": name, "opened_on": day}
        for k, (code, data, file) in enumerate((("B", b, "B.docx"), ("C", c1, "C1.docx"),
                                                ("C", c2, "C2.docx"), ("D", d, "D.docx"))):
            if len(paths) == forms:
                break
            style = Style(tick=TICKS[(n + k) % len(TICKS)], date_style=n % 4,
                          **layouts[(n // 2 + k) % len(layouts)])
            path = person / file
            path.write_bytes(make_docx(code, data, style))
            paths.append(path)
        n += 1
    return paths


def subset(source: Path, target: Path, count: int) -> None:
    """The first COUNT files of SOURCE, hard-linked into TARGET (same folders)."""
    files = sorted(p for p in source.rglob("*.docx"))[:count]
    for path in files:
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, dest)


def child_walk(folder: Path) -> dict:
    """The baseline: open and walk every file with python-docx alone."""
    from docx import Document

    start = time.perf_counter()
    files = sorted(folder.rglob("*.docx"))
    chars = 0
    for path in files:
        document = Document(str(path))
        for paragraph in document.paragraphs:
            chars += len(paragraph.text)
        for table in document.tables:
            for row in table.rows:
                for cell in row.cells:
                    chars += len(cell.text)
    return {"seconds": time.perf_counter() - start, "files": len(files), "chars": chars}


def child_import(folder: Path, scratch: Path, database: str) -> dict:
    """The import of every file under FOLDER into a fresh database (SQLite, or a fresh schema
    of the PostgreSQL server at DATABASE)."""
    url = f"sqlite:///{scratch / 'bench.sqlite3'}"
    if database != "sqlite":
        import sqlalchemy as sa

        schema = f"bench_{os.getpid()}"
        engine = sa.create_engine(database, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = f"{database}{'&' if '?' in database else '?'}options=-csearch_path%3D{schema}"
    os.environ.update(INSTANCE_PATH=str(scratch / "instance"), WORK_ROOT=str(scratch / "work"),
                      DATABASE_URL=url, ARCHIVE_ROOT=str(scratch / "archive"),
                      SECRET_KEY="bench")
    os.environ.pop("HUEY_IMMEDIATE", None)
    os.environ.pop("REDIS_URL", None)
    from service import create_app
    from service.db import db
    from service.jobs.imports.model import Options
    from service.jobs.imports.pipeline import run_import
    from service.jobs.queue import huey

    app = create_app()
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        report = run_import([folder], Options())
        seconds = time.perf_counter() - start
        counts = dict(report.counts)
        report.close()
        queued = huey.pending_count()
    return {"seconds": seconds, "counts": counts, "queued": queued,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--forms", type=int, default=2000)
    parser.add_argument("--database", default="sqlite",
                        help="sqlite (a fresh file) or a PostgreSQL URL (a fresh schema)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = (child_walk(Path(rest[0])) if kind == "walk"
                  else child_import(Path(rest[0]), Path(rest[1]), rest[2]))
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        generate(work / "all", args.forms)
        quarter = max(args.forms // 4, 1)
        subset(work / "all", work / "quarter", quarter)
        print(f"generated {args.forms} legacy forms in {time.perf_counter() - started:.1f} s")
        walk = _run_child("walk", str(work / "all"))
        small = _run_child("import", str(work / "quarter"), str(work / "s1"), args.database)
        full = _run_child("import", str(work / "all"), str(work / "s2"), args.database)
    rate = args.forms / full["seconds"]
    print(f"database: {args.database.split('@')[-1]}; load average: "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'':28}{'seconds':>10}{'forms/s':>10}")
    print(f"{'python-docx open + walk':28}{walk['seconds']:10.2f}"
          f"{walk['files'] / walk['seconds']:10.1f}")
    print(f"{'import (queued copies)':28}{full['seconds']:10.2f}{rate:10.1f}")
    print(f"ratio import / walk: {full['seconds'] / walk['seconds']:.2f} (goal <= 2.0); "
          f"forms a second: {rate:.1f} (goal >= 50)")
    print(f"statuses: {full['counts']}; copies queued, not made: {full['queued']}")
    print(f"peak RSS importing {quarter} forms: {small['peak_rss_mb']:.0f} MB; "
          f"{args.forms} forms: {full['peak_rss_mb']:.0f} MB "
          f"(ratio {full['peak_rss_mb'] / small['peak_rss_mb']:.2f})")


if __name__ == "__main__":
    main()
