"""Reading scans of the service's own forms: accuracy and pages per second, beside a baseline.

    .venv/bin/python bench/scans.py [--forms 12] [--blank 12] [--nocode 6] [--workers 2]
                                    [--flat 1000]

Builds a corpus from the service's own copies: FORMS typed forms (B, C, D in turn, filled with
varied values) and BLANK blank forms printed for a case and filled by hand (ticks drawn, text
cells scribbled), each page converted by LibreOffice, rasterised, then "scanned" at 150, 200 or
300 dpi, rotated by up to 3 degrees, with noise, blur or JPEG artefacts, and one page in five
photographed (perspective and uneven light); and NOCODE typed forms printed without the form
code (the standard's layout as another office prints it). Then reads every page and prints:

- pages matched to their annex, page and case (goal 100%);
- ticks read right, borderline ones flagged rather than guessed (goal 100%);
- typed text fields right and not flagged (goal 98% of fields with a code, 95% without);
- pages per second in one process and in WORKERS processes, and the baseline: rapidocr's
  whole-page OCR (detection and recognition over the page, what reading by OCR alone costs)
  on the same pages;
- with ``--flat N``: the resident memory of one process reading N pages (the corpus over and
  over), sampled every 100 pages, to show it stays flat.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NAMES = ["王建国", "李秀英", "陈晓敏", "黄志强", "刘美玲", "张伟", "周丽华", "吴国平"]
SENTENCES = ["案主情绪较上次平稳，愿意参加协调会。", "联系街道办确定协调会时间。",
             "要求相关部门尽快处理小区加装电梯引发的邻里纠纷。", "跟进及时，注意记录各方意见。",
             "社工倾听并回应其感受，介绍了协商流程。", "协助案主了解相关政策。"]
WRITE_INS = ["区信访接待大厅", "社区居委会", "由本人继续跟进", "协助查阅材料"]


def varied(code: str, rng: random.Random) -> dict[str, Any]:
    """The annex's example with names, numbers, dates, texts and ticks changed."""
    from service.annexes import ANNEXES, Kind
    from service.annexes.examples import example
    from service.annexes.validate import clean

    annex = ANNEXES[code]
    data = example(code)
    for f in annex:
        if f.name not in data or f.reviewer_only:
            continue
        if f.kind is Kind.TEXT and f.name in ("client_name", "interviewee", "worker"):
            data[f.name] = rng.choice(NAMES)
        elif f.kind is Kind.PHONE:
            data[f.name] = "13" + "".join(rng.choice("0123456789") for _ in range(9))
        elif f.kind is Kind.LONGTEXT and f.name != "service_goals":
            data[f.name] = rng.choice(SENTENCES)
        elif f.kind is Kind.DATE:
            data[f.name] = f"2024-{rng.randint(1, 6):02d}-{rng.randint(10, 28):02d}"
        elif f.kind is Kind.ONE_OF:
            option = rng.choice(f.options)
            data[f.name] = option.text
            for o in f.notes:
                data[o.note] = rng.choice(WRITE_INS) if o is option else ""
    cleaned, problems = clean(annex, data, submit=False)
    return cleaned if not problems else example(code)


def scans_of(pages: list[Any], rng: random.Random) -> list[Any]:
    """Each page as a scanner or a phone gives it back."""
    from tests.scan_helpers import scan

    out = []
    for page in pages:
        how: dict[str, Any] = {"dpi": rng.choice([150, 200, 300]),
                               "angle": rng.uniform(-3, 3), "noise": rng.choice([0, 4, 8])}
        roll = rng.random()
        if roll < 0.2:
            how.update(perspective=0.035, angle=rng.uniform(-1.5, 1.5))
        elif roll < 0.5:
            how.update(blur=True)
        elif roll < 0.8:
            how.update(jpeg=rng.choice([55, 70, 85]))
        out.append((scan(page, rng, **how), how))
    return out


def build(forms: int, blank: int, seed: int, nocode: int = 0) -> list[dict[str, Any]]:
    """The corpus: every scanned page with what it should be read as."""
    from service.annexes import ANNEXES
    from service.documents import DocumentMeta, render_docx
    from service.documents.convert import to_pdf
    from service.paper.layout import page_layouts, rasterise
    from tests.scan_helpers import fill_by_hand, without_code

    rng = random.Random(seed)
    corpus = []
    codes = list(ANNEXES)
    for n in range(forms):
        code = codes[n % len(codes)]
        data = varied(code, rng)
        number = f"GZ-2024-{n:04d}"
        pdf = to_pdf(render_docx(ANNEXES[code], data, DocumentMeta(case_number=number)))
        for p, (image, how) in enumerate(scans_of(rasterise(pdf), rng), start=1):
            corpus.append({"image": image, "how": how, "annex": code, "page": p,
                           "case": number, "data": data, "ticks": None, "coded": True})
    for n in range(nocode):
        code = codes[n % len(codes)]
        data = varied(code, rng)
        pdf = to_pdf(render_docx(ANNEXES[code], data))
        bare = [without_code(page) for page in rasterise(pdf)]
        for p, (image, how) in enumerate(scans_of(bare, rng), start=1):
            corpus.append({"image": image, "how": how, "annex": code, "page": p,
                           "case": None, "data": data, "ticks": None, "coded": False})
    for n in range(blank):
        code = codes[n % len(codes)]
        number = f"GZ-2024-B{n:03d}"
        pdf = to_pdf(render_docx(ANNEXES[code], {}, DocumentMeta(case_number=number)))
        layouts = page_layouts(ANNEXES[code], "00000000", pdf)
        for p, (image, layout) in enumerate(zip(rasterise(pdf), layouts, strict=True), start=1):
            ticks = {}
            for spot in layout.spots:
                if spot.boxes and rng.random() < 0.7:
                    chosen = [rng.choice(spot.boxes)[0]]
                    ticks[spot.field] = chosen
            written = {s.field for s in layout.spots if not s.boxes and rng.random() < 0.5}
            filled = fill_by_hand(image, layout, rng, ticks, written)
            [(scanned, how)] = scans_of([filled], rng)
            corpus.append({"image": scanned, "how": how, "annex": code, "page": p,
                           "case": number, "data": None, "ticks": ticks,
                           "written": sorted(written), "coded": True})
    return corpus


def _lookup(annex: str, template: str | None):
    from service.paper import references

    return references.lookup(annex, template)


def _read(image: Any) -> Any:
    from service.paper.read import read_page

    return read_page(image, _lookup)


def _warm(_: Any) -> None:
    from service.paper import ocr

    ocr.engine()
    for code in "BCD":
        _lookup(code, None)


def resident_mb() -> float:
    """This process's resident memory now (not its peak), in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1024 / 1024


def flat(images: list[Any], count: int) -> list[tuple[int, float]]:
    """(pages read, resident MB) every 100 pages while one process reads ``count`` pages."""
    samples = [(0, resident_mb())]
    for n in range(1, count + 1):
        _read(images[(n - 1) % len(images)])
        if n % 100 == 0:
            samples.append((n, resident_mb()))
    return samples


def score(corpus: list[dict[str, Any]], readings: list[Any]) -> dict[str, Any]:
    """Pages matched, ticks right (and flagged), typed text fields right."""
    from service.annexes import ANNEXES, Kind
    from service.paper.layout import norm

    matched = ticks_right = ticks_total = ticks_flagged = ticks_wrong = 0
    text = {True: [0, 0], False: [0, 0]}  # coded -> [right, total]
    misses: list[str] = []
    for item, reading in zip(corpus, readings, strict=True):
        named = reading.code.case_number if reading.code is not None else None
        ok = (reading.annex == item["annex"] and reading.page == item["page"]
              and named == item["case"])
        matched += ok
        if not ok:
            misses.append(f"page not matched ({item['how']}): {reading.problem}")
            continue
        annex = ANNEXES[item["annex"]]
        for f in reading.fields:
            if f.field not in annex:
                continue
            kind = annex[f.field].kind
            if f.how == "box":
                if item["ticks"] is not None:
                    want = item["ticks"].get(f.field, [])
                    want = want if kind is Kind.ANY_OF else (want[0] if want else None)
                else:
                    want = item["data"].get(f.field) or ([] if kind is Kind.ANY_OF else None)
                ticks_total += 1
                if f.flagged:
                    ticks_flagged += 1
                elif f.value == want:
                    ticks_right += 1
                else:
                    ticks_wrong += 1
                    misses.append(f"tick {f.field}: {f.value!r} for {want!r} ({item['how']})")
            elif item["data"] is not None and kind is not Kind.SIGNATURE:
                want = item["data"].get(f.field)
                if want in (None, ""):
                    continue
                tally = text[item["coded"]]
                tally[1] += 1
                if not f.flagged and norm(str(f.value)) == norm(str(want)):
                    tally[0] += 1
                else:
                    misses.append(f"text {f.field}: {f.value!r} for {want!r} ({f.reason})")
    return {"pages": len(corpus), "matched": matched, "ticks": ticks_total,
            "ticks_right": ticks_right, "ticks_flagged": ticks_flagged,
            "ticks_wrong": ticks_wrong, "text": text[True][1], "text_right": text[True][0],
            "text_nocode": text[False][1], "text_right_nocode": text[False][0],
            "misses": misses}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--forms", type=int, default=12)
    parser.add_argument("--blank", type=int, default=12)
    parser.add_argument("--nocode", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline-pages", type=int, default=4)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--flat", type=int, default=0,
                        help="then read this many pages in one process, sampling its memory")
    args = parser.parse_args()

    t0 = time.perf_counter()
    corpus = build(args.forms, args.blank, args.seed, args.nocode)
    print(f"corpus: {len(corpus)} pages ({args.forms} typed forms, {args.blank} filled by hand, "
          f"{args.nocode} typed without a code) "
          f"made in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    _warm(None)
    print(f"blank copies' layouts and the OCR engine ready in {time.perf_counter() - t0:.1f} s "
          "(once per process and template version)")

    t0 = time.perf_counter()
    readings = [_read(item["image"]) for item in corpus]
    one = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    images = [item["image"] for item in corpus]
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        pool.map(_warm, range(args.workers))
        t0 = time.perf_counter()
        pool.map(_read, images, chunksize=1)
        many = time.perf_counter() - t0

    from service.paper import ocr

    sample = images[:args.baseline_pages]
    t0 = time.perf_counter()
    for image in sample:
        ocr.engine()(image, use_cls=False)
    baseline = (time.perf_counter() - t0) / len(sample)

    s = score(corpus, readings)
    pct = lambda a, b: f"{100 * a / b:.1f}%" if b else "-"  # noqa: E731
    print()
    print("| measure | figure | goal |")
    print("|---|---|---|")
    print(f"| pages matched to annex, page and case (case: when a code names one) | "
          f"{s['matched']}/{s['pages']} "
          f"({pct(s['matched'], s['pages'])}) | 100% |")
    print(f"| option sets read right | {s['ticks_right']}/{s['ticks']} "
          f"({pct(s['ticks_right'], s['ticks'])}); flagged for a person: {s['ticks_flagged']}; "
          f"wrong and not flagged: {s['ticks_wrong']} | 100%, borderline flagged |")
    print(f"| typed text fields right, not flagged (pages with a code) | "
          f"{s['text_right']}/{s['text']} ({pct(s['text_right'], s['text'])}) | 98% |")
    print(f"| typed text fields right, not flagged (pages without a code) | "
          f"{s['text_right_nocode']}/{s['text_nocode']} "
          f"({pct(s['text_right_nocode'], s['text_nocode'])}) | 95% |")
    print(f"| pages per second, 1 process | {len(corpus) / one:.2f} "
          f"({1000 * one / len(corpus):.0f} ms a page) | |")
    print(f"| pages per second, {args.workers} processes | {len(corpus) / many:.2f} | ≥ 1 |")
    print(f"| baseline: rapidocr over the whole page | {1 / baseline:.2f} pages/s "
          f"({1000 * baseline:.0f} ms a page) | |")
    print(f"| peak memory of the reading process | {rss:.0f} MB | |")
    if args.flat:
        samples = flat(images, args.flat)
        first = samples[1][1] if len(samples) > 1 else samples[0][1]
        print(f"\nresident memory reading {args.flat} pages in one process (MB, every 100 "
              "pages): " + ", ".join(f"{mb:.0f}" for _n, mb in samples))
        print(f"last / after the first 100 pages: {samples[-1][1] / first:.2f}")
    if s["misses"]:
        print("\nmisses:")
        for m in s["misses"][:40]:
            print("  ", m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
