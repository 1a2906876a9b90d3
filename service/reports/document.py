"""The quarterly service report (8.2 定期公开) as a Word document, in Chinese or English, from a
template the agency may edit (``form_templates/service_report.docx``; its tags are listed in
``form_templates/README.md``), with charts. Public: aggregates only, counts below 5 suppressed.
The PDF/A copy is converted from this Word file by the documents pipeline, like every copy."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from flask_babel import force_locale, gettext

from .charts import bar_chart
from .public import SUPPRESS_BELOW, count, public_summary, shown
from .summary import CORE_KEYS, EXTRA_KEYS, NAMES

TEMPLATE = Path(__file__).resolve().parents[2] / "form_templates" / "service_report.docx"
LOCALES = {"zh": "zh_Hans_CN", "en": "en"}


def N_(message: str) -> str:  # noqa: N802 - the conventional name for a deferred msgid
    """Mark a text for the catalogs."""
    return message


LABELS = {
    "title": N_("Petition social work service report"),
    "figures": N_("Figures"),
    "figure": N_("Figure"),
    "value": N_("Value"),
    "charts": N_("Charts"),
    "needs": N_("问题/需要 of the cases served"),
    "places": N_("Caseload by 问题属地"),
    "cases": N_("Cases"),
    "note": N_("Published under 8.2 of the standard: figures of the whole agency only; "
               "every count below %(n)s is shown as <%(n)s so that no petitioner can be "
               "singled out. The README defines each figure."),
}


def report_context(data: dict[str, Any], lang: str, agency: str) -> dict[str, Any]:
    """The template's values for a summary, in ``lang`` (zh or en)."""
    public = public_summary(data)
    with force_locale(LOCALES[lang]):
        labels = {k: gettext(v) for k, v in LABELS.items() if k != "note"}
        labels["note"] = gettext(LABELS["note"], n=SUPPRESS_BELOW)
        figures = [{"key": k, "name": gettext(NAMES[k]), "value": shown(k, public[k])}
                   for k in CORE_KEYS + EXTRA_KEYS]
        needs = [{"name": gettext(k), "value": count(v)} for k, v in public["needs"].items()]
        places = [{"name": gettext(k), "value": count(v["caseload"])}
                  for k, v in public["by_place"].items()]
    return {"labels": labels, "agency": agency, "figures": figures, "needs": needs,
            "places": places, "period": f"{data['from']} – {data['to']}", "lang": lang}


def _chart(tpl: DocxTemplate, title: str, rows: list[dict[str, Any]],
           raw: list[int]) -> InlineImage:
    top = max(raw, default=0) or 1
    # a suppressed count draws no bar, so the picture tells no more than the number
    bars = [(r["name"], r["value"], (n / top) if n >= SUPPRESS_BELOW else 0.0)
            for r, n in zip(rows, raw, strict=True)]
    return InlineImage(tpl, io.BytesIO(bar_chart(title, bars)), width=Mm(160))


def render_report(data: dict[str, Any], *, lang: str = "zh", agency: str = "",
                  template: Path | None = None) -> bytes:
    """The report's Word file for a summary made by :func:`summary`."""
    if lang not in LOCALES:
        raise ValueError(f"lang must be one of {sorted(LOCALES)}")
    context = report_context(data, lang, agency)
    tpl = DocxTemplate(str(template or TEMPLATE))
    public = public_summary(data)
    context["chart_needs"] = _chart(tpl, context["labels"]["needs"], context["needs"],
                                    list(public["needs"].values()))
    context["chart_places"] = _chart(tpl, context["labels"]["places"], context["places"],
                                     [v["caseload"] for v in public["by_place"].values()])
    tpl.render(context, autoescape=True)
    tpl.docx.core_properties.title = context["labels"]["title"]
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def build_template(path: Path = TEMPLATE) -> None:
    """Write the default template (run once; an agency then edits it in Word)."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Noto Serif CJK SC"
    style.font.size = Pt(10.5)
    doc.add_heading("{{ labels.title }}", level=0)
    doc.add_paragraph("{{ agency }} · {{ period }}")
    doc.add_heading("{{ labels.figures }}", level=1)
    table = doc.add_table(rows=4, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("{{ labels.figure }}", "{{ labels.value }}",
                                                "JSON"), strict=True):
        cell.text = text
    table.rows[1].cells[0].text = "{%tr for f in figures %}"
    for cell, text in zip(table.rows[2].cells, ("{{ f.name }}", "{{ f.value }}", "{{ f.key }}"),
                          strict=True):
        cell.text = text
    table.rows[3].cells[0].text = "{%tr endfor %}"
    doc.add_heading("{{ labels.charts }}", level=1)
    doc.add_paragraph("{{ chart_needs }}")
    doc.add_paragraph("{{ chart_places }}")
    doc.add_heading("{{ labels.needs }}", level=1)
    needs = doc.add_table(rows=4, cols=2)
    needs.style = "Table Grid"
    needs.rows[0].cells[0].text, needs.rows[0].cells[1].text = "{{ labels.needs }}", \
        "{{ labels.cases }}"
    needs.rows[1].cells[0].text = "{%tr for n in needs %}"
    needs.rows[2].cells[0].text, needs.rows[2].cells[1].text = "{{ n.name }}", "{{ n.value }}"
    needs.rows[3].cells[0].text = "{%tr endfor %}"
    doc.add_paragraph("{{ labels.note }}")
    doc.save(str(path))
