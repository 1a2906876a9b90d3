"""How the pages name and lay out things: a form's name, the agency's name in the page's
language, the column spans of a paper row, and the state a form's footer says."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from ..annexes.model import Annex, Kind

#: The paper form's grid: a row is split into this many equal columns.
GRID = 24
#: A label cell's columns; a short label (two characters) in a crowded row takes fewer.
LABEL_SPAN, SHORT_LABEL_SPAN = 4, 3
#: The columns a value cell needs at the narrowest page (768 px portrait: about 30 px each),
#: so that what it holds is never cut: a date shows its year, a time its minutes.
MIN_VALUE_SPAN = {Kind.DATE: 6, Kind.TIME: 5, Kind.ORDINAL: 3}


def row_spans(annex: Annex, row: tuple[str, ...], width: int) -> list[tuple[int, int]]:
    """(label span, value span) of each cell of a paper row ``width`` columns wide.

    Every value gets the columns its kind needs (``MIN_VALUE_SPAN``); what is left is shared
    equally, the last cell taking the remainder, so the row always fills its width.
    """
    crowded = len(row) >= 3
    labels = [SHORT_LABEL_SPAN if crowded and len(annex[name].label) <= 2 else LABEL_SPAN
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
    """Whether a case holds several of these forms, numbered (第 n 次) by an ordinal cell."""
    return any(f.kind is Kind.ORDINAL for f in annex)


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


def init_app(app: Any) -> None:
    """Offer the helpers to every template."""
    from .queue import waiting_count

    app.jinja_env.globals.update(row_spans=row_spans, form_name=form_name,
                                 agency_name=agency_name, GRID=GRID,
                                 waiting_count=waiting_count)
