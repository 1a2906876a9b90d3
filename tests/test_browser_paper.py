"""Paper that finds its way home, in real headless Chromium: a worker prints a blank Annex C
for a case from the case page, fills it by hand, scans it, brings the scan back on the same
page, and finds it attached to the case with every tick read and every handwritten cell
waiting, as the picture of its cell, beside the input where it is to be typed."""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import pytest

from service.annexes import ANNEXES
from service.cases import lifecycle
from service.db import db
from service.paper.layout import page_layouts, rasterise
from tests.browser import sign_in
from tests.scan_helpers import fill_by_hand, scan

pytestmark = [pytest.mark.browser, pytest.mark.office]

TICKS = {"place": ["其他"], "work_mode": ["电话"]}
HANDWRITTEN = ("interviewee", "record")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_blank_c_printed_filled_by_hand_and_scanned_comes_home(app, live_server, tablet,
                                                                make_user, tmp_path: Path):
    worker = make_user("chen", "worker")
    case = lifecycle.open_case(worker=worker, client_name="王建国")
    db.session.commit()
    page = tablet.new_page()
    sign_in(page, live_server.url, "chen")
    page.goto(f"{live_server.url}/cases/{case.id}")

    with page.expect_download() as info:  # the blank form, printed for this case
        page.click("#blank-C-pdf")
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")

    # a pen on paper, then the office scanner: 200 dpi, a little skewed, some noise, JPEG
    image = rasterise(pdf)[0]
    layout = page_layouts(ANNEXES["C"], "00000000", pdf)[0]
    rng = random.Random(11)
    filled = fill_by_hand(image, layout, rng, TICKS, set(HANDWRITTEN))
    ok, jpeg = cv2.imencode(".jpg", scan(filled, rng, dpi=200, angle=1.2, noise=5),
                            [cv2.IMWRITE_JPEG_QUALITY, 80])
    scanned = tmp_path / "扫描0001.jpg"
    scanned.write_bytes(jpeg.tobytes())

    page.set_input_files("#paper-files", str(scanned))
    page.click("#bring-paper")
    page.wait_for_url(f"**/cases/{case.id}*")
    page.wait_for_selector("#needs-review", timeout=120_000)  # read on the queue
    assert "扫描0001.jpg" in page.locator("#paper-runs").inner_text()
    page.locator("#needs-review a", has_text="审核").click()
    page.wait_for_url("**/imports/review/*")

    # every tick read, as ticked on paper, and nothing else ticked
    for name, ticked in TICKS.items():
        boxes = page.locator(f"td[data-field={name}] input[type=checkbox], "
                             f"td[data-field={name}] input[type=radio]")
        states = {boxes.nth(i).get_attribute("value"): boxes.nth(i).is_checked()
                  for i in range(boxes.count())}
        assert len(states) >= 2 and states == {v: v in ticked for v in states}, (name, states)
    # every handwritten cell waiting as its picture beside its (empty) input
    for name in HANDWRITTEN:
        cell = page.locator(f"td[data-field={name}]")
        crop = cell.locator("figure.cell-crop.flagged img")
        assert crop.is_visible()
        assert page.evaluate("(img) => img.complete && img.naturalWidth > 50",
                             crop.element_handle())
        assert cell.locator("textarea, input").first.input_value() == ""
    # the unsure fields are listed first, and the page fits the tablet
    rows = page.locator("#read-cells tr")
    assert rows.first.get_attribute("class") == "flagged"
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
