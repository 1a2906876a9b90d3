"""Paper made and scanned by program: filled-in ticks and scribbles, skew, noise, blur, JPEG,
a phone's perspective. Used by the scan tests and by bench/scans.py."""

from __future__ import annotations

import random

import cv2
import numpy as np

from service.paper.layout import DPI, PageLayout, Rect


def tick(page: np.ndarray, box: Rect, rng: random.Random, *, faint: bool = False) -> None:
    """A hand-drawn tick (✓) or cross in ``box`` of a page at :data:`DPI`."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    j = lambda v: v + rng.uniform(-0.08, 0.08) * w  # noqa: E731
    pts = np.array([[j(x0 + 0.15 * w), j(y0 + 0.5 * h)], [j(x0 + 0.42 * w), j(y0 + 0.85 * h)],
                    [j(x0 + 0.95 * w), j(y0 + 0.05 * h)]], np.int32)
    thickness = 1 if faint else rng.choice([2, 3, 4])
    if rng.random() < 0.3 and not faint:
        cv2.line(page, (x0 + 2, y0 + 2), (x1 - 2, y1 - 2), 20, thickness)
        cv2.line(page, (x1 - 2, y0 + 2), (x0 + 2, y1 - 2), 20, thickness)
    else:
        cv2.polylines(page, [pts], False, 20, thickness, lineType=cv2.LINE_AA)


def scribble(page: np.ndarray, cell: Rect, rng: random.Random) -> None:
    """Handwriting-like strokes in the left part of a cell."""
    x0, y0, x1, y1 = cell
    cy = (y0 + y1) // 2
    x = x0 + 20
    for _ in range(rng.randint(3, 8)):
        pts = [(x + rng.randint(0, 30), cy + rng.randint(-18, 18)) for _ in range(5)]
        cv2.polylines(page, [np.array(pts, np.int32)], False, 30, 2, lineType=cv2.LINE_AA)
        x += 40
        if x > x1 - 40:
            break


def scan(page: np.ndarray, rng: random.Random, *, dpi: int = 200, angle: float = 0.0,
         noise: float = 0.0, blur: bool = False, jpeg: int = 0,
         perspective: float = 0.0) -> np.ndarray:
    """A page image at :data:`DPI` as a scanner or a phone would give it back."""
    scale = dpi / DPI
    out = cv2.resize(page, None, fx=scale, fy=scale,
                     interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    h, w = out.shape[:2]
    if angle:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        out = cv2.warpAffine(out, m, (w, h), borderValue=255, flags=cv2.INTER_LINEAR)
    if perspective:
        d = perspective * w
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        dst = np.float32([[rng.uniform(0, d), rng.uniform(0, d)],
                          [w - rng.uniform(0, d), rng.uniform(0, d)],
                          [w - rng.uniform(0, d), h - rng.uniform(0, d)],
                          [rng.uniform(0, d), h - rng.uniform(0, d)]])
        out = cv2.warpPerspective(out, cv2.getPerspectiveTransform(src, dst), (w, h),
                                  borderValue=230)
        shade = np.linspace(0.8, 1.0, w, dtype=np.float32)[None, :]
        out = np.clip(out.astype(np.float32) * shade, 0, 255).astype(np.uint8)
    if blur:
        out = cv2.GaussianBlur(out, (3, 3), 0.8)
    if noise:
        grain = np.random.default_rng(rng.randint(0, 2**31)).normal(0, noise, out.shape)
        out = np.clip(out.astype(np.float32) + grain, 0, 255).astype(np.uint8)
    if jpeg:
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, jpeg])
        out = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return out


def fill_by_hand(page: np.ndarray, layout: PageLayout, rng: random.Random,
                 ticks: dict[str, list[str]], written: set[str]) -> np.ndarray:
    """The blank page with ``ticks`` (field -> options) drawn and ``written`` cells scribbled."""
    out = page.copy()
    for spot in layout.spots:
        for option, box in spot.boxes:
            if option in ticks.get(spot.field, []):
                tick(out, box, rng)
        if spot.field in written:
            scribble(out, spot.cell, rng)
    return out


def without_code(page: np.ndarray) -> np.ndarray:
    """The page as another office would print the standard's layout: no form code on it."""
    import zxingcpp

    out = page.copy()
    for found in zxingcpp.read_barcodes(out):
        p = found.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_right.x, p.bottom_left.x]
        ys = [p.top_left.y, p.top_right.y, p.bottom_right.y, p.bottom_left.y]
        pad = 12
        out[max(0, min(ys) - pad):max(ys) + pad, max(0, min(xs) - pad):max(xs) + pad] = 255
    return out
