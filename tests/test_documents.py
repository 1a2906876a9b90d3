"""The official copies read back as a person would: python-docx, pdftotext, pdffonts, the XMP,
and the glyph shapes on the rendered page."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from service.annexes import ANNEXES, Kind
from service.annexes.examples import example
from service.documents import (
    ConversionTimeout,
    DocumentError,
    DocumentMeta,
    OfficePool,
    render_docx,
)
from service.documents.render import TICKED, UNTICKED, printed_value

HOSTILE = "<b>&amp; {{ meta.agency }} {% if x %}{_{ ]]> ' \" 骨</b>\n第二行 & <w:t>"
META = DocumentMeta(case_number="GZ-2024-0042", agency="广州市测试社会工作服务中心")
SERIF_TTC = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")


def squeeze(text: str) -> str:
    return "".join(text.split())


def docx_text(docx: bytes) -> str:
    """Every paragraph of the document body and its tables, in order."""
    doc = Document(io.BytesIO(docx))
    return "\n".join(Paragraph(p, doc).text for p in doc.element.body.iter(qn("w:p")))


def pdf_text(pdf: bytes, tmp_path: Path, name: str = "doc") -> str:
    """The PDF's text in content order (a wrapped label stays in one piece once squeezed)."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def official_texts(code: str, data: dict) -> list[str]:
    """Every official text the copy shows: a hint only while its cell is empty."""
    filled_hints = {f.hint for f in ANNEXES[code] if f.hint and data.get(f.name)}
    return [t for t in ANNEXES[code].texts() if t not in filled_hints]


def option_count(code: str) -> int:
    return sum(len(f.options) for f in ANNEXES[code] if f.is_choice)


def chosen(code: str, data: dict) -> list[tuple[str, str]]:
    """(field, option printed) for every ticked option of a filled form."""
    out = []
    for f in ANNEXES[code]:
        if not f.is_choice:
            continue
        value = data.get(f.name)
        picked = value if isinstance(value, list) else [value] if value else []
        out.extend((f.name, f.option(v).printed) for v in picked)
    return out


def filled_values(code: str, data: dict) -> list[str]:
    """Every typed value of a filled form as it should read on the page."""
    values = []
    for f in ANNEXES[code]:
        value = data.get(f.name)
        if f.kind in (Kind.TEXT, Kind.LONGTEXT, Kind.PHONE, Kind.DATE, Kind.YEAR_MONTH,
                      Kind.TIME, Kind.INTEGER, Kind.ORDINAL) and value not in (None, ""):
            values.append(str(printed_value(f.kind, value)))
        elif f.kind is Kind.SIGNATURE and value:
            values.extend(str(printed_value(Kind.DATE if k == "date" else Kind.TEXT, v))
                          for k, v in value.items() if k != "image")
        elif f.kind is Kind.TABLE:
            values.extend(str(v) for row in value or [] for v in row.values() if v != "")
        for o in f.notes:
            if data.get(o.note):
                values.append(data[o.note])
    return values


def test_dates_print_as_the_paper_form_writes_them():
    assert printed_value(Kind.DATE, "2024-05-08") == "2024年5月8日"
    assert printed_value(Kind.YEAR_MONTH, "1961-03") == "1961年3月"
    assert printed_value(Kind.TEXT, "2024-05-08") == "2024-05-08"
    assert printed_value(Kind.DATE, "") == ""


# --- Word -----------------------------------------------------------------------------------

@pytest.mark.parametrize("code", list(ANNEXES))
def test_word_copy_prints_every_official_text_and_value(code):
    data = example(code)
    text = squeeze(docx_text(render_docx(ANNEXES[code], data, META)))
    for official in official_texts(code, data):
        assert squeeze(official) in text, official
    for value in filled_values(code, data):
        assert squeeze(value) in text, value


@pytest.mark.parametrize("code", list(ANNEXES))
def test_blank_word_copy_has_every_box_empty_and_the_hints(code):
    docx = render_docx(ANNEXES[code], {})
    text = docx_text(docx)
    assert text.count(UNTICKED) == option_count(code)
    assert TICKED not in text
    for f in ANNEXES[code]:
        if f.hint:
            assert f.hint in text


def test_hint_gives_way_to_a_value():
    data = example("B")
    text = docx_text(render_docx(ANNEXES["B"], data))
    assert ANNEXES["B"]["petition_history"].hint not in text
    assert data["petition_history"] in text


@pytest.mark.parametrize("code", list(ANNEXES))
def test_filled_word_copy_ticks_exactly_the_chosen_options(code):
    data = example(code)
    text = squeeze(docx_text(render_docx(ANNEXES[code], data)))
    picks = chosen(code, data)
    assert text.count(TICKED) == len(picks)
    assert text.count(UNTICKED) == option_count(code) - len(picks)
    for _field, printed in picks:
        assert squeeze(TICKED + printed) in text


def test_goal_table_grows_one_row_per_goal():
    data = example("D")
    data["goals"] = [{"seq": i, "goal": f"目标{i}", "status": "已达成", "remark": ""}
                     for i in range(1, 8)]
    lines = docx_text(render_docx(ANNEXES["D"], data)).split("\n")
    assert [f"目标{i}" for i in range(1, 8)] == [t for t in lines if re.fullmatch(r"目标\d+", t)]


def test_hostile_text_round_trips_unchanged_in_word():
    data = example("C")
    data["record"] = HOSTILE
    data["interviewee"] = "{{ 7*7 }}</w:t>&lt;"
    docx = render_docx(ANNEXES["C"], data, DocumentMeta(case_number="{% raw %}<&>"))
    text = docx_text(docx)
    assert HOSTILE in text
    assert "{{ 7*7 }}</w:t>&lt;" in text
    assert "49" not in text
    assert "{% raw %}<&>" in text


def test_text_a_document_cannot_hold_is_refused():
    data = example("C")
    data["record"] = "bad \ud800 surrogate"
    with pytest.raises(DocumentError):
        render_docx(ANNEXES["C"], data)


def test_invalid_form_is_refused_with_its_problems():
    data = example("B")
    data["first_contact_date"] = "2024-02-30"
    data["language"] = "火星语"
    with pytest.raises(DocumentError) as caught:
        render_docx(ANNEXES["B"], data)
    assert {p.key for p in caught.value.problems} == {"first_contact_date", "language"}


def test_word_properties_carry_title_case_number_and_agency():
    docx = render_docx(ANNEXES["D"], example("D"), META)
    props = Document(io.BytesIO(docx)).core_properties
    assert props.title == ANNEXES["D"].title
    assert props.identifier == props.subject == META.case_number
    assert props.author == META.agency
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        assert f"<Company>{META.agency}</Company>" in z.read("docProps/app.xml").decode()


def test_signatures_and_picture_go_in_as_images():
    docx = render_docx(ANNEXES["B"], example("B"))
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        body = z.read("word/document.xml").decode()
    assert media
    assert body.count("<pic:pic") == 3  # 社工签名, 主任签批 and the genogram
    with zipfile.ZipFile(io.BytesIO(render_docx(ANNEXES["B"], {}))) as z:
        assert "<pic:pic" not in z.read("word/document.xml").decode()  # only the page codes


def test_a4_page_and_sc_faces_in_the_template():
    docx = render_docx(ANNEXES["B"], {})
    section = Document(io.BytesIO(docx)).sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        styles = z.read("word/styles.xml").decode()
    assert 'w:eastAsia="Noto Serif CJK SC"' in styles
    assert "JP" not in styles


# --- PDF/A through LibreOffice --------------------------------------------------------------

@pytest.fixture(scope="module")
def pool():
    with OfficePool(2) as p:
        p.start()
        yield p


@pytest.fixture(scope="module")
def pdfs(pool):
    """Each annex filled (the examples) and blank, converted once."""
    out = {}
    for code in ANNEXES:
        out[code] = pool.convert(render_docx(ANNEXES[code], example(code), META))
        out[code + "-blank"] = pool.convert(render_docx(ANNEXES[code], {}))
    return out


@pytest.mark.office
@pytest.mark.parametrize("code", list(ANNEXES))
def test_pdf_shows_every_label_and_every_value(pdfs, code, tmp_path):
    text = squeeze(pdf_text(pdfs[code], tmp_path))
    for official in official_texts(code, example(code)):
        assert squeeze(official) in text, official
    for value in filled_values(code, example(code)):
        assert squeeze(value) in text, value
    assert META.agency in text and META.case_number in text


@pytest.mark.office
@pytest.mark.parametrize("code", list(ANNEXES))
def test_blank_pdf_has_every_box_and_none_ticked(pdfs, code, tmp_path):
    text = pdf_text(pdfs[code + "-blank"], tmp_path)
    assert text.count(UNTICKED) == option_count(code)
    assert TICKED not in text


@pytest.mark.office
@pytest.mark.parametrize("code", list(ANNEXES))
def test_filled_pdf_ticks_exactly_the_chosen_options(pdfs, code, tmp_path):
    data = example(code)
    text = squeeze(pdf_text(pdfs[code], tmp_path))
    picks = chosen(code, data)
    assert text.count(TICKED) == len(picks)
    assert text.count(UNTICKED) == option_count(code) - len(picks)
    for _field, printed in picks:
        assert squeeze(TICKED + printed) in text


@pytest.mark.office
@pytest.mark.parametrize("name", ["B", "C-blank", "D"])
def test_pdf_is_pdfa_2b_with_every_font_embedded(pdfs, name, tmp_path):
    with pikepdf.open(io.BytesIO(pdfs[name])) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2"
        assert meta["pdfaid:conformance"] == "B"
        if not name.endswith("blank"):
            assert meta["dc:title"] == ANNEXES[name[0]].title
    path = tmp_path / "f.pdf"
    path.write_bytes(pdfs[name])
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    names = [line.split()[0].split("+")[-1] for line in lines]
    assert names
    for line in lines:
        assert re.search(r"\s+yes\s+yes\s+yes\s+\d+\s+\d+$", line), f"not embedded: {line}"
    # Only the Noto CJK faces (Debian ships them as one collection whose shared CFF program
    # is named ...CJKjp for every region: the glyph test below checks the shapes are SC) and
    # the face that holds the boxes; no other fallback.
    for font in names:
        assert font.startswith(("NotoSerifCJK", "NotoSansCJK", "DejaVuSans")), font
    assert any(font.startswith("DejaVuSans") for font in names)


def _face_index(family: str) -> int:
    out = subprocess.run(["fc-list", "-f", "%{index}\n", f"{family}:style=Regular"],
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0])


def _ink(image, size=(192, 48)):
    from PIL import ImageOps

    gray = ImageOps.invert(image.convert("L"))
    box = gray.point(lambda v: 255 if v > 96 else 0).getbbox()
    assert box, "no ink"
    return gray.crop(box).resize(size).point(lambda v: 255 if v > 96 else 0)


def _distance(a, b) -> float:
    from PIL import ImageChops, ImageStat

    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0] / 255


def assert_sc_glyphs(pdf: bytes, word: str, tmp_path: Path) -> None:
    """The word's glyphs on the rendered page look like Noto Serif CJK SC, not JP."""
    from PIL import Image, ImageDraw, ImageFont

    path = tmp_path / "glyphs.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    found = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                      rf'yMax="([\d.]+)">{word}</word>', html)
    assert found, f"{word} not on the page"
    x0, y0, x1, y1 = (float(v) for v in found.groups())
    dpi = 600
    scale = dpi / 72
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
                    "-x", str(int(x0 * scale)), "-y", str(int(y0 * scale)),
                    "-W", str(int((x1 - x0) * scale) + 1), "-H", str(int((y1 - y0) * scale) + 1),
                    str(path), str(tmp_path / "crop")], check=True)
    page = _ink(Image.open(tmp_path / "crop.png"))
    distances = {}
    for family in ("Noto Serif CJK SC", "Noto Serif CJK JP"):
        font = ImageFont.truetype(str(SERIF_TTC), 200, index=_face_index(family))
        canvas = Image.new("L", (200 * len(word) + 100, 300), 255)
        ImageDraw.Draw(canvas).text((20, 20), word, font=font, fill=0)
        distances[family] = _distance(page, _ink(canvas))
    assert distances["Noto Serif CJK SC"] < 0.75 * distances["Noto Serif CJK JP"], distances


GLYPH_WORD = "骨直骨直"  # shapes that differ between the SC and JP faces


@pytest.mark.office
def test_chinese_is_set_in_the_simplified_chinese_face(pool, tmp_path):
    data = example("C")
    data["interviewee"] = GLYPH_WORD
    assert_sc_glyphs(pool.convert(render_docx(ANNEXES["C"], data)), GLYPH_WORD, tmp_path)


def edited_template(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """C.docx as an agency might edit it: some text of its XML parts replaced."""
    source = Path(__file__).resolve().parents[1] / "form_templates" / "C.docx"
    template = tmp_path / "C.docx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(template, "w") as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            if item.filename.endswith(".xml"):
                for old, new in replacements:
                    content = content.replace(old.encode(), new.encode())
            zout.writestr(item, content)
    return template


@pytest.mark.office
def test_the_glyph_check_tells_japanese_shapes_apart(pool, tmp_path):
    """The check above can fail: text set in the JP face and tagged Japanese is refused."""
    template = edited_template(tmp_path, ("Noto Serif CJK SC", "Noto Serif CJK JP"),
                               ("zh-CN", "ja-JP"))
    data = example("C")
    data["interviewee"] = GLYPH_WORD
    with pytest.raises(AssertionError):
        assert_sc_glyphs(pool.convert(render_docx(ANNEXES["C"], data, template=template)),
                         GLYPH_WORD, tmp_path)


@pytest.mark.office
def test_an_agency_template_in_songti_still_gets_sc_faces(pool, tmp_path):
    """An agency that sets its template in 宋体 (not installed) gets Noto Serif CJK SC."""
    template = edited_template(tmp_path, ("Noto Serif CJK SC", "宋体"))
    data = example("C")
    data["interviewee"] = GLYPH_WORD
    docx = render_docx(ANNEXES["C"], data, template=template)
    assert "宋体".encode() in zipfile.ZipFile(io.BytesIO(docx)).read("word/styles.xml")
    assert_sc_glyphs(pool.convert(docx), GLYPH_WORD, tmp_path)


@pytest.mark.office
def test_hostile_text_round_trips_unchanged_in_pdf(pool, tmp_path):
    data = example("C")
    data["record"] = HOSTILE
    text = pdf_text(pool.convert(render_docx(ANNEXES["C"], data)), tmp_path)
    for line in HOSTILE.split("\n"):
        assert line in text


# --- the converter's life -------------------------------------------------------------------

def _docx() -> bytes:
    return render_docx(ANNEXES["C"], example("C"))


@pytest.mark.office
def test_a_killed_libreoffice_is_restarted(pool):
    starts = sum(p.starts for p in pool.processes)
    for p in pool.processes:
        os.killpg(p.office.pid, signal.SIGKILL)
    for _ in pool.processes:
        assert pool.convert(_docx()).startswith(b"%PDF-")
    assert sum(p.starts for p in pool.processes) == starts + len(pool.processes)


@pytest.mark.office
def test_libreoffice_dying_during_a_conversion_loses_nothing(pool):
    """The office is killed right after it was handed the document: the same document is
    converted on a fresh one."""
    kills = sum(p.kills for p in pool.processes)
    for p in pool.processes:
        original = p._send

        def send_then_die(message, p=p, original=original):
            original(message)
            p._send = original
            os.killpg(p.office.pid, signal.SIGKILL)

        p._send = send_then_die
    pdf = pool.convert(_docx())
    assert b"%PDF-" in pdf[:8]
    assert sum(p.kills for p in pool.processes) == kills + 1
    for p in pool.processes:  # the other one, never used, keeps its trap until now
        p._send = type(p)._send.__get__(p)


@pytest.mark.office
def test_a_conversion_past_its_timeout_is_killed_and_the_next_one_works(pool):
    with pytest.raises(ConversionTimeout):
        pool.convert(_docx(), timeout=0.001)
    assert pool.convert(_docx()).startswith(b"%PDF-")


@pytest.mark.office
def test_a_long_lived_libreoffice_is_recycled(tmp_path):
    with OfficePool(1, recycle_after=2) as small:
        for _ in range(3):
            small.convert(_docx())
        process = small.processes[0]
        assert process.starts == 2
        assert process.total_conversions == 3
        assert process.rss() > 0
    assert not small.processes[0].alive


@pytest.mark.office
def test_no_libreoffice_outlives_a_killed_worker(tmp_path):
    """A queue worker killed mid-job (SIGKILL: nothing of it runs afterwards) leaves no
    LibreOffice behind: its helper sees the pool's pipe close and ends the office's session.
    Before, each killed worker left its offices running for good."""
    import sys
    import time

    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from service.documents import OfficePool\n"
        f"pool = OfficePool(1, root=Path({str(tmp_path)!r}))\n"
        "pool.start()\n"
        "print(pool.processes[0].office.pid, flush=True)\n"
        "time.sleep(600)\n")
    worker = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).resolve().parent.parent)
    try:
        office = int(worker.stdout.readline())
        os.killpg(office, 0)  # running: the call raises nothing
    finally:
        worker.kill()
        worker.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(office, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(office, signal.SIGKILL)  # do not leave it to the next test either
    pytest.fail("LibreOffice kept running after the worker that started it was killed")


def test_converter_needs_the_debian_python_with_uno():
    assert shutil.which("soffice")
    subprocess.run(["/usr/bin/python3", "-c", "import uno"], check=True)


@pytest.mark.office
def test_a_legacy_word_file_becomes_docx_on_the_same_pool(pool, tmp_path):
    """The importer's .doc -> .docx goes through the same long-lived LibreOffice."""
    doc_file = tmp_path / "legacy.doc"
    docx = pool.convert(_docx(), target="docx")  # a .docx written back by LibreOffice
    assert Document(io.BytesIO(docx)).paragraphs is not None
    word97 = subprocess.run(  # make a real Word 97 file to read back
        ["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'p').as_uri()}",
         "--convert-to", "doc:MS Word 97", "--outdir", str(tmp_path),
         str(_write(tmp_path / "legacy.docx", _docx()))], capture_output=True, timeout=120)
    assert word97.returncode == 0 and doc_file.exists()
    back = pool.convert(doc_file.read_bytes(), target="docx")
    assert squeeze(example("C")["record"]) in squeeze(docx_text(back))


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
