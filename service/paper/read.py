"""A scanned page -> its annex, page, case code and each field's value, confidence and crop.

The page's QR code (when it has one) names the annex, template and page; the table's outer
border gives skew and perspective, which are undone; the table's ruling lines give the cells,
matched row by row to the cells of the blank copy (:mod:`.layout`), so a row that grew with a
long text does not shift the rest. Each box is read by how much of its inside is inked:
clearly ticked, clearly empty, or borderline (flagged for a person, never guessed). Printed and
typed text is read by OCR with its confidence; anything OCR is unsure of (handwriting, above
all) is not guessed: the cell's image is kept for a person to type from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import zxingcpp

from ..annexes import ANNEXES, Annex, Kind
from ..documents.pagecode import CodeError, PageCode, parse
from .layout import PageLayout, Rect, cells_of, norm
from .ocr import INK, Text, read_block

#: Share of a box's inside inked: at most EMPTY is empty, at least TICKED is ticked, between
#: the two a person decides.
EMPTY, TICKED = 0.05, 0.16
#: OCR at or above this confidence is taken as read; below, the cell waits for a person.
OCR_SURE = 0.9
#: Pixels newly inked in a text cell (beyond what the blank form prints) that mean "written in"
#: (at the reference resolution: a typed "1" is about 80).
WRITTEN = 45
#: Grey levels darker than FAINT are a light mark: a box empty at INK (darker is ink) but
#: inked at FAINT holds a mark that a blurred scan has faded, and a person decides.
FAINT = 200
#: Share of a box's inside inked at FAINT that is a tick however light (a printed ☑ that blur
#: has thinned below INK: an empty box's blurred outline never reaches this far in).
FAINT_TICKED = 0.25
#: Why a value is flagged (the pages show them in the reader's language); the prefixes are
#: followed by the options or the error concerned.
HANDWRITTEN = "handwritten or unclear: type it from the image"
WRITE_IN = "write-in: type it from the image"
UNREAD_INK = "ink where no text was read: part of it may be missing"
NOT_VALID = "not a valid value"
CELLS_DIFFER = "the table's cells differ from the printed form's"
OTHER_TEMPLATE = "printed from another version of the form's template"
BORDERLINE = "borderline box: "
MANY_TICKED = "more than one box ticked: "
OCR_FAILED = "OCR failed: "
_DIGITS = re.compile(r"\d+")


@dataclass
class Reference:
    """A page of a blank copy: its layout, its image and its cells."""

    layout: PageLayout
    image: np.ndarray
    cells: list[Rect] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.cells:
            self.cells = cells_of(self.image)[0]


#: (annex code, template fingerprint or None for the current one) -> the blank copy's pages.
Lookup = Callable[[str, str | None], Sequence[Reference]]


@dataclass
class CellReading:
    """One field read from a page."""

    field: str
    value: Any
    confidence: float
    flagged: bool
    reason: str
    source: str
    crop: bytes = b""  # PNG of the cell as scanned
    how: str = "box"  # box | text | image (kept for a person)


@dataclass
class PageReading:
    """What one scanned page is and holds."""

    annex: str | None
    page: int | None
    code: PageCode | None
    fields: list[CellReading] = field(default_factory=list)
    problem: str = ""  # why the page could not be read (then fields is empty)
    aligned: bool = True  # the cells matched the blank copy's, row by row
    known_by: str = "code"  # code | title (and table) | table: how the annex and page were known


def grey(image: np.ndarray) -> np.ndarray:
    """A page image as 8-bit grey."""
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return image


def flatten(gray: np.ndarray) -> np.ndarray:
    """Even out the paper's shade (a phone photo's light falls unevenly): paper -> white."""
    small = cv2.resize(gray, None, fx=0.125, fy=0.125, interpolation=cv2.INTER_AREA)
    background = cv2.dilate(small, np.ones((9, 9), np.uint8))
    background = cv2.resize(background, (gray.shape[1], gray.shape[0]),
                            interpolation=cv2.INTER_LINEAR)
    out = cv2.divide(gray, np.maximum(background, 1), scale=255)
    return out


def read_code(gray: np.ndarray) -> PageCode | None:
    """The page's form code, or None when it has none (or none of ours)."""
    for image in (gray, cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)):
        for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)):
            try:
                return parse(r.text)
            except CodeError:
                continue
    return None


def table_quad(gray: np.ndarray) -> np.ndarray | None:
    """The four corners (tl, tr, br, bl) of the page's table: its largest inked component."""
    ink = _ink(gray).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n < 2:
        return None
    areas = stats[1:, cv2.CC_STAT_WIDTH] * stats[1:, cv2.CC_STAT_HEIGHT]
    best = 1 + int(np.argmax(areas))
    if areas[best - 1] < 0.1 * gray.shape[0] * gray.shape[1]:
        return None
    mask = (labels == best).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.convexHull(max(contours, key=cv2.contourArea)).reshape(-1, 2).astype(np.float32)
    s, d = hull.sum(axis=1), hull[:, 1] - hull[:, 0]
    return np.array([hull[np.argmin(s)], hull[np.argmin(d)], hull[np.argmax(s)],
                     hull[np.argmax(d)]], dtype=np.float32)


def _side(quad: np.ndarray) -> tuple[float, float]:
    w = (np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    h = (np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2
    return float(w), float(h)


def align(gray: np.ndarray, quad: np.ndarray, ref: PageLayout) -> np.ndarray:
    """The scan warped so its table lies where the blank copy's does (height as scanned)."""
    (x0, y0), (x1, _y) = ref.table[0], ref.table[1]
    w, h = _side(quad)
    height = (x1 - x0) * h / w
    target = np.array([[x0, y0], [x1, y0], [x1, y0 + height], [x0, y0 + height]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    size = (ref.size[0], max(ref.size[1], int(y0 + height + 40)))
    return cv2.warpPerspective(gray, matrix, size, flags=cv2.INTER_LINEAR,
                               borderValue=255)


def _bands(cells: list[Rect]) -> list[list[Rect]]:
    rows: list[list[Rect]] = []
    for c in sorted(cells, key=lambda c: (c[1], c[0])):
        if rows and abs(c[1] - rows[-1][0][1]) <= 12:
            rows[-1].append(c)
        else:
            rows.append([c])
    return [sorted(r) for r in rows]


def match_cells(ref_cells: list[Rect], scan_cells: list[Rect]) -> dict[Rect, Rect] | None:
    """Each blank-copy cell -> the scanned cell in the same row and column, or None when the
    two tables are not built alike."""
    a, b = _bands(ref_cells), _bands(scan_cells)
    if len(a) != len(b) or any(len(r) != len(s) for r, s in zip(a, b, strict=True)):
        return None
    mapping = {}
    for r, s in zip(a, b, strict=True):
        for c, d in zip(r, s, strict=True):
            if abs(c[0] - d[0]) > 25 or abs(c[2] - d[2]) > 25:
                return None
            mapping[c] = d
    return mapping


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    return data.tobytes() if ok else b""


def _ink(image: np.ndarray, level: int = INK) -> np.ndarray:
    return image < level


def new_ink(crop: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """Ink in a cell's scan where the blank copy prints nothing (within a few pixels): what was
    typed or written, even where it takes the place of a printed hint."""
    ink = _ink(crop)
    printed = cv2.dilate(_ink(blank).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    h, w = ink.shape
    dy = (h - printed.shape[0]) // 2  # vertical centres aligned, as the cells were matched
    canvas = np.zeros_like(ink)
    top, src = max(0, dy), max(0, -dy)
    rows = min(h - top, printed.shape[0] - src)
    cols = min(w, printed.shape[1])
    if rows > 0 and cols > 0:
        canvas[top:top + rows, :cols] = printed[src:src + rows, :cols]
    return ink & ~canvas


def _box_fill(page: np.ndarray, ref: np.ndarray, box: Rect, shift: tuple[int, int],
              printed: bool = True, level: int = INK) -> float:
    """Share of a box's inside inked beyond the blank copy, the box found within a few pixels
    (its outline is where the most ink lies on a ring of its size)."""
    x0, y0, x1, y1 = box
    dx0, dy0 = shift
    w, h = x1 - x0, y1 - y0
    pad = 9
    ax, ay = x0 + dx0 - pad, y0 + dy0 - pad
    if ax < 0 or ay < 0 or x1 + dx0 + pad >= page.shape[1] or y1 + dy0 + pad >= page.shape[0]:
        return 0.0
    window = _ink(page[ay:y1 + dy0 + pad + 1, ax:x1 + dx0 + pad + 1], level).astype(np.float32)
    best, where = -1.0, (pad, pad)
    for dy in range(0, 2 * pad + 1):
        for dx in range(0, 2 * pad + 1):
            ring = (window[dy, dx:dx + w].sum() + window[dy + h - 1, dx:dx + w].sum()
                    + window[dy:dy + h, dx].sum() + window[dy:dy + h, dx + w - 1].sum())
            ring -= 0.05 * (abs(dx - pad) + abs(dy - pad))
            if ring > best:
                best, where = ring, (dx, dy)
    bx, by = where
    m = max(2, int(round(w * 0.22)))
    blank = float(_ink(ref[y0 + m:y1 - m, x0 + m:x1 - m], level).mean()) if printed else 0.0
    fills = []
    for ey in (-1, 0, 1):
        for ex in (-1, 0, 1):
            inside = window[by + m + ey:by + h - m + ey, bx + m + ex:bx + w - m + ex]
            if inside.size:
                fills.append(float(inside.mean()))
    if not fills:
        return 0.0
    return max(0.0, min(fills) - blank)


def find_boxes(page: np.ndarray, cell: Rect, side: int) -> list[Rect]:
    """The square outlines (☐, ☑) of about ``side`` pixels in a cell, in reading order."""
    x0, y0, x1, y1 = cell
    region = _ink(page[y0 + 3:y1 - 3, x0 + 3:x1 - 3]).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(region, connectivity=8)
    found = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if abs(w - side) <= side * 0.2 and abs(h - side) <= side * 0.2:
            ring = region[y:y + h, x:x + w]
            edge = (ring[0].mean() + ring[-1].mean() + ring[:, 0].mean() + ring[:, -1].mean()) / 4
            if edge > 0.8:
                found.append((x0 + 3 + int(x), y0 + 3 + int(y), x0 + 3 + int(x + w),
                              y0 + 3 + int(y + h)))
    found.sort(key=lambda r: (r[1], r[0]))
    lines: list[list[Rect]] = []
    for r in found:
        if lines and abs(r[1] - lines[-1][0][1]) < side:
            lines[-1].append(r)
        else:
            lines.append([r])
    return [r for line in lines for r in sorted(line)]


_FOLD = str.maketrans({"（": "(", "）": ")", "：": ":", "，": ",", "；": ";"})
_BOXLIKE = "口□☐☑団回囗"


def write_in(text: str, option: Any, following: list[str]) -> str | None:
    """The words written after ``option``'s printed text in a cell's OCR text, up to the next
    option; None when the option's text is not found."""
    folded = norm(text).translate(_FOLD)
    printed = norm(option.printed).translate(_FOLD)
    at = folded.find(printed)
    if at < 0:
        return None
    rest = folded[at + len(printed):]
    end = len(rest)
    for other in following:
        k = rest.find(norm(other).translate(_FOLD))
        if 0 <= k < end:
            end = k
    return rest[:end].rstrip(_BOXLIKE).strip(":_ ")


def mapping_kept(shift: tuple[int, int], found: Rect, printed: Rect) -> bool:
    """Whether a box found in the scan sits where the blank copy prints it (then the two
    readings of it must agree; a box moved by a typed write-in has only its found place)."""
    return (abs(found[0] - printed[0] - shift[0]) <= 6
            and abs(found[1] - printed[1] - shift[1]) <= 6)


def _tick_state(fill: float) -> tuple[bool | None, float]:
    """(ticked?, confidence): None when borderline."""
    if fill <= EMPTY:
        return False, min(1.0, 0.9 + (EMPTY - fill) * 2)
    if fill >= TICKED:
        return True, min(1.0, 0.9 + (fill - TICKED))
    return None, 0.5


def read_box(page: np.ndarray, ref: np.ndarray, box: Rect, shift: tuple[int, int],
             printed: bool = True) -> tuple[bool | None, float, float]:
    """(ticked?, confidence, fill) of one box; None when borderline, or when it looks empty
    but holds a faint mark; ticked when the mark is light but fills the box as a tick does (a
    blurred scan fades a printed ☑)."""
    fill = _box_fill(page, ref, box, shift, printed=printed)
    ticked, sure = _tick_state(fill)
    if ticked is True:
        return ticked, sure, fill
    faint = _box_fill(page, ref, box, shift, printed=printed, level=FAINT)
    if faint >= FAINT_TICKED:
        return True, 0.9, fill  # the ink is all there, lighter: a printed ☑ thinned by blur
    if ticked is False and faint > EMPTY:
        return None, 0.5, fill
    return ticked, sure, fill


def _shift(ref_cell: Rect, scan_cell: Rect) -> tuple[int, int]:
    """How far a cell's content moved: left edges align, vertical centres align."""
    dy = ((scan_cell[1] + scan_cell[3]) - (ref_cell[1] + ref_cell[3])) // 2
    return scan_cell[0] - ref_cell[0], dy


def _crop(page: np.ndarray, rect: Rect, pad: int = 3) -> np.ndarray:
    x0, y0, x1, y1 = rect
    return page[max(0, y0 + pad):y1 - pad, max(0, x0 + pad):x1 - pad]


def printed_texts(annex: Annex, name: str) -> list[str]:
    """The texts the blank form prints in a field's cell (hint, prefix, suffix)."""
    f = annex[name]
    return [norm(t) for t in (f.hint, f.prefix, f.suffix) if t]


def shares_a_picture(annex: Annex, name: str) -> bool:
    """Whether a text field's row also holds a picture field (背景资料 and the genogram), which
    the printed form draws in the same cell."""
    return any(name in row and any(annex[n].kind is Kind.IMAGE for n in row)
               for section in annex.sections for row in section.rows)


def typed_value(kind: Kind, text: str) -> str | int | None:
    """A printed value back to the form's data (2024年5月8日 -> 2024-05-08); None if the text
    is not one."""
    if kind is Kind.DATE:
        m = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
        return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}" if m else None
    if kind is Kind.YEAR_MONTH:
        m = re.fullmatch(r"(\d{4})年(\d{1,2})月", text)
        return f"{m[1]}-{int(m[2]):02d}" if m else None
    if kind in (Kind.INTEGER, Kind.ORDINAL):
        return int(text) if text.isdigit() else None
    if kind is Kind.PHONE:
        digits = text.replace("-", "").replace(" ", "")
        return text if digits.isdigit() else None
    if kind is Kind.TIME:
        text = text.replace("：", ":").replace("—", "-").replace("~", "-")
        return text if re.fullmatch(r"[\d:\-]+", text) else None
    return text


def _read_text(annex: Annex, name: str, kind: Kind, page: np.ndarray, ref: np.ndarray,
               ref_cell: Rect, cell: Rect, source: str) -> CellReading:
    crop = _crop(page, cell)
    blank = _crop(ref, ref_cell)
    written = int(new_ink(crop, blank).sum()) if crop.size and blank.size else 0
    png = _png(crop)
    framed = bool(annex[name].prefix or annex[name].suffix)  # 第 _ 次: a digit is little ink
    if written < WRITTEN and not framed:
        return CellReading(name, "", 0.95, False, "", source, png, "text")
    ys, xs = np.nonzero(_ink(crop))
    if not len(ys):
        return CellReading(name, "", 0.95, False, "", source, png, "text")
    pad = 14
    tight = crop[max(0, ys.min() - pad):ys.max() + pad + 1,
                 max(0, xs.min() - pad):xs.max() + pad + 1]
    try:
        read: Text = read_block(tight, picture=shares_a_picture(annex, name))
    except Exception as exc:  # noqa: BLE001 - OCR failing on one cell must not lose the page
        read = Text("", 0.0)
        reason = f"{OCR_FAILED}{exc}"
    else:
        reason = ""
    if not reason and read.text:
        if read.unread > WRITTEN:
            reason = UNREAD_INK
        elif read.doubt:
            reason = read.doubt
    text = norm(read.text)
    for printed in printed_texts(annex, name):
        text = text.replace(printed, "")
    text = text.strip("()（）")
    if framed and not text and not reason:
        return CellReading(name, "", 0.95, False, "", source, png, "text")
    value = typed_value(kind, text) if text else None
    if reason and value is not None and read.confidence >= OCR_SURE:
        return CellReading(name, value, 0.6, True, reason, source, png, "text")
    if value is None or read.confidence < OCR_SURE or reason:
        why = reason or (HANDWRITTEN if text or not value
                         else "")
        if value is not None and read.confidence >= OCR_SURE and not why:
            why = NOT_VALID
        return CellReading(name, None, round(read.confidence * 0.5, 3), True,
                           why or HANDWRITTEN, source, png,
                           "image")
    return CellReading(name, value, round(read.confidence, 3), False, "", source, png, "text")


def read_fields(annex: Annex, ref: Reference, page: np.ndarray, mapping: dict[Rect, Rect] | None
                ) -> list[CellReading]:
    """Every field of a page aligned to ``ref``: boxes by fill, text by OCR, the rest kept."""
    out: list[CellReading] = []
    for spot in ref.layout.spots:
        f = annex[spot.field]
        cell = mapping.get(spot.cell, spot.cell) if mapping else spot.cell
        shift = _shift(spot.cell, cell)
        source = f"page {ref.layout.page}, cell {cell[0]},{cell[1]}-{cell[2]},{cell[3]}"
        if spot.boxes:
            side = spot.boxes[0][1][2] - spot.boxes[0][1][0]
            seen = find_boxes(page, cell, side)
            # boxes found where they are (a typed write-in moves the ones after it), else
            # where the blank copy prints them (a hand-drawn tick may hide a box's outline)
            places = ([(o, r, (0, 0), False) for (o, _b), r in zip(spot.boxes, seen,
                                                                    strict=True)]
                      if len(seen) == len(spot.boxes)
                      else [(o, b, shift, True) for o, b in spot.boxes])
            # boxes not all found in a cell that grew (a typed write-in wrapped): where they
            # were printed says nothing sure
            regrown = len(seen) != len(spot.boxes) and abs(
                (cell[3] - cell[1]) - (spot.cell[3] - spot.cell[1])) > 8
            states = []
            for (option, box, moved, as_printed), (_o, printed_box) in zip(places, spot.boxes,
                                                                           strict=True):
                ticked, sure, fill = read_box(page, ref.image, box, moved, as_printed)
                if not as_printed and ticked is not None:
                    # found and printed places must agree, or a person decides
                    other, _s = _tick_state(_box_fill(page, ref.image, printed_box, shift))
                    if other is not None and other != ticked and mapping_kept(shift, box,
                                                                              printed_box):
                        ticked, sure = None, 0.5
                if regrown:
                    ticked, sure = None, 0.5
                states.append((option, ticked, sure, fill))
            png = _png(_crop(page, cell, 0))
            unsure = [o for o, t, _c, _f in states if t is None]
            chosen = [o for o, t, _c, _f in states if t]
            confidence = min(c for _o, _t, c, _f in states)
            value: Any = chosen if f.kind is Kind.ANY_OF else (chosen[0] if chosen else None)
            reason = ""
            if unsure:
                reason = BORDERLINE + "、".join(unsure)
            elif f.kind is Kind.ONE_OF and len(chosen) > 1:
                reason, value = MANY_TICKED + "、".join(chosen), None
            out.append(CellReading(f.name, value, round(confidence, 3), bool(reason), reason,
                                   source, png, "box"))
            wanted = [o for o in f.notes if o.text in chosen and o.note]
            block = Text("", 0.0)
            if wanted:
                try:
                    block = read_block(_crop(page, cell))
                except Exception:  # noqa: BLE001 - the person types it then
                    block = Text("", 0.0)
            for o in wanted:
                texts = [x.printed for x in f.options]
                after = texts[texts.index(o.printed) + 1:]
                said = write_in(block.text, o, after) if block.text else None
                if said and block.confidence >= OCR_SURE:
                    out.append(CellReading(o.note or "", said, round(block.confidence, 3), False, "",
                                           source, png, "text"))
                else:
                    out.append(CellReading(o.note or "", None, round(block.confidence * 0.5, 3), True,
                                           WRITE_IN, source, png,
                                           "image"))
        elif f.kind is Kind.SIGNATURE:
            continue
        else:
            out.append(_read_text(annex, f.name, f.kind, page, ref.image, spot.cell, cell,
                                  source))
    return out


def choose_page(refs: Sequence[Reference], quad: np.ndarray, code: PageCode | None
                ) -> Reference | None:
    """The blank page a scanned page is: named by its code, else the likeliest by the shape of
    its table."""
    if code and code.page:
        return next((r for r in refs if r.layout.page == code.page), None)
    pool = [r for r in refs if not code or r.layout.page > 1] or list(refs)
    w, h = _side(quad)
    aspect = h / w

    def distance(r: Reference) -> float:
        (x0, y0), (x1, _), _br, (_, y3) = r.layout.table
        return abs((y3 - y0) / (x1 - x0) - aspect)

    return min(pool, key=distance) if pool else None


def title_of(gray: np.ndarray, quad: np.ndarray) -> str:
    """The printed text above a page's table (a form's title), read by OCR."""
    top = int(min(quad[0][1], quad[1][1]))
    left, right = int(min(quad[0][0], quad[3][0])), int(max(quad[1][0], quad[2][0]))
    above = gray[:max(0, top - 4), max(0, left):right]
    if above.shape[0] < 10 or not _ink(above).any():
        return ""
    try:
        return norm(read_block(above).text)
    except Exception:  # noqa: BLE001 - a page OCR cannot read is identified by its table alone
        return ""


def annex_by_title(title: str) -> str | None:
    """The annex whose printed title the text above a table holds, if one does."""
    for code, annex in ANNEXES.items():
        if norm(annex.title) in title:
            return code
    return None


def identify(gray: np.ndarray, quad: np.ndarray, lookup: Lookup
             ) -> tuple[str, Reference, np.ndarray, dict[Rect, Rect], str] | str:
    """A page without a code: which annex and page it is, by its title (when it shows one)
    and by its table, whose rows and cells must match one blank page's; the page aligned to
    it and the cells matched. Why not, as a string, when no page or more than one matches."""
    titled = annex_by_title(title_of(gray, quad))
    candidates = [(code, ref) for code in ([titled] if titled else list(ANNEXES))
                  for ref in lookup(code, None)
                  if not titled or ref.layout.page == 1]
    found = []
    for code, ref in candidates:
        aligned = align(gray, quad, ref.layout)
        mapping = match_cells(ref.cells, cells_of(aligned)[0])
        if mapping is not None:
            found.append((code, ref, aligned, mapping, "title" if titled else "table"))
    if len(found) == 1:
        return found[0]
    if not found:
        return ("no form code on the page, and its table is not one of the forms' pages"
                + (f" (its title says Annex {titled})" if titled else ""))
    pages = "、".join(f"{c} p{r.layout.page}" for c, r, _a, _m, _k in found)
    return f"no form code on the page, and its table fits more than one form page: {pages}"


def _read_uncoded(gray: np.ndarray, quad: np.ndarray, lookup: Lookup) -> PageReading:
    """A page without a code, read once its title and table tell which page it is."""
    known = identify(gray, quad, lookup)
    if isinstance(known, str):
        return PageReading(None, None, None, problem=known)
    annex_code, ref, aligned, mapping, how = known
    fields = read_fields(ANNEXES[annex_code], ref, aligned, mapping)
    return PageReading(annex_code, ref.layout.page, None, fields, known_by=how)


def read_page(image: np.ndarray, lookup: Lookup, *, dpi: float | None = None) -> PageReading:
    """Read one scanned page (any resolution; a few degrees of skew; a phone's perspective).
    A page without the service's code is known by its title and table when it is the
    standard's layout."""
    gray = flatten(grey(image))
    code = read_code(gray)
    quad = table_quad(gray)
    if quad is None:
        return PageReading(None, None, code, problem="no form table found on the page")
    if code is None:
        return _read_uncoded(gray, quad, lookup)
    annex = ANNEXES.get(code.annex)
    if annex is None:
        return PageReading(None, None, code, problem=f"unknown annex {code.annex}")
    refs = lookup(code.annex, code.template) or lookup(code.annex, None)
    ref = choose_page(refs, quad, code)
    if ref is None:
        return PageReading(code.annex, None, code, problem="no such page in the form")
    aligned = align(gray, quad, ref.layout)
    mapping = match_cells(ref.cells, cells_of(aligned)[0])
    fields = read_fields(annex, ref, aligned, mapping)
    reading = PageReading(code.annex, ref.layout.page, code, fields, aligned=mapping is not None)
    if mapping is None:
        for f in fields:
            if not f.flagged:
                f.flagged, f.reason = True, CELLS_DIFFER
                f.confidence = min(f.confidence, 0.5)
    if code.template != ref.layout.template:
        for f in fields:
            if not f.flagged:
                f.flagged = True
                f.reason = OTHER_TEMPLATE
                f.confidence = min(f.confidence, 0.5)
    return reading
