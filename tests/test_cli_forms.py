"""`flask forms schema|example|render`, run as a person would, read back as a person would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from docx import Document as WordDocument

from service.annexes import ANNEXES, Kind
from service.annexes.examples import example
from service.annexes.schema import write_in_title

ROOT = Path(__file__).resolve().parent.parent


def flask(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {"INSTANCE_PATH": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path), "SECRET_KEY": "cli-test-key"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "service", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("code", sorted(ANNEXES))
def test_schema_titles_are_the_printed_labels(code: str, tmp_path: Path) -> None:
    run = flask("forms", "schema", code, tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr
    schema = json.loads(run.stdout)
    annex = ANNEXES[code]
    assert [schema["properties"][f.name]["title"] for f in annex] == [f.label for f in annex]
    for f in annex:
        if f.kind is Kind.ONE_OF:
            assert schema["properties"][f.name]["enum"] == [o.text for o in f.options]
        for option in f.notes:
            assert schema["properties"][option.note]["title"] == write_in_title(option)


@pytest.mark.parametrize("code", sorted(ANNEXES))
def test_example_is_the_complete_valid_form(code: str, tmp_path: Path) -> None:
    run = flask("forms", "example", code, tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == example(code)


@pytest.mark.parametrize("code", sorted(ANNEXES))
def test_blank_html_shows_every_label_and_every_box_unticked(code: str, tmp_path: Path) -> None:
    out = tmp_path / f"{code}.html"
    run = flask("forms", "render", code, "--format", "html", "--out", str(out), tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr
    page = out.read_text(encoding="utf-8")
    text = unescape(re.sub(r"<[^>]+>", " ", page))
    annex = ANNEXES[code]
    assert annex.title in text
    for f in annex:
        assert f.label in text
        for option in f.options:
            assert option.printed in text or option.text in text
    boxes = re.findall(r'<input[^>]+type="(?:radio|checkbox)"[^>]*>', page)
    assert len(boxes) == sum(len(f.options) for f in annex if f.is_choice)
    assert not any("checked" in b for b in boxes)
    assert "<style>" in page  # stands alone


def test_filled_html_ticks_exactly_the_chosen_options(tmp_path: Path) -> None:
    data = tmp_path / "b.json"
    data.write_text(json.dumps(example("B"), ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "b.html"
    run = flask("forms", "render", "B", "--data", str(data), "--format", "html",
                "--out", str(out), tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr
    page = out.read_text(encoding="utf-8")
    ticked = re.findall(r'<input[^>]*checked[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"'
                        r'[^>]*checked', page)
    chosen = sorted(a or b for a, b in ticked)
    b = example("B")
    expected = sorted([b[f.name] for f in ANNEXES["B"] if f.kind is Kind.ONE_OF and b[f.name]]
                      + b["needs"])
    assert chosen == expected
    assert "王建国" in page


def test_bad_data_is_refused_with_its_reasons_and_nothing_written(tmp_path: Path) -> None:
    data = tmp_path / "bad.json"
    data.write_text(json.dumps({**example("D"), "closed_on": "2024-01-01"}), encoding="utf-8")
    out = tmp_path / "d.html"
    run = flask("forms", "render", "D", "--data", str(data), "--format", "html",
                "--out", str(out), tmp_path=tmp_path)
    assert run.returncode == 2
    assert "closed_on" in run.stderr
    assert not out.exists()


@pytest.mark.office
def test_word_and_pdf_renders_read_back(tmp_path: Path) -> None:
    data = tmp_path / "c.json"
    data.write_text(json.dumps(example("C"), ensure_ascii=False), encoding="utf-8")
    docx, pdf = tmp_path / "c.docx", tmp_path / "c.pdf"
    for fmt, out in (("docx", docx), ("pdf", pdf)):
        run = flask("forms", "render", "C", "--data", str(data), "--format", fmt,
                    "--out", str(out), tmp_path=tmp_path)
        assert run.returncode == 0, run.stderr
    words = "\n".join(c.text for t in WordDocument(str(docx)).tables for r in t.rows
                      for c in r.cells)
    assert example("C")["record"] in words
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert ANNEXES["C"].title in text.replace(" ", "")
    assert "☑" in text and "☐" in text
