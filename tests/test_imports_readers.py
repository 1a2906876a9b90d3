"""The import readers on legacy files of every encoding and layout, field by field."""

from __future__ import annotations

import csv
import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from service.annexes import ANNEXES, INTAKE
from service.annexes.validate import clean
from service.imports import SCAN, ImportFailure
from service.imports.dispatch import read_file
from service.imports.grouping import facts, group
from service.imports.limits import Limits
from service.imports.sources import collect, safe_member
from service.imports.text import parse_date, parse_integer, parse_year_month
from tests.imports_legacy import (
    TICKS,
    Style,
    expected,
    make_docx,
    make_fillable_pdf,
    make_table_docx,
)

LAYOUTS = {
    "plain": Style(),
    "spaced_fullwidth_qita": Style(spaced=True, colon="：", qita_swapped=True, date_style=1),
    "below_halfwidth": Style(below=True, colon=":", date_style=2),
    "one_cell": Style(one_cell=True, date_style=3),
}


def _normal(code: str) -> dict:
    data, problems = clean(ANNEXES[code], expected(code), submit=False)
    assert not problems
    return data


@pytest.mark.parametrize("code", ["B", "C", "D"])
@pytest.mark.parametrize("tick", TICKS)
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_tick_encoding_and_layout_reads_every_field(code: str, tick: str, layout: str):
    style = LAYOUTS[layout]
    style = Style(**{**style.__dict__, "tick": tick})
    [reading] = read_file(f"{code}.docx", make_docx(code, style=style))
    assert reading.annex == code
    assert reading.warnings == []
    assert reading.data == _normal(code)


def test_ticks_decoded_are_the_ones_in_the_file():
    data = expected("B")
    data.update(marital_status="离异", education="大专", needs=["法律咨询", "危机介入"],
                needs_other="")
    for tick in TICKS:
        [reading] = read_file("b.docx", make_docx("B", data, Style(tick=tick)))
        assert (reading.data["marital_status"], reading.data["education"]) == ("离异", "大专")
        assert reading.data["needs"] == ["法律咨询", "危机介入"], tick


def _b_rows(**cells: str) -> list[list[str]]:
    rows = [["初次接触日期", "2023年5月8日", "负责社工", "陈晓敏"],
            ["个案来源", "☑案主主动咨询 ☐社工探访/接访（请注明）： ☐转介人/单位（请注明）："],
            ["信访诉求及要求", "要求解决拆迁补偿问题"],
            ["案主姓名", "李四", "性别", "女"]]
    for label, value in cells.items():
        rows.append([label, value])
    return rows


def test_two_ticks_in_a_one_of_row_is_a_warning_and_nothing_is_chosen():
    docx = make_table_docx(INTAKE.title, _b_rows(婚姻状况="☐未婚 ☑已婚 ☑离异 ☐丧偶"))
    [reading] = read_file("b.docx", docx)
    assert reading.data["marital_status"] == ""
    assert any("婚姻状况" in w and "已婚" in w and "离异" in w for w in reading.warnings)


def test_a_write_in_without_its_tick_is_a_warning():
    docx = make_table_docx(INTAKE.title, _b_rows(语言="☑普通话 ☐广东话 ☐其他请注明：潮汕话"))
    [reading] = read_file("b.docx", docx)
    assert reading.data["language"] == "普通话"
    assert reading.data["language_other"] == ""
    assert any("潮汕话" in w and "语言" in w for w in reading.warnings)


def test_a_write_in_is_read_after_its_option():
    docx = make_table_docx(INTAKE.title, _b_rows(居住状况="☐独居 ☐与配偶同住 ☑其它（请注明）：与孙子同住"))
    [reading] = read_file("b.docx", docx)
    assert reading.data["living_arrangement"] == "其他"
    assert reading.data["living_arrangement_other"] == "与孙子同住"


def test_an_unrecognised_label_is_a_warning_with_its_value_kept_for_mapping():
    docx = make_table_docx(INTAKE.title, _b_rows(籍贯="广东梅州"))
    [reading] = read_file("b.docx", docx)
    assert reading.unmapped == {"籍贯": "广东梅州"}
    assert "label not recognised: 籍贯" in reading.warnings
    [mapped] = read_file("b.docx", docx, aliases={"B": {"籍贯": "address"}})
    assert mapped.data["address"] == "广东梅州"
    assert mapped.unmapped == {}


def test_a_required_field_left_empty_is_a_warning():
    rows = [r for r in _b_rows() if r[0] != "信访诉求及要求"]
    [reading] = read_file("b.docx", make_table_docx(INTAKE.title, rows))
    assert "信访诉求及要求: required but empty" in reading.warnings
    assert reading.data["client_name"] == "李四"
    assert reading.data["first_contact_date"] == "2023-05-08"


def test_a_merged_cell_is_counted_once():
    rows = [["信访诉求及要求", "要求解决拆迁补偿问题", "", ""]] + _b_rows()[:2]
    [reading] = read_file("b.docx", make_table_docx(INTAKE.title, rows, merge_first_two=True))
    assert reading.data["petition_demands"] == "要求解决拆迁补偿问题"
    assert not [w for w in reading.warnings if "twice" in w]


@pytest.mark.parametrize("text,iso", [("2023年5月8日", "2023-05-08"), ("2023.5.8", "2023-05-08"),
                                      ("2023/05/08", "2023-05-08"), ("2023-5-8", "2023-05-08"),
                                      ("2023 年 05 月 08 日", "2023-05-08")])
def test_dates_as_agencies_write_them(text: str, iso: str):
    assert parse_date(text) == iso


def test_year_months_ordinals_and_bad_dates():
    assert parse_year_month("1961年3月") == "1961-03"
    assert parse_year_month("1961.03") == "1961-03"
    assert parse_year_month("1961.13") is None
    assert parse_integer("第 3 次", prefix="第", suffix="次") == 3
    assert parse_date("2023年2月30日") is None
    assert parse_date("下周一") is None


def test_a_broken_word_file_is_an_error_with_a_message():
    with pytest.raises(ImportFailure, match="damaged|not a Word"):
        read_file("broken.docx", b"PK\x03\x04 this is not really a zip")
    with pytest.raises(ImportFailure, match="password-protected"):
        read_file("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(ImportFailure, match="not recognised"):
        read_file("letter.docx", make_table_docx("致某某单位的一封信", [["今天", "天气很好"]]))


def test_a_fillable_pdf_by_labels_tooltips_and_data_keys():
    pdf = make_fillable_pdf([
        ("案主姓名", "text", "王建国"), ("初次接触日期", "text", "2024/5/8"),
        ("field7", "text", "陈晓敏"), ("出生年月", "text", "1961年3月"),
        ("婚姻状况.已婚", "check", "Yes"), ("婚姻状况.离异", "check", ""),
        ("language", "radio", "广东话"), ("needs.法律咨询", "check", "On"),
        ("needs.其他", "check", "On"), ("needs_other", "text", "查阅审批材料"),
    ], tooltips={"field7": "负责社工"})
    [reading] = read_file("b.pdf", pdf)
    assert reading.annex == "B"
    got = {k: v for k, v in reading.data.items() if v not in ("", [], None, {})}
    assert got == {"client_name": "王建国", "first_contact_date": "2024-05-08",
                   "worker": "陈晓敏", "birth_month": "1961-03", "age": 63,
                   "marital_status": "已婚", "language": "广东话",
                   "needs": ["法律咨询", "其他"], "needs_other": "查阅审批材料"}


def test_a_pdf_without_fields_and_pictures_are_scans(tmp_path: Path):
    from pypdf import PdfWriter

    out = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.write(out)
    assert read_file("scan.pdf", out.getvalue())[0].kind == SCAN
    assert read_file("scan.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40)[0].kind == SCAN
    assert read_file("scan.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 40)[0].kind == SCAN
    with pytest.raises(ImportFailure, match="damaged"):
        read_file("scan.jpg", b"not a picture")


def test_a_password_protected_pdf_is_an_error():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ImportFailure, match="password"):
        read_file("locked.pdf", out.getvalue())


def _register_rows() -> list[list[str]]:
    return [["信访社会工作服务接案表"],
            ["案主姓名", "性 别", "初次接触日期", "负责社工", "个案来源", "个案来源社工探访/接访",
             "问题/需要", "出生年月", "信访诉求及要求", "籍贯"],
            ["王建国", "男", "2024.5.8", "陈晓敏", "社工探访/接访", "区信访接待大厅接访",
             "政策引导、情绪疏导", "1961.03", "加装电梯纠纷", "广州"],
            ["", "", "", "", "", "", "", "", "", ""],
            ["李四", "女", "2023年6月1日", "张丽", "案主主动咨询", "", "法律咨询", "1970年12月",
             "拆迁补偿", ""]]


def test_a_csv_register_is_one_form_a_row():
    text = io.StringIO()
    csv.writer(text).writerows(_register_rows())
    readings = read_file("register.csv", text.getvalue().encode("gb18030"))
    assert [r.part for r in readings] == ["row 3", "row 5"]
    first, second = readings
    assert first.annex == "B"
    assert {k: first.data[k] for k in ("client_name", "gender", "first_contact_date", "worker",
                                       "case_source", "case_source_visit", "needs",
                                       "birth_month", "petition_demands")} == {
        "client_name": "王建国", "gender": "男", "first_contact_date": "2024-05-08",
        "worker": "陈晓敏", "case_source": "社工探访/接访", "case_source_visit": "区信访接待大厅接访",
        "needs": ["政策引导", "情绪疏导"], "birth_month": "1961-03",
        "petition_demands": "加装电梯纠纷"}
    assert first.unmapped == {"籍贯": "广州"}
    assert second.data["first_contact_date"] == "2023-06-01"
    assert second.data["birth_month"] == "1970-12"


def test_an_xlsx_register_reads_dates_typed_as_dates():
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    rows = _register_rows()
    rows[2][2] = datetime(2024, 5, 8)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    readings = read_file("register.xlsx", out.getvalue())
    assert readings[0].data["first_contact_date"] == "2024-05-08"
    assert readings[1].data["client_name"] == "李四"


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_zip_members_that_leave_the_folder_are_refused(tmp_path: Path):
    with pytest.raises(ImportFailure):
        safe_member("../etc/passwd")
    with pytest.raises(ImportFailure):
        safe_member("/etc/passwd")
    with pytest.raises(ImportFailure):
        safe_member("C:/Windows/x.docx")
    path = _zip(tmp_path / "in.zip", {"../evil.docx": make_docx("B"), "ok/b.docx": make_docx("B")})
    sources = list(collect([path]))
    assert [(s.name, bool(s.error)) for s in sources] == [("in.zip/../evil.docx", True),
                                                          ("in.zip/ok/b.docx", False)]
    assert sources[1].folder == "in.zip/ok"
    assert sources[1].load() == make_docx("B") or sources[1].load()[:2] == b"PK"


def test_a_zip_bomb_is_refused_before_unpacking(tmp_path: Path):
    path = _zip(tmp_path / "bomb.zip", {"big.docx": b"\0" * (20 * 1024 * 1024)})
    [source] = list(collect([path], Limits(ratio=100)))
    assert "ZIP bomb" in source.error
    path = _zip(tmp_path / "many.zip", {f"{n}.docx": b"x" for n in range(30)})
    [source] = list(collect([path], Limits(members=10)))
    assert "at most 10" in source.error


def test_grouping_by_folder_and_by_name_and_date():
    items = [facts("in/王建国", "B", {"client_name": "王建国"}),
             facts("in/王建国", "C", {"interviewee": "王妻"}),
             facts("", "B", {"client_name": "李四", "first_contact_date": "2023-01-05"}),
             facts("", "B", {"client_name": "李 四", "first_contact_date": "2024-03-01"}),
             facts("", "C", {"interviewee": "李四", "date": "2023-02-01"}),
             facts("", "D", {"client_name": "李四", "opened_on": "2024-03-01"}),
             facts("", "C", {"interviewee": "", "date": "2023-02-01"})]
    groups = group(items)
    assert groups[0] == groups[1]
    assert groups[2] == groups[4] != groups[3] == groups[5]
    assert groups[6] is None


@pytest.mark.office
def test_an_old_binary_doc_is_converted_and_read(tmp_path: Path):
    source = tmp_path / "legacy.docx"
    source.write_bytes(make_docx("C", style=Style(tick="glyph", spaced=True, colon="：")))
    for made, target in ((source, "odt"), (tmp_path / "legacy.odt", "doc:MS Word 97")):
        # by way of ODT: LibreOffice drops the tables of a .docx saved straight as .doc
        subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'p').as_uri()}",
                        "--headless", "--convert-to", target, "--outdir", str(tmp_path),
                        str(made)], check=True, capture_output=True, timeout=180)
    doc = (tmp_path / "legacy.doc").read_bytes()
    assert doc.startswith(b"\xd0\xcf\x11\xe0")
    [reading] = read_file("legacy.doc", doc)
    assert reading.annex == "C"
    assert reading.data == _normal("C")
