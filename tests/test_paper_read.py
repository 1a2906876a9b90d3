"""Reading scanned pages of the service's own forms: blank ones filled by hand, typed ones
printed, at 150-300 dpi, skewed, noisy, blurred, JPEG'd, photographed."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from service.annexes import ANNEXES
from service.annexes.examples import example
from service.documents import DocumentMeta, OfficePool, render_docx
from service.paper import references
from service.paper.layout import norm, page_layouts, rasterise
from service.paper.read import read_code, read_page
from tests.scan_helpers import fill_by_hand, scan, tick, without_code

pytestmark = pytest.mark.office


@pytest.fixture(scope="module")
def pool():
    with OfficePool(1) as p:
        p.start()
        yield p


@pytest.fixture(scope="module")
def lookup(pool):
    def make(code: str) -> bytes:
        return pool.convert(render_docx(ANNEXES[code], {}))

    return lambda annex, template: references.lookup(annex, template, make_pdf=make)


@pytest.fixture(scope="module")
def blank_c_for_case(pool):
    """A blank Annex C printed for case GZ-2024-0042, as page images at the reference dpi."""
    pdf = pool.convert(render_docx(ANNEXES["C"], {}, DocumentMeta(case_number="GZ-2024-0042")))
    return rasterise(pdf), page_layouts(ANNEXES["C"], "00000000", pdf)


SCANS = [dict(dpi=150, angle=2.5, noise=8, blur=True, jpeg=60),
         dict(dpi=300, angle=-3.0, noise=5),
         dict(dpi=200, perspective=0.035, noise=6, jpeg=75)]


@pytest.mark.parametrize("how", SCANS, ids=["150dpi-skew-blur-jpeg", "300dpi-skew",
                                            "200dpi-photo"])
def test_a_blank_form_filled_by_hand_is_matched_and_every_tick_read(lookup, blank_c_for_case,
                                                                    how):
    images, layouts = blank_c_for_case
    layout = layouts[0]  # where the boxes are on this printed page
    rng = random.Random(7)
    ticks = {"place": ["其他"], "work_mode": ["电话"]}
    page = fill_by_hand(images[0], layout, rng, ticks, {"interviewee", "record"})
    reading = read_page(scan(page, rng, **how), lookup)
    assert (reading.annex, reading.page, reading.code.case_number) == ("C", 1, "GZ-2024-0042")
    got = {f.field: f for f in reading.fields}
    for spot in layout.spots:
        if spot.boxes:
            want = ticks.get(spot.field, [])
            assert got[spot.field].value == (want[0] if want else None), spot.field
            assert not got[spot.field].flagged, got[spot.field].reason
    for name in ("interviewee", "record", "place_other"):  # handwriting: not guessed
        assert got[name].value is None and got[name].flagged and got[name].how == "image"
        assert cv2.imdecode(np.frombuffer(got[name].crop, np.uint8), 0).size > 1000
    for name in ("contact", "purpose", "session_no"):  # left empty, known to be empty
        assert got[name].value == "" and not got[name].flagged


def test_a_borderline_mark_is_flagged_not_guessed(lookup, blank_c_for_case):
    images, layouts = blank_c_for_case
    spot = next(s for s in layouts[0].spots if s.field == "work_mode")
    page = images[0].copy()
    x0, y0, x1, y1 = spot.boxes[1][1]
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    cv2.line(page, (cx - 2, cy), (cx + 2, cy + 1), 40, 2)  # a stray dot of a pen
    tick(page, spot.boxes[3][1], random.Random(1))
    reading = read_page(scan(page, random.Random(2), dpi=200, angle=1.0), lookup)
    mode = next(f for f in reading.fields if f.field == "work_mode")
    assert mode.flagged and spot.boxes[1][0] in mode.reason, (mode.value, mode.reason)


def test_typed_copies_are_read_by_ocr(pool, lookup):
    """The service's own filled Annex C, printed and scanned twice: the typed text fields."""
    data = example("C")
    pdf = pool.convert(render_docx(ANNEXES["C"], data, DocumentMeta(case_number="GZ-2024-0043")))
    image = rasterise(pdf)[0]
    right = total = 0
    wrong = []
    rng = random.Random(3)
    for how in ({"dpi": 200, "angle": 1.5, "noise": 5}, {"dpi": 150, "angle": -2, "jpeg": 70}):
        reading = read_page(scan(image, rng, **how), lookup)
        assert reading.code.case_number == "GZ-2024-0043"
        for f in reading.fields:
            want = data.get(f.field)
            if f.how == "box":
                assert f.value == (want or None) and not f.flagged, f.field
            elif want not in (None, ""):
                total += 1
                ok = norm(str(f.value)) == norm(str(want)) and not f.flagged
                right += ok
                if not ok:
                    wrong.append((how, f.field, f.value, f.reason))
    assert total >= 20 and right / total >= 0.98, wrong


def test_a_later_page_is_known_by_its_layout_whatever_the_order(pool, lookup):
    pdf = pool.convert(render_docx(ANNEXES["B"], {}))
    pages = rasterise(pdf)
    readings = [read_page(scan(p, random.Random(n), dpi=150, angle=-1.0), lookup)
                for n, p in reversed(list(enumerate(pages)))]
    assert [(r.annex, r.page) for r in readings] == [("B", 2), ("B", 1)]


def test_the_standards_layout_printed_without_a_code_is_known_by_title_and_table(pool, lookup):
    data = example("B")
    pdf = pool.convert(render_docx(ANNEXES["B"], data))
    pages = [without_code(p) for p in rasterise(pdf)]
    scans = [scan(p, random.Random(n), dpi=200, angle=1.5, noise=4)
             for n, p in reversed(list(enumerate(pages)))]
    assert all(read_code(image) is None for image in scans)
    readings = [read_page(image, lookup) for image in scans]
    assert [(r.annex, r.page, r.code, r.known_by) for r in readings] == [
        ("B", 2, None, "table"), ("B", 1, None, "title")]
    texts = [f for r in readings for f in r.fields
             if f.how != "box" and f.field in data and data[f.field] not in ("", None)]
    right = [f for f in texts if not f.flagged and norm(str(f.value)) == norm(str(data[f.field]))]
    assert len(texts) >= 15 and len(right) / len(texts) >= 0.95, [
        (f.field, f.value, f.reason) for f in texts if f not in right]
    ticks = [f for r in readings for f in r.fields if f.how == "box" and not f.flagged]
    assert ticks and all(f.value == (data.get(f.field) or ([] if isinstance(f.value, list)
                                                            else None)) for f in ticks)


def test_a_table_that_is_none_of_the_forms_is_not_guessed(lookup):
    page = np.full((2339, 1654), 255, np.uint8)
    for y in (300, 700, 1100, 1500, 1900):
        cv2.line(page, (200, y), (1450, y), 0, 3)
    for x in (200, 800, 1450):
        cv2.line(page, (x, 300), (x, 1900), 0, 3)
    reading = read_page(page, lookup)
    assert reading.annex is None and not reading.fields
    assert reading.problem.startswith("no form code on the page, and its table is not one")


def test_a_page_without_a_code_or_a_table_says_so(lookup):
    white = np.full((1754, 1240), 255, np.uint8)
    assert read_page(white, lookup).problem == "no form table found on the page"


def test_ocr_models_ship_in_the_wheel_and_nothing_is_fetched(monkeypatch):
    """With every socket refused, the OCR engine still starts and reads."""
    import socket

    from service.paper import ocr

    files = ocr.model_files()
    assert len(files) == 3 and all(f.stat().st_size > 500_000 for f in files)

    def refuse(*args, **kwargs):
        raise OSError("no network here")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(ocr, "_ENGINE", None)
    image = np.full((60, 400), 255, np.uint8)
    cv2.putText(image, "2024 05 15", (10, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3)
    assert norm(ocr.read_block(image).text) == "20240515"
