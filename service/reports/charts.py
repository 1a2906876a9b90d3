"""Bar charts as PNG for the Word report, drawn with Pillow.

Pillow is already a dependency (scans), draws the few bars a report needs in milliseconds and
needs no plotting stack; Noto Sans CJK gives the Chinese labels their glyphs. Each bar carries
its number, so the chart reads without the table beside it.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
WIDTH, ROW, PAD, LABEL_W = 1200, 56, 24, 360
BAR = (58, 110, 165)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size, index=2)  # index 2: the SC face
    return ImageFont.load_default()


def bar_chart(title: str, rows: list[tuple[str, str, float]]) -> bytes:
    """A horizontal bar chart: ``rows`` are (label, the number as printed, length 0–1)."""
    height = PAD * 3 + 40 + max(len(rows), 1) * ROW
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((PAD, PAD), title, fill="black", font=_font(32))
    top = PAD * 2 + 40
    span = WIDTH - LABEL_W - PAD * 2 - 120
    for n, (label, printed, length) in enumerate(rows):
        y = top + n * ROW
        shown = label if len(label) <= 14 else label[:13] + "…"
        draw.text((LABEL_W - 12, y + 8), shown, fill="black", font=_font(26), anchor="ra")
        end = LABEL_W + max(2, int(span * max(0.0, min(1.0, length))))
        draw.rectangle((LABEL_W, y + 6, end, y + ROW - 10), fill=BAR)
        draw.text((end + 10, y + 8), printed, fill="black", font=_font(26))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
