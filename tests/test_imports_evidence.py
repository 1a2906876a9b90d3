"""The import report's per-value evidence: its shape, and how it follows what was read."""

from __future__ import annotations

import pytest

from service.imports.dispatch import read_file
from service.imports.evidence import (
    Evidence,
    flag,
    from_dict,
    needs_person,
    paths,
    report_fields,
)
from service.imports.layout import Cell, read_cells
from tests.imports_legacy import Style, expected, make_docx


def test_an_entry_has_the_shared_keys_and_comes_back():
    e = Evidence("goals.0.status", "已完成", 0.8, True, "table 2, row 3, cell 4", "two ticks",
                 "已完成√ 未完成√")
    [entry] = report_fields([e])
    assert list(entry) == ["field", "value", "confidence", "flagged", "source", "reason",
                           "snippet"]
    assert from_dict(entry) == e
    assert needs_person([entry]) and not needs_person([Evidence("a", "b")])


def test_a_flag_needs_a_reason_and_lowers_confidence():
    with pytest.raises(ValueError):
        Evidence("age", 63, 1.0, True)
    with pytest.raises(ValueError):
        Evidence("age", 63, 1.5)
    e = flag(flag(Evidence("age", 63, source="table 1"), "disagrees with 出生年月"), "twice")
    assert e.flagged and e.confidence < 0.9 and e.reason == "disagrees with 出生年月; twice"


def test_paths_name_leaves_as_the_schema_does():
    assert paths([{"seq": 1, "status": "完成"}], "goals") == [("goals.0.seq", 1),
                                                              ("goals.0.status", "完成")]
    assert paths(["法律咨询", "政策引导"], "needs") == [("needs", ["法律咨询", "政策引导"])]
    assert paths({"date": "2023-05-09"}, "worker_signature") == [
        ("worker_signature.date", "2023-05-09")]


@pytest.mark.parametrize("code", ["B", "C", "D"])
def test_every_value_of_a_standard_form_has_its_cell(code):
    [reading] = read_file("f.docx", make_docx(code, expected(code), Style()))
    assert reading.evidence and not reading.flagged
    by_path = {e.field: e for e in reading.evidence}
    for key, value in reading.data.items():
        for path, leaf in paths(value, key):
            if leaf in (None, "", [], {}):
                continue
            e = by_path[path]
            assert e.value == leaf and e.source.startswith(("table", "paragraph"))
            assert e.confidence == 1.0 and e.snippet


def test_two_ticks_in_a_one_of_row_are_flagged_not_dropped():
    cells = [Cell(1, 0, 0, 1, "信访社会工作服务接案表"),
             Cell(1, 1, 0, 1, "案主姓名"), Cell(1, 1, 1, 1, "王建国"),
             Cell(1, 2, 0, 1, "教育程度"),
             Cell(1, 2, 1, 1, "□文盲 □略懂文字 ☑小学 ☑初中 □高中/中专 □大专 □本科及以上")]
    reading = read_cells(cells, "f.docx")
    assert not reading.data.get("education") and reading.flagged
    [e] = [e for e in reading.evidence if e.field == "education"]
    assert e.flagged and "小学" in e.reason and e.source == "table 1, row 3, cell 2"
    assert "☑小学" in e.snippet
    [name] = [e for e in reading.evidence if e.field == "client_name"]
    assert name.value == "王建国" and not name.flagged
