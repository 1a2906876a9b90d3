"""OpenDocument (.odt) forms: made by LibreOffice from generated legacy Word forms, read through
the service's LibreOffice pool, and measured against the truth they were made from."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from service.documents.convert import shutdown_pool
from service.imports import ImportFailure
from service.imports.dispatch import read_file
from tests.legacy_corpus import corpus
from tests.legacy_score import Tally, score


@pytest.mark.office
def test_odt_forms_read_through_the_pool(tmp_path: Path):
    samples = corpus(16, seed=4242, standard_share=0.25)
    for s in samples:
        (tmp_path / s.name).write_bytes(s.content)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "odt", "--outdir", str(tmp_path / "odt"),
                    *(str(tmp_path / s.name) for s in samples)],
                   check=True, capture_output=True, timeout=600)
    total = Tally()
    try:
        for s in samples:
            odt = (tmp_path / "odt" / s.name.replace(".docx", ".odt")).read_bytes()
            assert odt[30:77] == b"mimetypeapplication/vnd.oasis.opendocument.text"
            total.add(score(s.forms, read_file(s.name.replace(".docx", ".odt"), odt), s.name))
        with pytest.raises(ImportFailure, match="odt"):
            read_file("broken.odt", b"PK\x03\x04 not really")
    finally:
        shutdown_pool()
    assert total.forms >= 16
    assert total.share_right >= 0.95, total.misses.most_common(5)
    assert total.wrong == total.wrong_flagged, total.silent[:5]
