"""Legacy forms as offices typed them: the share of values read right, the share of wrong values
flagged, and the dry-run speed, each beside its baseline.

    .venv/bin/python bench/legacy.py [--files 600] [--baseline-rev 95d809b]

Generates FILES Word files of the corpus in ``tests/legacy_corpus.py`` (a seed the readers were
not tuned on; a fifth in the standard's own layout, some holding several forms) and six XLSX
registers, with the truth each holds. Then, each in a fresh process:

- reads every file with this tree's readers and, as the accuracy baseline, with the readers of
  BASELINE_REV (the importer before legacy forms were read as offices typed them);
- walks every Word file with python-docx alone (the speed baseline);
- dry-runs the import of all the files, and of a quarter of them, as
  ``flask --app service import PATH --dry-run`` does: forms a second and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEED = 2026


def generate(folder: Path, files: int) -> Path:
    """The corpus written under FOLDER/files, its truth pickled beside it."""
    from tests.legacy_corpus import corpus, make_register

    samples = corpus(files, seed=SEED, standard_share=0.2)
    rng = random.Random(SEED)
    samples += [make_register(files + n, rng, "BCD"[n % 3]) for n in range(6)]
    (folder / "files").mkdir(parents=True)
    for s in samples:
        (folder / "files" / s.name).write_bytes(s.content)
    truth = {s.name: (s.forms, "register" if s.name.endswith(".xlsx") else
                      "standard" if s.variant.standard else "varied") for s in samples}
    (folder / "truth.pickle").write_bytes(pickle.dumps(truth))
    return folder / "files"


def child_read(root: Path, folder: Path) -> dict:
    """Every file read by the readers of the tree at ROOT: annex, data and flagged paths."""
    sys.path.insert(0, str(root))
    from service.imports.dispatch import read_file

    out: dict[str, list] = {}
    for path in sorted(folder.iterdir()):
        try:
            readings = read_file(path.name, path.read_bytes())
        except Exception as e:  # noqa: BLE001 - a reader that gives up reads nothing
            out[path.name] = [["error", str(e)]]
            continue
        out[path.name] = [[r.annex, r.data, [e.field for e in getattr(r, "evidence", [])
                                             if e.flagged]] for r in readings]
    return out


def child_walk(folder: Path) -> dict:
    """The speed baseline: open and walk every Word file with python-docx alone."""
    from docx import Document

    start = time.perf_counter()
    files = sorted(folder.glob("*.docx"))
    chars = 0
    for path in files:
        document = Document(str(path))
        chars += sum(len(p.text) for p in document.paragraphs)
        chars += sum(len(c.text) for t in document.tables for r in t.rows for c in r.cells)
    return {"seconds": time.perf_counter() - start, "files": len(files)}


def child_dry_run(folder: Path, scratch: Path) -> dict:
    """A dry run of every file under FOLDER, as the import command does it."""
    os.environ.update(INSTANCE_PATH=str(scratch / "instance"), WORK_ROOT=str(scratch / "work"),
                      DATABASE_URL=f"sqlite:///{scratch / 'bench.sqlite3'}",
                      ARCHIVE_ROOT=str(scratch / "archive"), SECRET_KEY="bench")
    from service import create_app
    from service.db import db
    from service.jobs.imports.model import Options
    from service.jobs.imports.pipeline import run_import

    app = create_app()
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        report = run_import([folder], Options(dry_run=True))
        seconds = time.perf_counter() - start
        forms = sum(report.counts.values())
        with (scratch / "report.json").open("w", encoding="utf-8") as stream:
            report.write(stream)
        report.close()
    return {"seconds": seconds, "forms": forms,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _score(read: dict, truth: dict) -> dict:
    """Share right and share of wrong values flagged, by kind of file."""
    from service.imports.reading import Reading
    from tests.legacy_score import Tally, score

    tallies: dict[str, Tally] = {}
    for name, (forms, kind) in truth.items():
        readings = []
        for found in read.get(name, []):
            if found[0] == "error":
                continue
            annex, data, flagged = found
            r = Reading(name=name, annex=annex, data=data)
            r.evidence = [_Flag(f) for f in flagged]  # type: ignore[list-item]
            readings.append(r)
        tallies.setdefault(kind, Tally()).add(score(forms, readings, name))
        tallies.setdefault("all", Tally()).add(score(forms, readings, name))
    return {k: {"forms": t.forms, "right": t.share_right, "flagged": t.share_flagged,
                "wrong": t.wrong} for k, t in tallies.items()}


class _Flag:
    """A flagged path as the scorer needs it."""

    flagged = True

    def __init__(self, field: str) -> None:
        self.field = field


def _share(figures: dict) -> str:
    """The share of wrong values flagged, or a dash when nothing was wrong."""
    return f"{figures['flagged']:.1%}" if figures["wrong"] else "– (none wrong)"


def _baseline_tree(rev: str, target: Path) -> Path:
    """The service package of REV, unpacked under TARGET."""
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "service"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--baseline-rev", default="95d809b",
                        help="the commit whose readers are the accuracy baseline")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = (child_read(Path(rest[0]), Path(rest[1])) if kind == "read" else
                  child_walk(Path(rest[0])) if kind == "walk" else
                  child_dry_run(Path(rest[0]), Path(rest[1])))
        print(json.dumps(result, ensure_ascii=False))
        return
    with tempfile.TemporaryDirectory(prefix="bench-legacy-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        files = generate(work, args.files)
        truth = pickle.loads((work / "truth.pickle").read_bytes())
        quarter = work / "quarter"
        quarter.mkdir()
        for path in sorted(files.iterdir())[: len(truth) // 4]:
            os.link(path, quarter / path.name)
        print(f"generated {len(truth)} files in {time.perf_counter() - started:.0f} s")
        ours = _score(_child("read", str(ROOT), str(files)), truth)
        before = _score(_child("read", str(_baseline_tree(args.baseline_rev, work / "old")),
                               str(files)), truth)
        walk = _child("walk", str(files))
        small = _child("dry", str(quarter), str(work / "s1"))
        full = _child("dry", str(files), str(work / "s2"))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print(f"{'files':12}{'forms':>7}{'right':>9}{'wrong flagged':>15}"
          f"{'baseline right':>16}{'baseline flagged':>18}")
    for kind in ("standard", "varied", "register", "all"):
        o, b = ours[kind], before[kind]
        print(f"{kind:12}{o['forms']:7d}{o['right']:9.1%}{_share(o):>15}"
              f"{b['right']:16.1%}{_share(b):>18}")
    rate = full["forms"] / full["seconds"]
    docx = walk["files"] / walk["seconds"]
    print(f"\ndry run: {full['forms']} forms in {full['seconds']:.1f} s, {rate:.1f} forms/s "
          f"(goal >= 50); python-docx open + walk: {docx:.1f} files/s "
          f"(dry run / walk time {full['seconds'] / walk['seconds']:.2f})")
    print(f"peak RSS: {small['forms']} forms {small['peak_rss_mb']:.0f} MB, "
          f"{full['forms']} forms {full['peak_rss_mb']:.0f} MB "
          f"(ratio {full['peak_rss_mb'] / small['peak_rss_mb']:.2f}; flat is about 1)")


if __name__ == "__main__":
    main()
