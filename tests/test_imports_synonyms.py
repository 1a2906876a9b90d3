"""Words offices write for an option or a label, mapped by the service's defaults and by the
agency's own import_synonyms.toml in the instance folder."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from service.annexes import ANNEXES
from service.imports import ImportFailure
from service.imports.choices import read_listed
from service.imports.dispatch import read_file
from service.imports.synonyms import DEFAULTS, FILE_NAME, load


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def test_the_defaults_read_common_words():
    assert read_listed(ANNEXES["B"]["education"], "高中").value == "高中/中专"
    assert read_listed(ANNEXES["C"]["work_mode"], "微信").value == "QQ/微信"
    place = read_listed(ANNEXES["C"]["place"], "街道办事处会议室")
    assert place.value == "其他" and place.notes == {"place_other": "街道办事处会议室"}
    assert read_listed(ANNEXES["C"]["place"], "案主家中").value == "案主家中"
    assert read_listed(ANNEXES["B"]["education"], "大专").value == "大专"


def test_an_agency_adds_its_own_words_and_labels(tmp_path: Path):
    (tmp_path / FILE_NAME).write_text(
        '[education]\n"中技" = "高中/中专"\n\n[labels]\n"个案姓名" = "client_name"\n',
        encoding="utf-8")
    synonyms = load(tmp_path)
    register = _csv([["个案姓名", "教育程度", "初次接触日期"], ["王建国", "中技", "2023.5.8"]])
    [row] = read_file("r.csv", register, synonyms=synonyms)
    assert row.data["client_name"] == "王建国" and row.data["education"] == "高中/中专"
    [e] = [e for e in row.evidence if e.field == "education"]
    assert not e.flagged and "中技" in e.reason and e.source.startswith("row 2, column B")
    [plain] = read_file("r.csv", register)  # without the agency's words
    assert not plain.data.get("education") and plain.flagged


@pytest.mark.parametrize("text, message", [
    ('[education]\n"中技" = "技校"\n', "no such option"),
    ('[nothing]\n"a" = "b"\n', "no field with options"),
    ('[labels]\n"姓名" = "no_such_field"\n', "names no field"),
    ("[education\n", "cannot be read"),
])
def test_a_wrong_entry_is_refused_with_its_reason(tmp_path: Path, text, message):
    (tmp_path / FILE_NAME).write_text(text, encoding="utf-8")
    with pytest.raises(ImportFailure, match=message):
        load(tmp_path)


def test_no_file_means_the_defaults(tmp_path: Path):
    assert load(tmp_path) == DEFAULTS
