"""Where each field of an annex sits on its printed page: learned from the blank PDF copy.

The blank form is rendered by the service itself (Word template -> LibreOffice PDF), so the
page's text fragments and their positions are exact: ``pypdf`` gives each run of text with its
place, the page's raster gives the table's ruling lines and so its cells. A field's label cell
is the cell whose text is the declared label; its value cell is the cell to its right; its
boxes are the ☐ glyphs in that cell, in the declared order of its options. Nothing is typed
twice: labels and options come from the declaration.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np
import zxingcpp
from pypdf import PdfReader

from ..annexes import Annex, Kind

#: Resolution of the reference pages (and of a scan once aligned to one).
DPI = 200
_PT = DPI / 72.0
_BOX = "\u2610"
_SPACE = re.compile(r"\s+")
_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
#: Kinds read from a cell's text (or kept as its image for a person).
TEXT_KINDS = frozenset({Kind.TEXT, Kind.LONGTEXT, Kind.PHONE, Kind.DATE, Kind.YEAR_MONTH,
                        Kind.TIME, Kind.INTEGER, Kind.ORDINAL})

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 in reference pixels


class LayoutError(ValueError):
    """The blank copy does not show the declared form (a restyled template, a broken PDF)."""


@dataclass
class Spot:
    """Where one field is on a page: its value cell and, for a choice, each option's box."""

    field: str
    kind: str
    cell: Rect
    boxes: list[tuple[str, Rect]] = dataclasses.field(default_factory=list)  # (option, box)


@dataclass
class PageLayout:
    """One printed page of an annex's blank copy, at :data:`DPI`."""

    annex: str
    template: str
    page: int  # 1-based
    size: tuple[int, int]  # width, height
    table: list[tuple[float, float]]  # the table's outer corners: tl, tr, br, bl
    lines: list[Rect]  # the ruling lines' boxes (to check an alignment)
    spots: list[Spot]
    title: str = ""

    def to_json(self) -> str:
        """The layout as JSON (for a cache file)."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> PageLayout:
        """A layout back from :meth:`to_json`."""
        raw = json.loads(text)
        raw["spots"] = [Spot(s["field"], s["kind"], tuple(s["cell"]),
                             [(o, tuple(r)) for o, r in s["boxes"]]) for s in raw["spots"]]
        raw["size"] = tuple(raw["size"])
        raw["table"] = [tuple(p) for p in raw["table"]]
        raw["lines"] = [tuple(r) for r in raw["lines"]]
        return cls(**raw)


def norm(text: str) -> str:
    """Text without any white space (labels are printed spaced out: 性 别)."""
    return _SPACE.sub("", text).replace("\u3000", "")


def rasterise(pdf: bytes, dpi: int = DPI, first: int = 1, last: int | None = None
              ) -> list[np.ndarray]:
    """The pages of a PDF as grey images (pdftoppm)."""
    with tempfile.TemporaryDirectory(prefix="paper-") as tmp:
        src = Path(tmp, "in.pdf")
        src.write_bytes(pdf)
        cmd = ["pdftoppm", "-gray", "-r", str(dpi), "-f", str(first)]
        if last:
            cmd += ["-l", str(last)]
        subprocess.run([*cmd, "-png", str(src), str(Path(tmp, "p"))], check=True,
                       capture_output=True, timeout=120)
        pages = sorted(Path(tmp).glob("p-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
        # each page was just written by pdftoppm, so each reads back
        return [cast(np.ndarray, cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)) for p in pages]


def ruling(gray: np.ndarray, horizontal: int, vertical: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the long horizontal and vertical lines of an upright page image."""
    ink = (gray < 160).astype(np.uint8) * 255
    h = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT,
                                                                         (horizontal, 1)))
    v = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT,
                                                                         (1, vertical)))
    return h, v


def cells_of(gray: np.ndarray) -> tuple[list[Rect], list[Rect], Rect]:
    """The table's cells, its ruling lines and its outer box on an upright reference page."""
    h, v = ruling(gray, 150, 50)
    grid = cv2.dilate(cv2.bitwise_or(h, v), np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero(v)
    if not len(xs):
        raise LayoutError("no table on the page")
    n, labels, stats, _ = cv2.connectedComponentsWithStats(255 - grid, connectivity=4)
    height, width = gray.shape
    cells: list[Rect] = []
    for i in range(1, n):
        x, y, w, hh, area = stats[i]
        if x == 0 or y == 0 or x + w >= width or y + hh >= height:
            continue
        if w < 20 or hh < 20:
            continue
        cells.append((int(x), int(y), int(x + w), int(y + hh)))
    if not cells:
        raise LayoutError("no table cells on the page")
    box = (min(c[0] for c in cells) - 2, min(c[1] for c in cells) - 2,
           max(c[2] for c in cells) + 2, max(c[3] for c in cells) + 2)
    lines = []
    for mask in (h, v):
        k, _, st, _ = cv2.connectedComponentsWithStats(mask)
        lines += [(int(x), int(y), int(x + w), int(y + hh)) for x, y, w, hh, _a in st[1:k]]
    return cells, lines, box


def _fragments(page: Any) -> list[tuple[str, float, float, float]]:
    """(text, x, baseline y, size) of each run of text on a PDF page, in reference pixels."""
    top = float(page.mediabox.top)
    out: list[tuple[str, float, float, float]] = []

    def visit(text, cm, tm, _font, size) -> None:  # noqa: ANN001 - pypdf's visitor
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[0] * cm[0]) or 1.0
        out.append((text, x * _PT, (top - y) * _PT, size * scale * _PT))

    page.extract_text(visitor_text=visit)
    return out


def _inside(rect: Rect, x: float, y: float) -> bool:
    return rect[0] <= x <= rect[2] and rect[1] <= y <= rect[3]


def _box_rect(gray: np.ndarray, x: float, base: float, size: float) -> Rect:
    """The ☐ glyph drawn at (x, baseline): the bounding box of its square outline."""
    x0, y0 = int(x - 4), int(base - size)
    x1, y1 = int(x + size + 4), int(base + size * 0.35)
    window = (gray[y0:y1, x0:x1] < 160).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(window)
    best = None
    for i in range(1, n):
        bx, by, w, h, _a = stats[i]
        if w > size * 0.4 and abs(w - h) <= max(3, w * 0.15) and (best is None or w > best[2]):
            best = (bx, by, w, h)
    if best is None:
        side = int(size * 0.7)
        return (int(x), int(base - side), int(x + side), int(base))
    bx, by, w, h = best
    return (x0 + int(bx), y0 + int(by), x0 + int(bx + w), y0 + int(by + h))


def page_layouts(annex: Annex, template: str, pdf: bytes) -> list[PageLayout]:
    """The layout of every page of ``annex``'s blank copy ``pdf`` (printed from ``template``).

    :class:`LayoutError` when a field's label or boxes cannot be found on the pages.
    """
    reader = PdfReader(io.BytesIO(pdf))
    images = rasterise(pdf)
    placed: set[str] = set()
    layouts = []
    wanted = [f for f in annex if f.kind in TEXT_KINDS or f.is_choice or f.kind is Kind.SIGNATURE]
    for number, (page, gray) in enumerate(zip(reader.pages, images, strict=True), start=1):
        cells, lines, box = cells_of(gray)
        frags = _fragments(page)
        texts: dict[Rect, list[tuple[float, float, str]]] = {c: [] for c in cells}
        for text, x, base, size in frags:
            point = (x + size * 0.3, base - size * 0.3)
            for c in cells:
                if _inside(c, *point):
                    texts[c].append((base, x, text))
                    break
        cell_text = {c: norm("".join(t for _b, _x, t in sorted(v))) for c, v in texts.items()}
        used: set[Rect] = set()
        spots = []
        for f in wanted:
            if f.name in placed:
                continue
            label = norm(f.label)
            candidates = ([c for c in cells if cell_text[c] == label + norm(f.sub_label)]
                          or [c for c in cells if cell_text[c] == label])
            candidates = [c for c in candidates if c not in used]
            if not candidates:
                continue
            lab = min(candidates, key=lambda c: (c[1], c[0]))
            right = [c for c in cells if abs(c[0] - lab[2]) < 12
                     and min(c[3], lab[3]) - max(c[1], lab[1]) > 0.5 * (lab[3] - lab[1])]
            if not right:
                continue
            used.add(lab)
            cell = min(right, key=lambda c: c[0])
            spot = Spot(f.name, str(f.kind), cell)
            if f.is_choice:
                glyphs = sorted((base, x, size) for text, x, base, size in frags
                                if _BOX in text and _inside(cell, x + 1, base - 1))
                if len(glyphs) != len(f.options):
                    raise LayoutError(f"{f.name}: {len(glyphs)} boxes printed for "
                                      f"{len(f.options)} options")
                spot.boxes = [(o.text, _box_rect(gray, x, base, size))
                              for o, (base, x, size) in zip(f.options, glyphs, strict=True)]
            spots.append(spot)
            placed.add(f.name)
        title = ""
        for text, _x, _base, _size in frags:
            if norm(text) == norm(annex.title):
                title = annex.title
        corners = [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]
        layouts.append(PageLayout(annex.code, template, number, (gray.shape[1], gray.shape[0]),
                                  [(float(a), float(b)) for a, b in corners], lines, spots,
                                  title))
    missing = [f.name for f in wanted if f.name not in placed]
    if missing:
        raise LayoutError(f"fields not found on the blank copy: {', '.join(missing)}")
    return layouts


def reference_image(pdf: bytes, page: int) -> np.ndarray:
    """The blank page itself at :data:`DPI` (what ink was printed before anyone wrote)."""
    return rasterise(pdf, first=page, last=page)[0]


def code_corners(gray: np.ndarray) -> list[tuple[float, float]] | None:
    """The QR code's four corners on a page image, or None."""
    for r in zxingcpp.read_barcodes(gray, formats=_QR):
        p = r.position
        return [(p.top_left.x, p.top_left.y), (p.top_right.x, p.top_right.y),
                (p.bottom_right.x, p.bottom_right.y), (p.bottom_left.x, p.bottom_left.y)]
    return None
