"""The QR code on printed copies: payload round trip, and every page of a real copy carries it."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp

from service.annexes import ANNEXES
from service.annexes.examples import example
from service.documents import DocumentMeta, OfficePool, render_docx
from service.documents.pagecode import CodeError, PageCode, parse, qr_png, template_version


def _decode(png: bytes) -> list[str]:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_payload_round_trips_and_names_nothing_personal():
    code = PageCode("C", "0123abcd", 2, "GZ-2024 0001|x", 57)
    assert parse(code.payload()) == code
    assert parse(PageCode("B", "0123abcd").payload()) == PageCode("B", "0123abcd", 0, "", None)
    assert _decode(qr_png(code)) == [code.payload()]


@pytest.mark.parametrize("payload", ["", "hello", "XFSW1|C|0123abcd|1|", "XFSW1|c|0123abcd|1||",
                                     "XFSW1|C|0123ABCX|1||", "XFSW1|C|0123abcd|-1||",
                                     "XFSW1|C|0123abcd|1||x", "XFSW2|C|0123abcd|1||"])
def test_damaged_or_foreign_payloads_are_refused(payload):
    with pytest.raises(CodeError):
        parse(payload)


def test_template_version_follows_the_template_bytes():
    assert template_version(b"a") != template_version(b"b")
    assert len(template_version(b"a")) == 8


def _header_codes(docx: bytes) -> list[str]:
    """Every QR payload drawn in the Word copy's headers."""
    found = []
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        headers = [n for n in z.namelist() if n.startswith("word/_rels/header")]
        for rels in headers:
            xml = z.read(rels).decode()
            for target in re.findall(r'Target="(media/[^"]+)"', xml):
                found.extend(_decode(z.read("word/" + target)))
    return sorted(found)


@pytest.mark.parametrize("code", sorted(ANNEXES))
def test_word_copy_headers_carry_the_first_and_later_page_codes(code):
    meta = DocumentMeta(case_number="GZ-2024-0007", form_id=31)
    docx = render_docx(ANNEXES[code], example(code), meta)
    template = (Path(__file__).resolve().parent.parent / "form_templates" / f"{code}.docx")
    version = template_version(template.read_bytes())
    assert _header_codes(docx) == sorted([
        PageCode(code, version, 0, "GZ-2024-0007", 31).payload(),
        PageCode(code, version, 1, "GZ-2024-0007", 31).payload()])


@pytest.mark.office
def test_every_page_of_a_pdf_copy_carries_its_code(tmp_path):
    """A blank B (two pages) for a case, converted by LibreOffice, rasterised at 150 dpi."""
    with OfficePool(1) as pool:
        pool.start()
        pdf = pool.convert(render_docx(ANNEXES["B"], {}, DocumentMeta(case_number="GZ-2024-0009")))
    (tmp_path / "b.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "b.pdf"),
                    str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) >= 2
    codes = [parse(_decode(p.read_bytes())[0]) for p in pages]
    assert [c.page for c in codes] == [1] + [0] * (len(pages) - 1)
    assert {(c.annex, c.case_number, c.form_id) for c in codes} == {("B", "GZ-2024-0009", None)}


def test_blank_form_for_a_case_from_the_command_line(app, tmp_path):
    """`forms render C --case NUMBER`: the case's number in the codes; an unknown case refused."""
    from service.cases import lifecycle
    from service.db import db

    case = lifecycle.open_case(client_name="王建国")
    db.session.commit()
    runner = app.test_cli_runner()
    out = tmp_path / "c.docx"
    result = runner.invoke(args=["forms", "render", "C", "--case", case.number, "--format",
                                 "docx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    codes = [parse(p) for p in _header_codes(out.read_bytes())]
    assert {(c.annex, c.case_number) for c in codes} == {("C", case.number)}
    assert "王建国" not in "".join(_header_codes(out.read_bytes()))
    missing = tmp_path / "x.docx"
    result = runner.invoke(args=["forms", "render", "C", "--case", "NO-SUCH", "--format",
                                 "docx", "--out", str(missing)])
    assert result.exit_code == 2 and "NO-SUCH" in result.output
    assert not missing.exists()


def test_blank_form_for_a_case_from_the_case_page(app, client, make_user):
    """The case page links the blank copies; the Word copy carries the case's codes; another
    worker's case is not found."""
    from service.cases import lifecycle
    from service.db import db
    from tests.conftest import login

    worker, other = make_user("chen", "worker"), make_user("li", "worker")
    case = lifecycle.open_case(worker=worker, client_name="王建国")
    db.session.commit()
    login(client, worker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/cases/{case.id}/blank/C?format=pdf" in page
    response = client.get(f"/cases/{case.id}/blank/C")
    assert response.status_code == 200
    codes = [parse(p) for p in _header_codes(response.data)]
    assert {(c.annex, c.case_number, c.form_id) for c in codes} == {("C", case.number, None)}
    assert client.get(f"/cases/{case.id}/blank/Z").status_code == 404
    client.post("/logout")
    other_client = app.test_client()
    login(other_client, other)
    assert other_client.get(f"/cases/{case.id}/blank/C").status_code == 404
