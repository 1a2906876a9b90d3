"""Pictures of a scan for a reviewer's screen: a PNG or JPEG as it is, a PDF or TIFF as PNG pages.

Pages are made once, into a temporary folder beside the cache that is renamed into place whole,
so a reader never sees half a set; a second request finds them made.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .limits import Limits
from .reading import ImportFailure

PNG = "image/png"
JPEG = "image/jpeg"
_SHOWN_AS_IS = {b"\x89PNG\r\n\x1a\n": PNG, b"\xff\xd8\xff": JPEG}
_TIFF = (b"II*\x00", b"MM\x00*")
_PDF = b"%PDF-"
#: Resolution of a PDF page as shown: legible beside the form, small enough for a tablet.
DPI = 110
RENDER_SECONDS = 120


def picture_type(head: bytes) -> str | None:
    """The MIME type of a picture a browser shows as it is (PNG, JPEG), else None."""
    return next((mime for magic, mime in _SHOWN_AS_IS.items() if head.startswith(magic)), None)


def needs_pages(head: bytes) -> bool:
    """Whether a scan is shown as rendered PNG pages (a PDF or a TIFF)."""
    return head.startswith((_PDF, *_TIFF))


def scan_pages(source: Path, cache: Path, *, limits: Limits | None = None) -> list[Path]:
    """The PNG pages of a PDF or TIFF scan, made into ``cache`` on first use.

    :class:`ImportFailure` when the file cannot be drawn (damaged, too many pages).
    """
    made = _pages_in(cache)
    if made:
        return made
    limits = limits or Limits()
    cache.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".pages-", dir=cache.parent))
    try:
        with source.open("rb") as f:
            head = f.read(8)
        if head.startswith(_PDF):
            _draw_pdf(source, work, limits.pages)
        elif head.startswith(_TIFF):
            _draw_tiff(source, work, limits.pages)
        else:
            raise ImportFailure("not a PDF or TIFF scan")
        if not _pages_in(work):
            raise ImportFailure("the scan has no page to show")
        _publish(work, cache)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _pages_in(cache)


def _pages_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    pages = [p for p in folder.glob("page-*.png") if p.stem[5:].isdigit()]
    return sorted(pages, key=lambda p: int(p.stem[5:]))


def _draw_pdf(source: Path, work: Path, max_pages: int) -> None:
    """pdftoppm into ``work``, renamed to page-1.png, page-2.png ... whatever its padding."""
    try:
        subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-l", str(max_pages),
                        str(source), str(work / "p")], check=True, capture_output=True,
                       timeout=RENDER_SECONDS)
    except subprocess.CalledProcessError as e:
        detail = e.stderr.decode(errors="replace").strip().splitlines()
        raise ImportFailure(f"the PDF cannot be drawn ({detail[-1] if detail else e})") from e
    except subprocess.TimeoutExpired as e:
        raise ImportFailure("the PDF took too long to draw") from e
    for drawn in work.glob("p-*.png"):
        number = drawn.stem.rsplit("-", 1)[1]
        if number.isdigit():
            drawn.rename(work / f"page-{int(number)}.png")


def _draw_tiff(source: Path, work: Path, max_pages: int) -> None:
    """Each frame of a TIFF as a PNG (browsers do not show TIFF)."""
    from PIL import Image, ImageSequence

    try:
        with Image.open(source) as image:
            for n, frame in enumerate(ImageSequence.Iterator(image), start=1):
                if n > max_pages:
                    break
                frame.convert("RGB" if frame.mode not in ("1", "L") else frame.mode).save(
                    work / f"page-{n}.png")
    except (OSError, Image.DecompressionBombError) as e:
        raise ImportFailure(f"the TIFF cannot be drawn ({e})") from e


def _publish(work: Path, cache: Path) -> None:
    """Move the finished pages into place in one rename; a set made meanwhile wins."""
    for page in work.iterdir():
        with page.open("rb") as f:
            os.fsync(f.fileno())
    try:
        work.rename(cache)
    except OSError:
        if not _pages_in(cache):
            raise
