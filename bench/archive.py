"""Archive benchmarks, each beside its baseline in the same run:

1. bundling 100 case files (numbers stamped, bookmarks, PDF/A kept) against merging the same
   PDFs with `qpdf --empty --pages` (goal: within 2x);
2. `archive verify` over 10,000 files against `sha256sum` over the same files (goal: 1.5x).

Run: .venv/bin/python bench/archive.py [--cases 100] [--files 10000] [--size 40000]
The bundle pages and documents are made once with LibreOffice, then copied per case.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.archive import bundle as binder  # noqa: E402
from service.archive.filing import Item, Manifest, add_item, file_bytes, write_manifest  # noqa: E402
from service.archive.fixity import verify  # noqa: E402
from service.documents.convert import pdf_pages  # noqa: E402
from tests.archive_helpers import office_pdf  # noqa: E402


def best(runs: int, action) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def make_parts(folder: Path) -> list[binder.Part]:
    """Cover, contents, three documents (B, C, D from the real templates), note."""
    from service.annexes import ANNEXES
    from service.annexes.examples import example
    from service.documents.render import render_docx, render_template

    docs = []
    for code in ("B", "C", "D"):
        path = folder / f"{code}.pdf"
        path.write_bytes(office_pdf(render_docx(ANNEXES[code], example(code))))
        docs.append(path)
    rows = [binder.ContentsRow(n, "陈晓敏", ANNEXES[p.stem].title, "2024-05-08", pdf_pages(p))
            for n, p in enumerate(docs, start=1)]
    info = {"fonds_name": "广州市信访社会工作服务中心", "category": "一般信访", "grade": "低风险",
            "title": "王建国一般信访个案卷",
            "start": "2024-05-08", "end": "2024-08-30", "retention": "定期10年",
            "dang_hao": "X001-WS·2024-D10-YB-0001", "compiled_by": "陈晓敏", "checked_by": "",
            "date": "2024-09-01", "remarks": [""]}
    pages = binder.render_pages(info, rows, convert=office_pdf, render=render_template)
    parts = []
    for role in ("cover", "contents"):
        (folder / f"{role}.pdf").write_bytes(getattr(pages, role))
        parts.append(binder.Part(folder / f"{role}.pdf", role))
    parts += [binder.Part(p, p.stem) for p in docs]
    (folder / "note.pdf").write_bytes(pages.note)
    parts.append(binder.Part(folder / "note.pdf", "note"))
    return parts


def bench_bundles(scratch: Path, cases: int) -> None:
    source = scratch / "source"
    source.mkdir()
    parts = make_parts(source)
    volumes = []
    for n in range(cases):
        folder = scratch / "cases" / f"{n:04d}"
        folder.mkdir(parents=True)
        copies = []
        for part in parts:
            shutil.copy(part.path, folder / part.path.name)
            copies.append(binder.Part(folder / part.path.name, part.bookmark))
        volumes.append(binder.Volume(str(n), tuple(copies)))
    sheet = binder.NumberSheet(scratch / "cache", convert=office_pdf)
    sheet.pdf(1)  # made once per installation, then cached
    out = scratch / "out"
    out.mkdir()

    def ours() -> None:
        for n, volume in enumerate(volumes):
            binder.assemble([volume], out / f"b{n}.pdf", sheet=sheet)

    def qpdf() -> None:
        for n, volume in enumerate(volumes):
            subprocess.run(["qpdf", "--empty", "--pages", *[str(p.path) for p in volume.parts],
                            "--", str(out / f"q{n}.pdf")], check=True)

    t_ours, t_qpdf = best(3, ours), best(3, qpdf)
    pages = pdf_pages(out / "b0.pdf")
    print(f"bundle {cases} cases ({pages} pages each): ours {t_ours:.2f}s, "
          f"qpdf --empty --pages {t_qpdf:.2f}s, ratio {t_ours / t_qpdf:.2f} (goal <= 2)")


def bench_verify(scratch: Path, files: int, size: int) -> None:
    root = scratch / "archive"
    per_folder = 100
    for f in range(0, files, per_folder):
        folder = root / "X001" / "2024" / "永久" / "一般信访" / "低风险" / f"F{f:05d}"
        manifest = Manifest(dang_hao=folder.name, case_number="", title="", placement={})
        for n in range(min(per_folder, files - f)):
            data = os.urandom(size)
            add_item(manifest, file_bytes(folder, Item(file=f"{n:03d}.pdf", item_no=n + 1,
                                                       title="", date=""), data))
        write_manifest(folder, manifest)
    listing = scratch / "files.txt"
    paths = sorted(str(p) for p in root.rglob("*.pdf"))
    listing.write_text("\0".join(paths))

    def sha256sum() -> None:
        subprocess.run(f"xargs -0 sha256sum < '{listing}' > /dev/null", shell=True, check=True)

    report = verify(root)
    assert report.ok and report.files == files, report.lines()[:5]
    t_ours = best(3, lambda: verify(root))
    t_base = best(3, sha256sum)
    print(f"verify {files} files of {size} bytes: ours {t_ours:.2f}s, sha256sum {t_base:.2f}s, "
          f"ratio {t_ours / t_base:.2f} (goal <= 1.5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=40_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as scratch:
        bench_bundles(Path(scratch), args.cases)
        bench_verify(Path(scratch), args.files, args.size)


if __name__ == "__main__":
    main()
