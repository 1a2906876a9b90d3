"""A signature typed in a legacy form (a name and a date, nothing drawn) is kept and printed in
the Word and PDF copies, read back as a person would."""

from __future__ import annotations

import pytest

from service.annexes import ANNEXES
from service.annexes.examples import example
from service.annexes.validate import clean
from service.documents import OfficePool, render_docx
from tests.test_documents import META, docx_text, pdf_text, squeeze


def _typed(code: str) -> dict:
    data = example(code)
    for f in ANNEXES[code]:
        if f.kind == "signature" and data.get(f.name):
            data[f.name] = {"name": "陈晓敏", "date": data[f.name]["date"]}
    out, problems = clean(ANNEXES[code], data)
    assert not problems
    return out


@pytest.mark.parametrize("code", list(ANNEXES))
def test_the_word_copy_prints_a_typed_signature(code):
    data = _typed(code)
    assert data["worker_signature"]["name"] == "陈晓敏"
    text = squeeze(docx_text(render_docx(ANNEXES[code], data, META)))
    signatures = sum(1 for f in ANNEXES[code] if f.kind == "signature" and data.get(f.name))
    assert text.count("陈晓敏") >= signatures


@pytest.mark.office
def test_the_pdf_copy_prints_a_typed_signature(tmp_path):
    with OfficePool(1) as pool:
        pool.start()
        pdf = pool.convert(render_docx(ANNEXES["C"], _typed("C"), META))
    assert "陈晓敏" in squeeze(pdf_text(pdf, tmp_path))
