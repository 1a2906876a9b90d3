"""The satisfaction survey's official Word copy, from the template built from its declaration.

Like :func:`.render.render_docx` for the annexes: ``form_templates/survey.docx`` holds the
labels (taken from ``service.evaluation.survey`` when it was built) and docxtpl tags; this
module builds the context they read from one answered survey (every value escaped) and prints
the page's QR code in the header. Answers in, Word bytes out: no case, no database.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from docx.shared import Mm
from docxtpl import InlineImage

from ..annexes import Kind
from ..evaluation import survey
from . import render
from .pagecode import PageCode, qr_png, template_version
from .render import DocumentError, DocumentMeta

#: The template's file name in the templates folder (FORM_TEMPLATES_DIR).
TEMPLATE_NAME = "survey.docx"


def template_path(directory: Path | None = None) -> Path:
    """The survey's Word template."""
    return (directory or render.TEMPLATES_DIR) / TEMPLATE_NAME


def build_context(answers: Mapping[str, Any], meta: DocumentMeta) -> dict[str, Any]:
    """The docxtpl context of one answered survey: ``v`` (date, comment), ``opts.respondent``
    (who answered, every choice with its box) and ``points.<item>`` (five boxes, one ticked)."""
    values, problems = survey.check({k: str(v) for k, v in answers.items()
                                     if k != "filled_on" and v is not None})
    if problems:
        raise DocumentError(f"The survey has {len(problems)} problem(s): "
                            + ", ".join(sorted(problems)))
    points = {item.key: [render.TICKED if values[item.key] == n else render.UNTICKED
                         for n in range(1, len(survey.POINTS) + 1)]
              for item in survey.ITEMS}
    respondent = [{"box": render.TICKED if key == values["respondent"] else render.UNTICKED,
                   "ticked": key == values["respondent"], "text": text}
                  for key, text in survey.RESPONDENTS.items()]
    filled_on = render.printed_value(Kind.DATE, str(answers.get("filled_on") or ""))
    return {
        "v": {"filled_on": render.text(filled_on),
              survey.COMMENT.key: render.text(values[survey.COMMENT.key])},
        "opts": {"respondent": respondent},
        "points": points,
        "meta": {"case_number": render.text(meta.case_number),
                 "agency": render.text(meta.agency),
                 "title": render.text(meta.title or survey.TITLE), "version": meta.version,
                 **{k: render.text(v) for k, v in meta.extra.items()}},
    }


def render_survey_docx(answers: Mapping[str, Any], meta: DocumentMeta | None = None, *,
                       template: Path | None = None) -> bytes:
    """The official Word copy of an answered survey: ``answers`` holds ``filled_on`` (ISO
    date), ``respondent``, each item's point (1 to 5) and the comment, as
    :func:`service.evaluation.survey.check` stores them. DocumentError if they are not valid."""
    meta = meta or DocumentMeta()
    source = render._template_bytes(template or template_path())
    tpl = render._Template(io.BytesIO(source))
    context = build_context(answers, meta)
    version = template_version(source)
    context["meta"].update({
        name: InlineImage(tpl, io.BytesIO(qr_png(PageCode(
            annex=survey.CODE, template=version, page=page, case_number=meta.case_number))),
            width=Mm(render.CODE_MM), height=Mm(render.CODE_MM))
        for name, page in (("code_first", 1), ("code", 0))})
    tpl.render(context, render._ENV, autoescape=True)
    props = tpl.docx.core_properties
    when = (meta.created or datetime.now(UTC)).replace(tzinfo=None, microsecond=0)
    props.title = meta.title or survey.TITLE
    props.subject = props.identifier = meta.case_number
    props.author = props.last_modified_by = meta.author or meta.agency
    props.category = survey.SHORT_TITLE
    props.keywords = meta.case_number
    props.comments = meta.agency
    props.language = "zh-CN"
    props.revision = max(1, meta.version)
    props.created = props.modified = when
    render._set_company(tpl, meta.agency)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()
