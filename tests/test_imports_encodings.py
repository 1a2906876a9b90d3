"""Each way offices mark and write a value, read on its own: ticks before or after, in brackets,
ambiguous ticks flagged; labels with notes; dates and ordinals; headings; goals; age."""

from __future__ import annotations

import pytest

from service.annexes import ANNEXES
from service.imports.choices import read_choice
from service.imports.layout import Cell, read_cells

B, C, D = ANNEXES["B"], ANNEXES["C"], ANNEXES["D"]


@pytest.mark.parametrize("text, value", [
    ("文盲 略懂文字 小学 初中 高中/中专√ 大专 本科及以上", "高中/中专"),
    ("文盲  略懂文字  小学  初中 √  高中/中专  大专", "初中"),
    ("☐文盲 ☐略懂文字 ☑小学 ☐初中 ☐高中/中专", "小学"),
    ("文盲( ) 略懂文字( ) 小学(√) 初中( )", "小学"),
    ("文盲（ ） 略懂文字（√） 小学（ ）", "略懂文字"),
    ("(√)文盲 ( )略懂文字 ( )小学", "文盲"),
    ("文盲[ ] 略懂文字[ ] 小学[√] 初中[ ]", "小学"),
    ("□文盲 □略懂文字 ✔小学 □初中", "小学"),
])
def test_a_tick_goes_with_its_own_option(text, value):
    choice = read_choice(B["education"], text)
    assert choice.value == value and not choice.warnings


def test_a_tick_after_its_option_does_not_tick_the_next():
    choice = read_choice(B["marital_status"], "未婚   已婚 √   离异   丧偶   再婚   其它")
    assert choice.value == "已婚" and not choice.warnings


def test_a_tick_as_near_to_two_options_is_flagged():
    choice = read_choice(B["marital_status"], "未婚 已婚 √ 离异 丧偶")
    assert choice.warnings and "between two options" in choice.warnings[0]


def test_a_write_in_stops_at_the_next_option():
    choice = read_choice(B["case_source"],
                         "案主主动咨询 社工探访/接访√（请注明）：区接访大厅 转介人/单位（请注明）：")
    assert choice.value == "社工探访/接访"
    assert choice.notes == {"case_source_visit": "区接访大厅"}


def test_formatting_alone_is_read_and_flagged():
    bold = "\ue010"
    end = "\ue01f"
    choice = read_choice(C["work_mode"], f"面谈 {bold}电话{end} 陪同 QQ/微信 其他(请说明)")
    assert choice.value == "电话"
    assert choice.warnings and "formatting" in choice.warnings[0]


def test_a_row_printed_with_nothing_marked_is_empty():
    choice = read_choice(B["follow_up"], "是，个案委派予：____ 否，说明：____")
    assert choice.value == "" and not choice.notes


def _cells(rows):
    return [Cell(1, r, c, 1, text) for r, row in enumerate(rows) for c, text in enumerate(row)]


def test_labels_with_notes_asterisks_and_colons():
    reading = read_cells(_cells([
        ["信访社会工作服务接案表"],
        ["*案主姓名：", "王建国"],
        ["问题/需要（可多选）", "☑法律咨询 ☐政策引导 ☑情绪疏导"],
        ["出 生 年 月 :", "一九六一年三月"],
        ["初次接触日期*", "23/9/4"],
    ]), "f.docx")
    assert reading.data["client_name"] == "王建国"
    assert reading.data["needs"] == ["法律咨询", "情绪疏导"]
    assert reading.data["birth_month"] == "1961-03"
    assert reading.data["first_contact_date"] == "2023-09-04"


def test_age_as_written_is_kept_and_a_disagreement_flagged():
    reading = read_cells(_cells([
        ["信访社会工作服务接案表"], ["案主姓名", "王建国"], ["出生年月", "1961年3月"],
        ["年龄", "70岁"], ["初次接触日期", "2023年5月8日"]]), "f.docx")
    assert reading.data["age"] == 70
    [age] = [e for e in reading.evidence if e.field == "age"]
    assert age.flagged and age.value == 70


def test_a_day_missing_from_a_date_is_flagged_not_guessed():
    reading = read_cells(_cells([["信访社会工作服务会谈表"], ["会谈对象", "王建国"],
                                 ["日期", "2023年9月"], ["工作次数", "第三次"]]), "f.docx")
    assert not reading.data.get("date") and reading.data["session_no"] == 3
    [day] = [e for e in reading.evidence if e.field == "date"]
    assert day.flagged and "no day" in day.reason


def test_paragraphs_under_numbered_headings_keep_every_line():
    cells = [Cell(0, n, 0, 1, t) for n, t in enumerate([
        "信访社会工作服务结案表", "类别：☑个案结束 ☐个案转介", "案主姓名：王建国",
        "三、社工反思及建议", "多方联动是关键。", "今后可更早引入调解。",
        "四、服务机构的评估", "同意结案。"])]
    reading = read_cells(cells, "f.docx")
    assert reading.data["reflection"] == "多方联动是关键。\n今后可更早引入调解。"
    assert reading.data["agency_evaluation"] == "同意结案。"
    [e] = [e for e in reading.evidence if e.field == "reflection"]
    assert e.source.startswith("paragraph 5") and "paragraph 6" in e.source


def test_goals_in_swapped_columns_and_as_a_list():
    table = read_cells(_cells([
        ["信访社会工作服务结案表"], ["案主姓名", "王建国"],
        ["目标达成情况", "序号", "目标达成情况", "阶段性目标", "完成时间", "备注"],
        ["", "1", "已达成", "疏导情绪", "2024年", ""],
        ["", "2", "部分达成", "政策宣导", "2024年", "再跟进"]]), "f.docx")
    assert [(g["goal"], g["status"]) for g in table.data["goals"]] == [
        ("疏导情绪", "已达成"), ("政策宣导", "部分达成")]
    listed = read_cells([Cell(0, n, 0, 1, t) for n, t in enumerate([
        "信访社会工作服务结案表", "案主姓名：王建国", "目标达成情况：",
        "1. 疏导情绪：已达成", "2. 政策宣导：部分达成（再跟进）"])], "f.docx")
    assert [(g["seq"], g["goal"], g["status"], g.get("remark")) for g in
            listed.data["goals"]] == [(1, "疏导情绪", "已达成", ""),
                                      (2, "政策宣导", "部分达成", "再跟进")]


def test_a_signature_cell_keeps_the_typed_name():
    reading = read_cells(_cells([["信访社会工作服务会谈表"], ["会谈对象", "王建国"],
                                 ["负责社工签署", "陈晓敏", "签字日期", "2023-05-09"]]),
                         "f.docx")
    assert reading.data["worker_signature"] == {"name": "陈晓敏", "date": "2023-05-09"}
