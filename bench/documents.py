"""Benchmark: official copies of many forms, the converter pool against one soffice per file.

    .venv/bin/python bench/documents.py [--forms 200] [--naive 200] [--long 2000]

In one run it renders FORMS filled forms (B, C and D mixed) to Word, converts them to PDF/A on
the long-lived LibreOffice pool (render + convert, as ``documents batch`` does), then converts
the same Word files the naive way, one ``soffice --headless --convert-to pdf`` process per file
(the first NAIVE of them), and prints both per-form times and their ratio. With ``--long N`` it
then converts N more forms on the pool and samples LibreOffice's memory every 100, to show it
stays flat (the pool recycles each LibreOffice after OFFICE_RECYCLE_AFTER conversions).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.annexes import ANNEXES  # noqa: E402
from service.annexes.examples import example  # noqa: E402
from service.documents.batch import run_batch  # noqa: E402
from service.documents.convert import SOFFICE, OfficePool, default_size  # noqa: E402
from service.documents.render import DocumentMeta, render_docx  # noqa: E402

PDF_A = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
WORDS = "案主情绪稳定愿意配合社工跟进协调会邻里纠纷政策宣导资源链接街道办事处区住建局满意"


def varied_form(code: str, rng: random.Random) -> dict:
    """An example form with its long texts and names varied, so no two forms are alike."""
    data = example(code)
    for f in ANNEXES[code]:
        if f.kind.value == "longtext" and data.get(f.name):
            data[f.name] = "".join(rng.choice(WORDS) for _ in range(rng.randint(20, 400)))
    data["client_name" if code != "C" else "interviewee"] = "王" + rng.choice(WORDS)
    if code == "D":
        data["goals"] = [{"seq": i, "goal": "".join(rng.choice(WORDS) for _ in range(12)),
                          "status": "已达成", "remark": ""} for i in range(1, rng.randint(2, 9))]
    return data


def write_inputs(folder: Path, count: int, rng: random.Random) -> list[Path]:
    paths = []
    for i in range(count):
        code = "BCD"[i % 3]
        path = folder / f"form-{i:04d}-{code}.json"
        path.write_text(json.dumps({"annex": code, "data": varied_form(code, rng),
                                    "meta": {"case_number": f"XF-2024-{i:05d}"}},
                                   ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


def time_rendering(paths: list[Path]) -> list[float]:
    """Seconds to render each form to Word (after one warm-up render per annex)."""
    items = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    for code in ANNEXES:
        render_docx(ANNEXES[code], example(code))
    times = []
    for item in items:
        start = time.perf_counter()
        render_docx(ANNEXES[item["annex"]], item["data"], DocumentMeta(**item["meta"]))
        times.append(time.perf_counter() - start)
    return times


class MemoryWatch:
    """Samples the pool's LibreOffice memory every 0.2 s; keeps the peak."""

    def __init__(self, pool: OfficePool) -> None:
        self.pool, self.peak, self._stop = pool, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self.pool.rss())

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def naive(docx_files: list[Path], out: Path) -> float:
    """Seconds to convert each file with its own soffice process (one warm profile)."""
    profile = (out / "profile").as_uri()
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation={profile}", "--convert-to",
                    PDF_A, "--outdir", str(out), str(docx_files[0])],
                   check=True, capture_output=True)  # creates the profile: not timed
    start = time.perf_counter()
    for path in docx_files:
        subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation={profile}",
                        "--convert-to", PDF_A, "--outdir", str(out), str(path)],
                       check=True, capture_output=True, timeout=120)
    return time.perf_counter() - start


def long_run(pool: OfficePool, docx: list[bytes], total: int) -> list[tuple[int, int]]:
    """Convert ``total`` documents on the pool; (conversions, LibreOffice RSS) every 100."""
    samples: list[tuple[int, int]] = []
    done = 0
    lock = threading.Lock()

    def worker(offset: int) -> None:
        nonlocal done
        i = offset
        while True:
            with lock:
                if done >= total:
                    return
                done += 1
                n = done
            pool.convert(docx[i % len(docx)])
            i += pool.size
            if n % 100 == 0:
                samples.append((n, pool.rss()))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(pool.size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(samples)


def mb(n: float) -> str:
    return f"{n / 2**20:.0f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--forms", type=int, default=200)
    parser.add_argument("--naive", type=int, default=200,
                        help="how many of the forms to convert the naive way")
    parser.add_argument("--long", type=int, default=0, help="conversions of the memory run")
    parser.add_argument("--workers", type=int, default=default_size())
    args = parser.parse_args()
    rng = random.Random(20240508)
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        paths = write_inputs(root / "in", args.forms, rng)
        print(f"{args.forms} forms (B, C, D mixed), {os.cpu_count()} cores, "
              f"{args.workers} LibreOffice processes")

        render = time_rendering(paths)
        print(f"Word rendering alone: median {statistics.median(render) * 1000:.1f} ms, "
              f"p95 {sorted(render)[int(len(render) * 0.95)] * 1000:.1f} ms a form")

        with OfficePool(args.workers) as pool:
            start = time.perf_counter()
            pool.start()
            startup = time.perf_counter() - start
            with MemoryWatch(pool) as watch:
                start = time.perf_counter()
                results = list(run_batch(paths, root / "out", pool=pool))
                batch = time.perf_counter() - start
            failed = [r for r in results if not r.ok]
            if failed:
                print(f"{len(failed)} forms failed: {failed[0].error}")
                return 1
            pool_per_form = batch / len(paths)
            print(f"Pool: render + convert {len(paths)} forms to Word and PDF/A in {batch:.1f} s "
                  f"= {pool_per_form * 1000:.0f} ms a form "
                  f"(start-up of the pool, once: {startup:.1f} s)")
            print(f"Peak memory: batch process {mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}"
                  f", LibreOffice pool {mb(watch.peak)} ({args.workers} processes)")

            docx_files = sorted((root / "out").glob("*.docx"))[:args.naive]
            (root / "naive").mkdir()
            naive_total = naive(docx_files, root / "naive")
            naive_per_form = naive_total / len(docx_files)
            print(f"Naive: one soffice process per file, {len(docx_files)} files in "
                  f"{naive_total:.1f} s = {naive_per_form * 1000:.0f} ms a form "
                  f"(convert only, Word files already made)")
            print(f"Ratio: the pool makes {naive_per_form / pool_per_form:.1f} times as many "
                  f"forms a second as the naive conversion (goal: 15)")

            if args.long:
                docx = [p.read_bytes() for p in sorted((root / "out").glob("*.docx"))]
                samples = long_run(pool, docx, args.long)
                print(f"Memory over {args.long} more conversions (LibreOffice pool RSS):")
                print("  " + ", ".join(f"{n}: {mb(r)}" for n, r in samples))
                first = statistics.mean(r for _, r in samples[:3])
                last = statistics.mean(r for _, r in samples[-3:])
                print(f"  first three samples {mb(first)}, last three {mb(last)} "
                      f"(ratio {last / first:.2f}); restarts "
                      f"{sum(p.starts for p in pool.processes) - pool.size} "
                      f"(recycled after {pool.processes[0].recycle_after} conversions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
