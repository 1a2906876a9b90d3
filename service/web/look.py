"""How the pages name and lay out things: a form's name, the agency's name in the page's
language, the column spans of a paper row, and the state a form's footer says."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from ..annexes.model import Annex, Kind

#: The paper form's grid: a row is split into this many equal columns.
GRID = 24
#: A label cell's columns; a short label (up to four characters) in a crowded row takes fewer.
LABEL_SPAN, SHORT_LABEL_SPAN, SHORT_LABEL = 4, 3, 4
#: The columns a value cell needs at the narrowest page (768 px portrait: about 30 px each),
#: so that what it holds is never cut: a date shows its year, a time its minutes.
MIN_VALUE_SPAN = {Kind.DATE: 6, Kind.TIME: 5, Kind.ORDINAL: 4}


def row_spans(annex: Annex, row: tuple[str, ...], width: int) -> list[tuple[int, int]]:
    """(label span, value span) of each cell of a paper row ``width`` columns wide.

    Every value gets the columns its kind needs (``MIN_VALUE_SPAN``); what is left is shared
    equally, the last cell taking the remainder, so the row always fills its width.
    """
    crowded = len(row) >= 3
    labels = [SHORT_LABEL_SPAN if crowded and len(annex[name].label) <= SHORT_LABEL else LABEL_SPAN
              for name in row]
    needs = [MIN_VALUE_SPAN.get(annex[name].kind, 1) for name in row]
    spare = width - sum(labels) - sum(needs)
    if spare < 0:  # cannot honour every need: fall back to equal cells
        per = width // len(row)
        spans = [(min(LABEL_SPAN, per - 1), per - min(LABEL_SPAN, per - 1)) for _ in row]
        last_label, _value = spans[-1]
        spans[-1] = (last_label, width - per * (len(row) - 1) - last_label)
        return spans
    # share the spare columns so that the cells end up as equal as their needs allow
    values = list(needs)
    for _step in range(spare):
        values[min(range(len(row)), key=lambda i: labels[i] + values[i])] += 1
    return list(zip(labels, values, strict=True))


def is_numbered(annex: Annex) -> bool:
    """Whether a case holds several of these forms, numbered (第 n 次), as its declaration says."""
    return annex.repeats


def form_name(record: Any) -> str:
    """A form's name as every page shows it: 接案表, or 会谈表 · 第2次 for a numbered one."""
    from ..annexes import ANNEXES

    annex = ANNEXES[record.annex]
    name = _(annex.short_title)
    if is_numbered(annex):
        name += " · " + _("No. %(n)s", n=record.seq)
    return name


def agency_name() -> str:
    """The agency's name in the page's language (its English name when it gave one)."""
    english = current_app.config.get("AGENCY_NAME_EN")
    if english and str(get_locale()) == "en":
        return str(english)
    return str(current_app.config.get("AGENCY_NAME", ""))


def as_typed(field: Any) -> dict[str, str]:
    """Extra attributes that show a refused date exactly as typed.

    A browser's date field cannot hold a date that does not exist (2023-02-30) and would come
    back empty; such a value comes back as plain text beside its error, to be corrected.
    """
    value = field.data if isinstance(field.data, str) else ""
    if not value or field.render_kw is None or field.render_kw.get("type") != "date":
        return {}
    try:
        date.fromisoformat(value)
    except ValueError:
        return {"type": "text", "inputmode": "numeric", "placeholder": _("YYYY-MM-DD")}
    return {}


def prefilled_cells(case: Any, record: Any) -> set[str]:
    """The text cells of a never-submitted form that still hold what its case pre-filled
    (C's 会谈对象: the petitioner's name); the page selects such a value when it is entered."""
    from ..annexes import ANNEXES
    from ..cases import lifecycle

    if record.versions:
        return set()
    annex = ANNEXES[record.annex]
    data = record.draft or {}
    given = lifecycle.prefill(case, annex, record.seq)
    return {name for name, value in given.items()
            if name in annex and annex[name].kind is Kind.TEXT
            and isinstance(value, str) and value and data.get(name) == value}


def form_texts() -> dict[str, str]:
    """The texts the form page's script shows, in the page's language."""
    return {
        "saved": _("Draft saved"),
        "saving": _("Saving…"),
        "offline": _("Offline: kept on this device, sent when the connection returns"),
        "restored": _("Restored what was typed on this device"),
        "submitting": _("Sending…"),
        "submitWaiting": _("No connection: the submission waits on this device and is sent "
                           "as soon as the connection returns. Keep this page open."),
        "badDate": _("This date does not exist: check the day and the month."),
    }


def form_state(record: Any, *, readonly: bool, reviewer: Any, version: Any = None) -> str:
    """What the form page's footer says of the form: its state, in words for this reader."""
    if version is not None:
        if version.approved_by_id is not None:
            return _("Version %(n)s, signed and approved", n=version.number)
        return _("Version %(n)s, as submitted", n=version.number)
    state = str(record.state)
    if state == "submitted":
        if reviewer == "only":
            return _("Submitted: waiting for your review")
        return _("Submitted: waiting for review")
    if state == "returned":
        return _("Returned with comments: correct the form and submit it again")
    if state == "approved":
        return _("Signed and approved: locked")
    if state == "draft":
        return _("Draft: not yet submitted") if not readonly else _("Draft")
    from .cases import STATE_NAMES

    return str(STATE_NAMES.get(record.state, state))


def init_app(app: Any) -> None:
    """Offer the helpers to every template."""
    from .queue import waiting_count

    app.jinja_env.globals.update(row_spans=row_spans, form_name=form_name,
                                 agency_name=agency_name, GRID=GRID,
                                 waiting_count=waiting_count, form_texts=form_texts,
                                 form_state=form_state, as_typed=as_typed,
                                 prefilled_cells=prefilled_cells)
