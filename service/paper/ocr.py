"""Printed and typed text in a cell image, read by rapidocr (PP-OCR models inside the wheel).

One engine per process, made on first use, one thread per session so that the queue's workers
share the cores instead of fighting over them. Nothing is downloaded: the models are the files
shipped in the ``rapidocr_onnxruntime`` wheel, and :func:`model_files` names them.

Detection finds the lines; each line is widened to the ink around it (detection often leaves
out a last full stop or bracket) and recognised whole. What the reader may have missed is said,
not dropped: ink outside every line read, or a small mark ending a line that the text read does
not end with (blur fades a 150 dpi full stop below what the recogniser sees).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

_ENGINE: Any = None
#: Grey levels darker than this are ink.
INK = 150
Box = tuple[int, int, int, int]
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Text:
    """What OCR read in an image: the text (lines joined), its lowest line confidence, and
    what it may have missed."""

    text: str
    confidence: float
    unread: int = 0  # pixels of ink outside every line read
    doubt: str = ""  # why some of the text may be missing although the confidence is high


def model_files() -> list[Path]:
    """The model files the engine loads, all inside the installed wheel."""
    import rapidocr_onnxruntime

    return sorted(Path(rapidocr_onnxruntime.__file__).parent.joinpath("models").glob("*.onnx"))


def engine() -> Any:
    """The process's OCR engine (made once)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            from rapidocr_onnxruntime import RapidOCR

            _ENGINE = RapidOCR(det_limit_type="max", det_limit_side_len=960,
                               intra_op_num_threads=1, inter_op_num_threads=1,
                               print_verbose=False)
        return _ENGINE


#: Characters that a table's ruling line, cut by a cell's crop, is read as.
STROKES = frozenset("1lI|丨！!一-_—、/\\")
#: Why a reading may lack its last mark although its confidence is high.
DROPPED_MARK = "a mark at the end of a line was not read"
#: Marks a line may end with (a blurred full stop is often not read at all).
PUNCTUATION = frozenset("。，、；：？！.,;:?!）)」』”’")


def _as_bgr(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image


def _gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def detect(image: np.ndarray) -> list[Box]:
    """The text boxes detection finds, as (x0, y0, x1, y1) in the image's pixels."""
    boxes, _ = engine()(_as_bgr(image), use_cls=False, use_rec=False)
    out = []
    for quad in boxes or []:
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        out.append((int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1))
    return out


def lines_of(boxes: list[Box]) -> list[Box]:
    """Boxes side by side (vertical centre inside the line so far) merged into lines, top to
    bottom: detection may cut a line at a gap, and recognition reads a whole line best."""
    lines: list[list[int]] = []
    for x0, y0, x1, y1 in sorted(boxes, key=lambda b: (b[1] + b[3]) / 2):
        middle = (y0 + y1) / 2
        line = next((ln for ln in lines if ln[1] <= middle <= ln[3]), None)
        if line is None:
            lines.append([x0, y0, x1, y1])
        else:
            line[:] = [min(line[0], x0), min(line[1], y0), max(line[2], x1), max(line[3], y1)]
    return [tuple(ln) for ln in sorted(lines, key=lambda ln: ln[1])]  # type: ignore[misc]


def _extend(columns: np.ndarray, start: int, end: int, gap: int) -> tuple[int, int]:
    """[start, end) widened over inked columns no further than ``gap`` apart: detection often
    leaves out a line's last glyph (a full stop, a closing bracket)."""
    inked = np.flatnonzero(columns)
    left, right = start, end
    for x in inked[::-1]:
        if x < left and left - x <= gap:
            left = int(x)
    for x in inked:
        if x >= right and x - right < gap:
            right = int(x) + 1
    return left, right


def line_image(gray: np.ndarray, line: Box) -> tuple[np.ndarray, Box]:
    """One line cut out for recognition: grown to the ink around it, a little above and below,
    with white margins either side (the recogniser reads glyphs at an edge badly); and the
    part of the image it covers."""
    x0, y0, x1, y1 = line
    height = max(1, y1 - y0)
    top, bottom = max(0, y0 - height // 4), min(gray.shape[0], y1 + height // 4)
    columns: np.ndarray = np.asarray((gray[max(0, y0):y1] < INK).any(axis=0))
    x0, x1 = _extend(columns, max(0, x0), min(gray.shape[1], x1), height)
    cut = gray[top:bottom, x0:x1]
    margin = height // 2
    return (cv2.copyMakeBorder(cut, 0, 0, margin, margin, cv2.BORDER_CONSTANT, value=255),
            (x0, top, x1, bottom))


def _spans(gray: np.ndarray, box: Box) -> bool:
    """Whether the ink in ``box`` reaches across the whole image, as a cut table rule does."""
    x0, y0, x1, y1 = box
    ink = gray[y0:y1, x0:x1] < INK
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        return False
    return (rows[-1] - rows[0] + 1 >= 0.9 * gray.shape[0]
            or cols[-1] - cols[0] + 1 >= 0.9 * gray.shape[1])


def _is_ruling(text: str, confidence: float) -> bool:
    """A line made only of strokes that holds no digit or letter ('|', '/////': what is left of
    a rule, or a drawing), or that was read doubtfully ('1', '11' from a rule or a box's edge):
    not taken as text."""
    if not text or not set(text) <= STROKES:
        return False
    return not any(c.isalnum() for c in text) or confidence < 0.9


def trailing_mark(line: np.ndarray, height: int) -> bool:
    """Whether a line image ends in a small mark standing apart, low in the line (a full stop,
    a comma)."""
    middle = line.shape[0] / 2
    for level in (INK, 190):
        ink = line < level
        columns = np.flatnonzero(ink.sum(axis=0) >= 1)
        if not len(columns):
            continue
        gaps = np.flatnonzero(np.diff(columns) > 1)
        start = int(columns[gaps[-1] + 1]) if len(gaps) else int(columns[0])
        mark = ink[:, start:int(columns[-1]) + 1]
        rows = np.flatnonzero(mark.any(axis=1))
        # a full stop is about a third of a glyph, or a speck where blur has faded it; the
        # tail of a glyph such as 人 reaches higher
        if (mark.shape[1] <= height * 0.25 and rows[-1] - rows[0] < height * 0.25
                and rows.mean() > middle and int(mark.sum()) >= 3):
            return True
    return False


def read_block(image: np.ndarray, *, picture: bool = False) -> Text:
    """Text in an image, line by line: detection finds the lines, recognition reads each whole
    line; no line found means the whole image is read as one. ``picture``: the image may also
    hold a drawing (a genogram in its cell), whose strokes read doubtfully are no missed text."""
    gray = _gray(image)
    lines = lines_of(detect(gray))
    if not lines:
        lines = [(0, 0, gray.shape[1], gray.shape[0])]
    cuts = [line_image(gray, ln) for ln in lines]
    results, _ = engine().text_rec([_as_bgr(c) for c, _box in cuts])
    unread = gray < INK
    kept, doubt = [], ""
    for (text, score), (cut, box), line in zip(results, cuts, lines, strict=True):
        x0, y0, x1, y1 = box
        text, score = str(text).strip(), float(score)
        if not text:
            continue  # its ink stays unread: a person looks
        ruling = _is_ruling(text, score)
        if ruling and any(c.isalnum() for c in text) and not picture and not _spans(gray, box):
            continue  # a doubtful '1' that is no cut rule: its ink stays unread
        unread[y0:y1, x0:x1] = False
        if ruling:
            continue
        kept.append((text, score))
        if text[-1] not in PUNCTUATION and trailing_mark(cut, line[3] - line[1]):
            doubt = DROPPED_MARK
    if not kept:
        return Text("", 0.0, int(unread.sum()), doubt)
    return Text("".join(t for t, _s in kept), min(s for _t, s in kept), int(unread.sum()),
                doubt)
