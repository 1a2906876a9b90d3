"""Old binary Word (.doc) files, turned into .docx by LibreOffice and then read as such."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from pathlib import Path

from .reading import ImportFailure

_profile: Path | None = None


def _profile_dir() -> Path:
    """One LibreOffice user profile per process, so that conversions do not collide."""
    global _profile
    if _profile is None:
        _profile = Path(tempfile.mkdtemp(prefix="import-office-"))
        atexit.register(shutil.rmtree, _profile, True)
    return _profile


def _converter():  # noqa: ANN202 - whichever the documents package offers
    try:
        from ..documents import convert
    except ImportError:
        return None
    return getattr(convert, "to_docx", None)


def doc_to_docx(data: bytes, *, timeout: int = 180) -> bytes:
    """The .docx LibreOffice makes of a .doc; :class:`ImportFailure` if it cannot."""
    shared = _converter()
    with tempfile.TemporaryDirectory(prefix="import-doc-") as work:
        source = Path(work) / "legacy.doc"
        source.write_bytes(data)
        if shared is not None:  # to_docx(bytes) -> bytes, like its to_pdf
            try:
                return shared(data)
            except Exception as e:  # the shared converter's own errors
                raise ImportFailure(f"LibreOffice could not open the .doc ({e})") from None
        command = ["soffice", f"-env:UserInstallation={_profile_dir().as_uri()}",
                   "--headless", "--norestore", "--nologo", "--convert-to",
                   "docx:MS Word 2007 XML", "--outdir", work, str(source)]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False,
                           stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ImportFailure("LibreOffice took too long to open the .doc") from None
        except FileNotFoundError:
            raise ImportFailure("LibreOffice is not installed; .doc files cannot be read") \
                from None
        target = source.with_suffix(".docx")
        if not target.exists() or target.stat().st_size == 0:
            raise ImportFailure("LibreOffice could not open the .doc "
                                "(password-protected or damaged)")
        return target.read_bytes()
