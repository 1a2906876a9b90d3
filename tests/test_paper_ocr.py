"""Reading a cell's printed text with the real OCR models, and a box's mark, on images drawn
here with the fonts the service prints in: what the reader may miss is flagged, never dropped
quietly."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from service.paper import ocr
from service.paper.read import new_ink, read_box

IMAGES = Path(__file__).parent / "images"
FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"


def drawn(lines: list[str], size: int = 28, width: int = 700) -> np.ndarray:
    """Lines of text printed black on white, as a grey image."""
    font = ImageFont.truetype(FONT, size)
    image = Image.new("L", (width, 30 + len(lines) * (size + 22)), 255)
    pen = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        pen.text((16, 15 + n * (size + 22)), line, font=font, fill=0)
    return np.array(image)


def blurred(image: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), 1.2)


def test_lines_are_read_whole_and_in_order():
    read = ocr.read_block(drawn(["信访人反映住房问题。", "社区居委会协调处理"]))
    assert read.text == "信访人反映住房问题。社区居委会协调处理"
    assert read.confidence > 0.9 and not read.doubt and read.unread == 0


def test_the_rules_of_a_cell_are_not_read_as_text():
    image = drawn(["退休工人"], width=260)
    image[:, 2:4] = 0  # the cell's left and right rules, cut by the crop
    image[:, -4:-2] = 0
    read = ocr.read_block(image)
    assert read.text == "退休工人"


def test_a_faded_full_stop_the_recogniser_drops_is_a_doubt_not_a_loss():
    # a cell of the bench's 150 dpi, blurred scan of a typed Annex B: "...各方意见。" whose
    # full stop blur has faded to a few grey pixels
    image = cv2.imread(str(IMAGES / "faded-full-stop.png"), cv2.IMREAD_GRAYSCALE)
    read = ocr.read_block(image)
    assert read.text.startswith("跟进及时")
    assert read.text.endswith("。") or read.doubt, "a dropped mark must be said, the value flagged"


@pytest.mark.parametrize("text", ["注意记录各方意见。", "退休工人", "李秀英"])
def test_a_line_read_whole_raises_no_doubt(text):
    read = ocr.read_block(blurred(drawn([text], width=420)))
    assert read.text == text and not read.doubt


def test_ink_the_reader_found_no_text_in_is_counted():
    image = drawn(["协助案主了解相关政策。"], width=700)
    image = np.vstack([image, np.full((120, 700), 255, np.uint8)])
    cv2.rectangle(image, (520, 90), (600, 150), 0, -1)  # a drawing beside the text
    read = ocr.read_block(image)
    assert read.text.startswith("协助案主了解相关政策")
    assert read.unread > 1000


def test_a_value_typed_where_a_hint_was_printed_is_new_ink():
    hint = drawn(["（年月日）"], width=420)
    value = drawn(["2024年5月8日"], width=420)
    assert int(new_ink(hint, hint).sum()) == 0
    assert int(new_ink(value, hint).sum()) > 45  # more than a typed "1"


def box_page(mark: int | None) -> np.ndarray:
    """A page with one ☐ (outline at 40..70), and a tick drawn in grey level ``mark``."""
    page = np.full((110, 110), 255, np.uint8)
    cv2.rectangle(page, (40, 40), (70, 70), 0, 2)
    if mark is not None:
        cv2.line(page, (45, 55), (53, 64), mark, 3)
        cv2.line(page, (53, 64), (66, 45), mark, 3)
    return page


def test_a_box_is_ticked_empty_or_faint_and_faint_goes_to_a_person():
    blank = box_page(None)
    box = (40, 40, 71, 71)
    assert read_box(box_page(0), blank, box, (0, 0))[0] is True
    assert read_box(blank, blank, box, (0, 0))[0] is False
    # a light tick that fills the box as a tick does (blur thins a printed ☑): ticked
    assert read_box(box_page(175), blank, box, (0, 0))[0] is True
    # a light stray mark: neither empty nor a tick, a person decides
    stray = blank.copy()
    cv2.line(stray, (52, 54), (58, 57), 175, 2)
    assert read_box(stray, blank, box, (0, 0))[:2] == (None, 0.5)


def test_a_doubtful_stroke_is_no_text_and_only_a_cut_rule_is_no_ink_either():
    """A '1' read doubtfully is not taken as text; when its ink crosses the cell it is a rule
    the crop cut, otherwise its ink stays unread and the cell goes to a person."""
    rule = np.full((60, 300), 255, np.uint8)
    rule[:, 150:152] = 0
    assert ocr._spans(rule, (140, 0, 160, 60))
    pen = np.full((60, 300), 255, np.uint8)
    cv2.line(pen, (150, 20), (152, 40), 0, 3)
    assert not ocr._spans(pen, (140, 0, 160, 60))
    assert ocr._is_ruling("11", 0.4) and ocr._is_ruling("/////", 0.95)
    assert not ocr._is_ruling("1", 0.97) and not ocr._is_ruling("12", 0.4)
    read = ocr.read_block(pen)
    assert read.text == "" or read.confidence < 0.9 or read.text == "1"
    assert read.text or read.unread > 0  # never an empty reading with its ink forgotten
