"""The declarations against the standard: every label, option and order, character for character.

The reference is the standard itself and its field inventory (kept under tests/spec/), parsed
here, so the expected texts are read from the specification rather than typed again.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.annexes import ANNEXES, Kind
from service.annexes.examples import example
from service.annexes.schema import json_schema, write_in_title
from service.annexes.validate import age_at, clean

SPEC = Path(__file__).parent / "spec"
INVENTORY = (SPEC / "forms.md").read_text(encoding="utf-8")
STANDARD = (SPEC / "standard-petition-social-work-service.txt").read_text(encoding="utf-8")
ANNEX_TEXT = STANDARD[STANDARD.index("附 录 B"):STANDARD.index("参 考 文 献")]


def _inventory_rows(code: str) -> list[tuple[str, str]]:
    """(label, kind) rows of an annex's table in forms.md, in order."""
    part = INVENTORY.split(f"## Annex {code}")[1].split("\n## ")[0]
    return [(m[1].strip(), m[2].strip())
            for m in re.finditer(rf"^\| {code}\d+ \| (.+?) \| (.+) \|$", part, re.M)]


def _norm_option(text: str) -> str:
    text = text.split(" — ")[0]  # the inventory's own remarks follow a dash
    text = re.sub(r"\s*\((specify|the standard)[^)]*\)\s*$", "", text.strip())
    return re.sub(r"[\s_]+$", "", text).rstrip("：:").strip()


def _declared_labels(annex) -> list[str]:
    labels = []
    for f in annex:
        if f.group:
            labels.append(f"{f.group} → {f.label}")
        elif f.date_label:
            labels.append(f"{f.label} / {f.date_label}")
        elif f.sub_label:
            labels.append(f"{f.label} {f.sub_label}")
        else:
            labels.append(f.label)
    return labels


@pytest.mark.parametrize("code", sorted(ANNEXES))
def test_labels_are_the_inventory_in_order(code: str) -> None:
    annex = ANNEXES[code]
    rows = [label for label, _ in _inventory_rows(code)]
    declared = [lab for lab, f in zip(_declared_labels(annex), annex, strict=True)
                if f.kind is not Kind.IMAGE]  # the genogram shares B22's cell
    assert declared == rows


@pytest.mark.parametrize("code", sorted(ANNEXES))
def test_option_sets_are_complete_and_in_order(code: str) -> None:
    annex = ANNEXES[code]
    inventory = {label: kind for label, kind in _inventory_rows(code)}
    for f, label in zip(annex, _declared_labels(annex), strict=True):
        if not f.is_choice:
            continue
        kind = inventory[label]
        listed = kind.split(":", 1)[1].split(" · ")
        assert [_norm_option(o) for o in listed] == [_norm_option(o.printed) for o in f.options]
        assert kind.startswith("one of" if f.kind is Kind.ONE_OF else "any of")
        specified = [bool(re.search(r"\((specify|the standard)", o)) for o in listed]
        assert specified == [o.has_write_in for o in f.options], f.name


@pytest.mark.parametrize("code", sorted(ANNEXES))
def test_every_printed_text_stands_in_the_standard(code: str) -> None:
    annex = ANNEXES[code]
    flat = re.sub(r"\s+", "", ANNEX_TEXT).replace("(可多选)", "")  # a cell break in 危机介入
    assert annex.title in ANNEX_TEXT
    for f in annex:
        if f.kind is Kind.IMAGE:
            continue
        for option in f.options:
            assert re.sub(r"\s+", "", option.printed) in flat, option.printed
        if f.hint:
            assert f.hint in ANNEX_TEXT


def test_other_is_spelt_as_printed_in_each_row() -> None:
    marital = ANNEXES["B"]["marital_status"]
    assert marital.options[-1].text == "其它"
    assert ANNEXES["B"]["living_arrangement"].options[-1].text == "其他"


@pytest.mark.parametrize("code", sorted(ANNEXES))
def test_example_is_complete_and_valid(code: str) -> None:
    data, problems = clean(ANNEXES[code], example(code))
    assert problems == []
    assert set(example(code)) == set(ANNEXES[code].data_keys)


@pytest.mark.parametrize("code", sorted(ANNEXES))
def test_schema_titles_and_enums_come_from_the_declaration(code: str) -> None:
    annex = ANNEXES[code]
    schema = json_schema(annex)
    assert schema["title"] == annex.title
    for f in annex:
        prop = schema["properties"][f.name]
        assert prop["title"] == f.label
        if f.kind is Kind.ONE_OF:
            assert prop["enum"] == list(f.option_texts)
            assert all(not t.endswith(("：", "）")) for t in prop["enum"])
        if f.kind is Kind.ANY_OF:
            assert prop["items"]["enum"] == list(f.option_texts)
        for option in f.notes:
            assert schema["properties"][option.note]["title"] == write_in_title(option)
    if code == "B":
        assert schema["properties"]["needs"]["items"]["enum"][-1] == "其他"


def _problems(code: str, **changes) -> dict[str, list[str]]:
    data = example(code)
    data.update(changes)
    _, problems = clean(ANNEXES[code], data)
    found: dict[str, list[str]] = {}
    for p in problems:
        found.setdefault(p.key, []).append(p.message)
    return found


def test_dates_that_do_not_exist_are_refused() -> None:
    assert "first_contact_date" in _problems("B", first_contact_date="2023-02-30")
    assert "first_contact_date" in _problems("B", first_contact_date="2023/02/03")


def test_closing_before_opening_is_refused() -> None:
    found = _problems("D", opened_on="2024-05-08", closed_on="2024-05-07")
    assert list(found) == ["closed_on"]


def test_one_of_takes_one_option_from_its_set() -> None:
    assert "language" in _problems("B", language="粤语")
    assert "language" in _problems("B", language=["普通话", "广东话"])


def test_write_in_required_with_its_option_and_refused_without() -> None:
    assert "language_other" in _problems("B", language="其他", language_other="")
    assert "language_other" in _problems("B", language="普通话", language_other="潮汕话")
    assert _problems("B", language="其他", language_other="潮汕话") == {}
    assert "needs_other" in _problems("B", needs=["法律咨询"], needs_other="x")


def test_text_past_a_sane_length_is_refused() -> None:
    assert "worker" in _problems("B", worker="陈" * 201)
    assert "record" in _problems("C", record="记" * 20_001)


def test_markup_is_kept_as_text() -> None:
    data, problems = clean(ANNEXES["C"], {**example("C"), "record": "<script>alert(1)</script>"})
    assert problems == [] and data["record"] == "<script>alert(1)</script>"


def test_transfer_needs_its_reason() -> None:
    assert "transfer_reason" in _problems("D", category="个案转介", transfer_reason="")
    assert _problems("D", category="个案转介", transfer_reason="社工的工作变动") == {}


def test_age_follows_from_the_birth_month() -> None:
    assert age_at("1961-03", "2024-05-08") == 63
    assert age_at("1961-06", "2024-05-08") == 62
    data, problems = clean(ANNEXES["B"], {**example("B"), "age": None})
    assert problems == [] and data["age"] == 63
    assert "age" in _problems("B", age=40)


def test_draft_may_be_incomplete_but_submission_may_not() -> None:
    _, draft_problems = clean(ANNEXES["B"], {"client_name": "王"}, submit=False)
    _, submit_problems = clean(ANNEXES["B"], {"client_name": "王"}, submit=True)
    assert draft_problems == []
    assert {p.key for p in submit_problems} >= {"first_contact_date", "worker", "case_source"}


def test_goal_rows_are_numbered_in_order() -> None:
    data, problems = clean(ANNEXES["D"], {**example("D"), "goals": [
        {"seq": 7, "goal": "甲", "status": "", "remark": ""},
        {"seq": None, "goal": "", "status": "", "remark": ""},
        {"seq": 2, "goal": "乙", "status": "达成", "remark": ""}]})
    assert problems == []
    assert [(g["seq"], g["goal"]) for g in data["goals"]] == [(1, "甲"), (2, "乙")]


def test_unknown_keys_are_refused() -> None:
    assert "surname" in _problems("B", surname="王")


def test_what_a_declaration_derives_is_worked_out_once_and_cannot_be_changed():
    """Every form read or saved asks for an annex's data keys and write-ins: they are kept,
    not rebuilt on each call, and the shared map of write-ins refuses a change."""
    for annex in ANNEXES.values():
        assert annex.data_keys is annex.data_keys
        assert annex.reviewer_fields is annex.reviewer_fields
        assert all(f.notes is f.notes for f in annex)
        assert annex.note_keys == {o.note: (f, o) for f in annex for o in f.options if o.note}
        with pytest.raises(TypeError):
            annex.note_keys["其他"] = annex.note_keys.get("其他")
