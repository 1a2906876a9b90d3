"""The archive engine with plain data: policy, filing, fixity, bundle binding, export."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import bagit
import pikepdf
import pytest

from service.archive import bundle as binder
from service.archive.export import FILE_LIST, ExportError, export_bag
from service.archive.filing import (
    FilingError,
    Item,
    Manifest,
    add_item,
    file_bytes,
    move_folder,
    read_manifest,
    write_manifest,
    write_once,
)
from service.archive.fixity import verify
from service.archive.policy import (
    CaseFacts,
    PolicyError,
    check_policy,
    folder_name,
    load_policy,
    parse_dang_hao,
)
from service.documents.convert import pdf_pages

from .archive_helpers import office_pdf


def facts(**kw) -> CaseFacts:
    base = {"case_id": 1, "number": "XF-2024-00001", "client_name": "王建国",
            "closed_on": date(2024, 8, 30)}
    return CaseFacts(**{**base, **kw})


@pytest.fixture
def policy():
    return load_policy(fonds="X001", fonds_name="广州市信访社会工作服务中心")


def test_default_policy_places_cases_by_situation_and_grade(policy):
    collective = policy.place(facts(special_process="集体上访", risk_grade="中风险"))
    assert (collective.category, collective.grade, collective.retention) == (
        "集体上访", "中风险", "永久")
    law = policy.place(facts(screening={"law_related": True}, risk_grade="低风险"))
    assert (law.category, law.retention_code) == ("涉法涉诉", "D30")
    plain = policy.place(facts(risk_grade="低风险"))
    assert (plain.category, plain.grade, plain.retention) == ("一般信访", "低风险", "定期10年")
    # a high grade is kept at least 30 years; confidentiality files as high
    assert policy.place(facts(risk_grade="高风险")).retention == "定期30年"
    assert policy.place(facts(risk_grade="低风险", confidential=True)).grade == "高风险"


def test_a_risk_never_assessed_is_filed_as_unassessed_never_as_low(policy):
    assert policy.place(facts(risk_grade=None)).grade == "未评级"
    assert policy.place(facts(risk_grade=None, confidential=True)).grade == "高风险"


def test_dang_hao_and_folder(policy):
    placement = policy.place(facts(special_process="集体上访", risk_grade="高风险",
                                   closed_on=date(2025, 1, 3)))
    dang_hao = policy.dang_hao(placement, 7)
    assert dang_hao == "X001-WS·2025-Y-JT-0007"
    assert placement.folder(dang_hao) == Path(
        "X001/2025/永久/集体上访/高风险/X001-WS.2025-Y-JT-0007")
    assert parse_dang_hao(folder_name(dang_hao)) == dang_hao
    assert parse_dang_hao(f"/a/b/{folder_name(dang_hao)}/") == dang_hao
    assert policy.item_name(dang_hao, 2, "会谈表", "pdf") == "X001-WS.2025-Y-JT-0007-002-会谈表.pdf"
    assert policy.item_name(dang_hao, 2, "会谈表", "pdf", 2).endswith("-002-会谈表-v2.pdf")
    with pytest.raises(ValueError):
        policy.dang_hao(placement, 10_000)


def test_bad_policy_lists_every_problem():
    raw = {
        "fonds": "x 1",
        "retention": {"永久": "Y"},
        "category": [{"name": "集体上访", "code": "JT", "retention": "十年",
                      "when": {"special_process": "群体"}},
                     {"name": "a/b", "code": "JT", "retention": "永久", "when": {"age": 3}}],
        "grade": [{"name": "高风险", "when": {"risk_grade": "高风险"}}],
    }
    with pytest.raises(PolicyError) as err:
        check_policy(raw)
    text = str(err.value)
    for expected in ("fonds", "十年", "群体", "a/b", "already used", "'age'", "[[grade]] #1"):
        assert expected in text, expected
    assert "the last category is the fallback" in text
    assert "the last grade is the fallback" in text


def test_unreadable_policy_file(tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text("retention = [", encoding="utf-8")
    with pytest.raises(PolicyError, match="p.toml"):
        load_policy(bad, fonds="X001")


def test_write_once_never_overwrites_a_filed_file(tmp_path):
    target = tmp_path / "a" / "f.pdf"
    write_once(target, b"one")
    write_once(target, b"one")  # a retried job: identical, fine
    with pytest.raises(FilingError):
        write_once(target, b"two")
    assert target.read_bytes() == b"one"
    assert [p.name for p in target.parent.iterdir()] == ["f.pdf"]  # no temp file left


def _case_folder(root: Path, rel: str, files: dict[str, bytes]) -> Manifest:
    folder = root / rel
    manifest = Manifest(dang_hao=Path(rel).name, case_number="XF-1", title="t", placement={})
    for n, (name, data) in enumerate(files.items(), start=1):
        add_item(manifest, file_bytes(folder, Item(file=name, item_no=n, title=name,
                                                   date="2024-01-01"), data))
    write_manifest(folder, manifest)
    return manifest


def test_new_version_supersedes_but_keeps_old_file(tmp_path):
    manifest = _case_folder(tmp_path, "c", {"c-001-接案表.pdf": b"v1"})
    add_item(manifest, file_bytes(tmp_path / "c", Item(file="c-001-接案表-v2.pdf", item_no=1,
                                                       title="t", date="", version=2), b"v2"))
    write_manifest(tmp_path / "c", manifest)
    again = read_manifest(tmp_path / "c")
    assert [(i.file, i.superseded) for i in again.items] == [
        ("c-001-接案表.pdf", True), ("c-001-接案表-v2.pdf", False)]
    assert (tmp_path / "c" / "c-001-接案表.pdf").read_bytes() == b"v1"
    assert verify(tmp_path).ok


def test_verify_names_missing_changed_unexpected_and_record_mismatches(tmp_path):
    root = tmp_path / "archive"
    _case_folder(root, "X/2024/a/F1", {"F1-001-a.pdf": b"%PDF-1 a", "F1-002-b.pdf": b"bb"})
    _case_folder(root, "X/2024/a/F2", {"F2-001-a.pdf": b"cc"})
    records = {"X/2024/a/F1": {"F1-001-a.pdf": _sha(b"%PDF-1 a"), "F1-002-b.pdf": _sha(b"bb")},
               "X/2024/a/F2": {"F2-001-a.pdf": _sha(b"cc")}}
    assert verify(root, records).ok
    one = root / "X/2024/a/F1/F1-001-a.pdf"
    data = bytearray(one.read_bytes())
    data[3] ^= 1
    one.write_bytes(bytes(data))
    (root / "X/2024/a/F2/F2-001-a.pdf").unlink()
    (root / "X/2024/a/F2/stray.txt").write_text("x")
    records["X/2024/a/F9"] = {}
    records["X/2024/a/F1"]["F1-002-b.pdf"] = "0" * 64
    report = verify(root, records)
    assert report.changed == ["X/2024/a/F1/F1-001-a.pdf"]
    assert report.missing == ["X/2024/a/F2/F2-001-a.pdf"]
    assert report.unexpected == ["X/2024/a/F2/stray.txt"]
    assert report.not_in_tree == ["X/2024/a/F9"]
    assert report.disagree == ["X/2024/a/F1/F1-002-b.pdf"]
    assert not report.ok and len(report.lines()) == 5


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_move_folder_is_whole_and_recorded(tmp_path):
    _case_folder(tmp_path, "X/2024/一般信访/低风险/F1", {"F1-001-a.pdf": b"a"})
    move_folder(tmp_path, Path("X/2024/一般信访/低风险/F1"), Path("X/2024/集体上访/高风险/F1"),
                {"from": "old", "to": "new", "by": "李", "why": "重新评估"})
    assert not (tmp_path / "X/2024/一般信访").exists()  # empty parents pruned
    manifest = read_manifest(tmp_path / "X/2024/集体上访/高风险/F1")
    assert manifest.moves[0]["why"] == "重新评估"
    assert verify(tmp_path).ok
    with pytest.raises(FilingError):
        move_folder(tmp_path, Path("X/none"), Path("X/other"), {})


def test_export_bag_is_valid_with_file_list(tmp_path):
    root = tmp_path / "archive"
    _case_folder(root, "X/2024/a/F1", {"F1-001-接案表.pdf": b"a", "F1-002-会谈表.pdf": b"b"})
    bag = export_bag(root, [Path("X/2024/a/F1")], tmp_path / "bag", info={"Source-Organization": "S"})
    loaded = bagit.Bag(str(bag))
    assert loaded.is_valid() and "sha256" in loaded.algorithms
    listing = (bag / "data" / FILE_LIST).read_text(encoding="utf-8-sig").splitlines()
    assert listing[0] == "档号,题名,责任者,日期,页数,文件"
    assert listing[1].startswith("F1-001,F1-001-接案表.pdf")
    with pytest.raises(ExportError):
        export_bag(root, [Path("X/2024/a/F1")], bag)


# --- bundles with real LibreOffice ------------------------------------------------------------

@pytest.fixture(scope="module")
def bound(tmp_path_factory):
    """Pages rendered and converted once; a duplex and a simplex bundle of three documents."""
    from service.documents.render import render_template

    folder = tmp_path_factory.mktemp("bundle")
    info = {"fonds_name": "广州市信访社会工作服务中心", "category": "集体上访", "grade": "高风险",
            "title": "王建国集体上访个案卷", "start": "2024-05-08", "end": "2024-08-30",
            "retention": "永久", "dang_hao": "X001-WS·2024-Y-JT-0001", "compiled_by": "陈晓敏",
            "checked_by": "李档案", "date": "2024-09-03", "remarks": ["本卷共 3 件。"]}
    docs = []
    for n, text in enumerate(("第一件", "第二件\f续页", "第三件"), start=1):
        path = folder / f"doc{n}.pdf"
        path.write_bytes(office_pdf(_docx(text)))
        docs.append(path)
    rows = [binder.ContentsRow(n, "陈晓敏", f"文件{n}", "2024-05-08", pdf_pages(p))
            for n, p in enumerate(docs, start=1)]
    pages = binder.render_pages(info, rows, convert=office_pdf, render=render_template)
    parts = []
    for role, label in (("cover", "卷皮"), ("contents", "卷内目录")):
        (folder / f"{role}.pdf").write_bytes(getattr(pages, role))
        parts.append(binder.Part(folder / f"{role}.pdf", label))
    parts += [binder.Part(p, f"文件{n}") for n, p in enumerate(docs, start=1)]
    (folder / "note.pdf").write_bytes(pages.note)
    parts.append(binder.Part(folder / "note.pdf", "备考表"))
    sheet = binder.NumberSheet(folder / "cache", convert=office_pdf)
    volume = binder.Volume("X001-WS·2024-Y-JT-0001 王建国", tuple(parts))
    simplex = binder.assemble([volume], folder / "simplex.pdf", sheet=sheet)
    duplex = binder.assemble([volume, volume], folder / "duplex.pdf", sheet=sheet, duplex=True)
    return folder, simplex, duplex


def _docx(text: str) -> bytes:
    import io

    from docx import Document
    from docx.enum.text import WD_BREAK

    doc = Document()
    for n, chunk in enumerate(text.split("\f")):
        para = doc.add_paragraph(chunk)
        if n < text.count("\f"):
            para.add_run().add_break(WD_BREAK.PAGE)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _page_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf),
                           "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.office
def test_bundle_has_cover_contents_numbers_and_bookmarks(bound):
    folder, simplex, _ = bound
    out = folder / "simplex.pdf"
    assert simplex == 1 + 1 + 4 + 1  # cover, contents, 1 + 2 + 1 pages, note
    cover = _page_text(out, 1)
    for text in ("全宗名称", "王建国集体上访个案卷", "永久", "X001-WS·2024-Y-JT-0001", "7"):
        assert text in cover
    contents = _page_text(out, 2)
    assert "卷内目录" in contents and "4-5" in contents  # 文件2 takes pages 4 and 5
    assert "备考表" in _page_text(out, 7)
    for page in range(1, simplex + 1):
        first_line = _page_text(out, page).strip().splitlines()[0].strip()
        assert first_line == str(page), (page, first_line)
    with pikepdf.open(out) as pdf, pdf.open_outline() as outline:
        titles = [i.title for i in outline.root]
        assert titles == ["卷皮", "卷内目录", "文件1", "文件2", "文件3", "备考表"]


@pytest.mark.office
def test_bundle_stays_pdfa_with_fonts_embedded(bound):
    folder, _, _ = bound
    for name in ("simplex.pdf", "duplex.pdf"):
        assert binder.pdfa_identification(folder / name) == ("2", "B", True)
        fonts = subprocess.run(["pdffonts", str(folder / name)], capture_output=True,
                               text=True, check=True).stdout.splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts


@pytest.mark.office
def test_duplex_starts_every_part_on_an_odd_page(bound):
    folder, simplex, duplex = bound
    with pikepdf.open(folder / "duplex.pdf") as pdf, pdf.open_outline() as outline:
        volumes = list(outline.root)
        assert len(volumes) == 2 and all(len(v.children) == 6 for v in volumes)
        starts = [pdf.pages.index(pikepdf.Page(c.destination[0])) for v in volumes
                  for c in v.children]
    assert all(i % 2 == 0 for i in starts)  # zero-based even = printed odd side
    assert duplex > 2 * simplex
