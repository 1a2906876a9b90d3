"""Build a WTForms form class from an annex declaration.

WTForms holds and renders the values; the checks are the declaration's own
(:func:`service.annexes.validate.clean`), so the web form, the API and the importer accept and
refuse exactly the same data. Errors land beside the field they concern.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask_babel import lazy_gettext
from werkzeug.datastructures import MultiDict
from wtforms import Field as WTField
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget, RadioInput

from ..annexes import ANNEXES
from ..annexes.model import Annex, Column, Field, Kind
from ..annexes.validate import MAX_TABLE_ROWS, Problem
from .page import PageForm


class FieldNameError(ValueError):
    """Posted names that look like a cell of the form but name none (``goals.².goal``)."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


class OneOfField(RadioField):
    """A one-of set, drawn as boxes by the page (``annex_form.html``); the declaration, not
    WTForms, checks what was posted (:func:`parse_formdata` keeps every value)."""

    option_widget = RadioInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = valuelist[0] if len(valuelist) == 1 else (valuelist or "")

    def pre_validate(self, form: Form) -> None:  # the declaration checks the options
        pass


class AnyOfField(SelectMultipleField):
    """An any-of set (可多选), drawn as boxes by the page like :class:`OneOfField`."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Form) -> None:
        pass


class AnnexForm(PageForm):
    """Base of every annex form; see :func:`form_class`."""

    annex: Annex
    submission_token = HiddenField()

    def attach(self, problems: list[Problem]) -> None:
        """Put each problem's message beside the field it concerns."""
        for problem in problems:
            self._attach(problem)

    def _attach(self, problem: Problem) -> None:
        from ..i18n import problem_message

        parts = problem.key.split(".")
        target: Any = self._fields.get(parts[0])
        try:
            if target is not None and len(parts) == 3:  # table cell: goals.0.goal
                target = target.entries[int(parts[1])][parts[2]]
            elif target is not None and len(parts) == 2:  # signature part
                target = target[parts[1]]
        except (IndexError, KeyError, ValueError):
            pass
        if target is None:
            target = self.submission_token
        errors = list(target.errors) if isinstance(target.errors, list) else []
        errors.append(problem_message(problem))
        target.errors = errors


def parse_formdata(annex: Annex, formdata: MultiDict) -> dict[str, Any]:
    """What a browser posted, in the declaration's shape (not yet checked).

    Reads the posted fields directly, so that a save needs no form object; a one-of set keeps
    every value posted, so that two ticks are caught by the check, not silently dropped.
    """
    if unknown := unknown_names(annex, formdata):
        raise FieldNameError(unknown)
    data: dict[str, Any] = {}
    for f in annex:
        if f.kind is Kind.ONE_OF:
            posted = formdata.getlist(f.name)
            data[f.name] = posted if len(posted) > 1 else (posted[0] if posted else "")
        elif f.kind is Kind.ANY_OF:
            data[f.name] = formdata.getlist(f.name)
        elif f.kind is Kind.SIGNATURE:
            parts = ("image", "date", "remark") if f.with_remark else ("image", "date")
            data[f.name] = {p: formdata.get(f"{f.name}.{p}", "") for p in parts
                            if formdata.get(f"{f.name}.{p}")}
        elif f.kind is Kind.TABLE:
            data[f.name] = _table_rows(f, formdata)
        else:
            data[f.name] = formdata.get(f.name, "")
        for option in f.notes:
            assert option.note
            data[option.note] = formdata.get(option.note, "")
    return data


#: Every cell name of every annex: a dotted posted name that starts with one is a path to a cell.
_CELL_NAMES = frozenset(f.name for a in ANNEXES.values() for f in a)


def _row_index(text: str) -> int | None:
    """A table row's index as posted (``0`` to ``199``, ASCII digits only), or None."""
    if text.isascii() and text.isdigit() and len(text) <= 4 and int(text) < MAX_TABLE_ROWS:
        return int(text)
    return None


def _known_parts(f: Field) -> set[str]:
    if f.kind is Kind.SIGNATURE:
        return {"image", "date", "name"} | ({"remark"} if f.with_remark else set())
    return {c.name for c in f.columns} | {c.choice_key for c in f.columns if c.choice_key}


def unknown_names(annex: Annex, formdata: MultiDict) -> list[str]:
    """The posted names that are paths into a form's cells (``goals.0.goal``,
    ``worker_signature.date``) but into none of ``annex``'s: a part it lacks, a row index that
    is no row (``goals.².goal``), a cell of another annex. Other names (tokens, buttons, a
    reviewer's comments) are not the form's concern."""
    compound = {f.name: f for f in annex if f.kind in (Kind.TABLE, Kind.SIGNATURE)}
    unknown = []
    for key in formdata:
        head, dot, rest = key.partition(".")
        if not dot or head not in _CELL_NAMES:
            continue
        f = compound.get(head)
        if f is None:
            ok = False
        elif f.kind is Kind.TABLE:
            index, _, column = rest.partition(".")
            ok = _row_index(index) is not None and column in _known_parts(f)
        else:
            ok = rest in _known_parts(f)
        if not ok:
            unknown.append(key)
    return unknown


def _table_rows(f: Field, formdata: MultiDict) -> list[dict[str, Any]]:
    """Rows posted as ``goals.<i>.<column>``, in the order of their index."""
    rows: dict[int, dict[str, Any]] = {}
    prefix = f"{f.name}."
    columns = {c.name for c in f.columns} | {c.choice_key for c in f.columns if c.choice_key}
    for key in formdata:
        if not key.startswith(prefix):
            continue
        index, _, column = key[len(prefix):].partition(".")
        row = _row_index(index)
        if row is not None and column in columns:
            rows.setdefault(row, {})[column] = formdata.get(key, "")
    return [rows[i] for i in sorted(rows)]


def _label(text: str) -> Any:
    return lazy_gettext(text)


def _choices(f: Field | Column) -> list[SelectChoice]:
    return [SelectChoice(o.text, _label(o.printed)) for o in f.options]


def _row_form(f: Field) -> type[Form]:
    attrs: dict[str, Any] = {}
    for c in f.columns:
        if c.kind is Kind.LONGTEXT:
            attrs[c.name] = TextAreaField(_label(c.label), render_kw={"rows": 2})
        elif c.kind is Kind.INTEGER:
            attrs[c.name] = StringField(_label(c.label), render_kw={
                "inputmode": "numeric", "readonly": True, "class": "seq"})
        else:
            attrs[c.name] = StringField(_label(c.label))
        if c.choice_key:
            attrs[c.choice_key] = SelectField(
                _label(c.label), choices=[SelectChoice("", "—"), *_choices(c)], validate_choice=False,
                render_kw={"class": "choice"})
    return type(f"{f.name.title()}Row", (Form,), attrs)


def _signature_form(f: Field) -> type[Form]:
    attrs: dict[str, Any] = {
        "image": HiddenField(_label(f.label), render_kw={"class": "signature-data"}),
        "date": StringField(_label(f.date_label or f.label),
                            render_kw={"type": "date", "class": "date"}),
    }
    if f.with_remark:
        attrs["remark"] = TextAreaField(_label(f.label), render_kw={"rows": 3})
    return type(f"{f.name.title()}Signature", (Form,), attrs)


def _wtfield(f: Field) -> WTField:
    label = _label(f.label)
    limit: dict[str, Any] = {"maxlength": f.max_length} if f.max_length else {}
    match f.kind:
        case Kind.LONGTEXT:
            return TextAreaField(label, render_kw={**limit, "rows": 4})
        case Kind.TEXT | Kind.PHONE | Kind.TIME:
            kw = dict(limit)
            if f.kind is Kind.PHONE:
                kw.update(type="tel", inputmode="tel", autocomplete="off")
            if f.suggestions:
                kw["list"] = f"{f.name}-suggestions"
            return StringField(label, render_kw=kw)
        case Kind.DATE:
            return StringField(label, render_kw={"type": "date", "class": "date"})
        case Kind.YEAR_MONTH:
            return StringField(label, render_kw={"type": "month", "placeholder": "1961-03"})
        case Kind.INTEGER | Kind.ORDINAL:
            return StringField(label, render_kw={"inputmode": "numeric", "pattern": "[0-9]*",
                                                 "class": "number"})
        case Kind.ONE_OF:
            return OneOfField(label, choices=_choices(f), validate_choice=False)
        case Kind.ANY_OF:
            return AnyOfField(label, choices=_choices(f), validate_choice=False)
        case Kind.IMAGE:
            return HiddenField(label, render_kw={"class": "picture-data"})
        case Kind.SIGNATURE:
            return FormField(_signature_form(f), label=label, separator=".")
        case Kind.TABLE:
            return FieldList(FormField(_row_form(f), separator="."), label=label,
                             min_entries=1, max_entries=200, separator=".")
    raise AssertionError(f.kind)


@cache
def form_class(annex: Annex) -> type[AnnexForm]:
    """The WTForms class of ``annex`` (built once)."""
    attrs: dict[str, Any] = {"annex": annex}
    for f in annex:
        attrs[f.name] = _wtfield(f)
        for option in f.notes:
            assert option.note
            attrs[option.note] = StringField(
                _label(option.printed), render_kw={"maxlength": 200, "class": "write-in",
                                                   "data-option": option.text})
    return type(f"Annex{annex.code}Form", (AnnexForm,), attrs)


def form_for(annex: Annex, *, formdata: MultiDict | None = None,
             data: dict[str, Any] | None = None, **kwargs: Any) -> AnnexForm:
    """An annex form bound to posted ``formdata`` or filled from stored ``data``."""
    cls = form_class(annex)
    if formdata is not None:
        return cls(formdata=formdata, **kwargs)
    return cls(formdata=None, data=_to_form_data(annex, data or {}), **kwargs)


def _to_form_data(annex: Annex, data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for f in annex:
        value = data.get(f.name)
        if f.kind is Kind.TABLE:
            out[f.name] = [dict(r) for r in value] if isinstance(value, list) and value else [{}]
        elif f.kind is Kind.SIGNATURE:
            out[f.name] = value if isinstance(value, dict) else {}
        elif f.kind in (Kind.INTEGER, Kind.ORDINAL) and value is not None:
            out[f.name] = str(value)
    return out



def to_formdata(annex: Annex, data: dict[str, Any]) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser would post for ``data`` (tests, benchmarks, scripts)."""
    pairs: list[tuple[str, str]] = []
    for f in annex:
        value = data.get(f.name)
        if f.kind is Kind.ANY_OF:
            pairs.extend((f.name, v) for v in value or [])
        elif f.kind is Kind.ONE_OF and isinstance(value, list):
            pairs.extend((f.name, v) for v in value)
        elif f.kind is Kind.SIGNATURE:
            pairs.extend((f"{f.name}.{k}", str(v)) for k, v in (value or {}).items())
        elif f.kind is Kind.TABLE:
            for i, row in enumerate(value or []):
                pairs.extend((f"{f.name}.{i}.{k}", "" if v is None else str(v))
                             for k, v in row.items())
        elif value not in (None, ""):
            pairs.append((f.name, str(value)))
        for option in f.notes:
            assert option.note
            if data.get(option.note):
                pairs.append((option.note, data[option.note]))
    return pairs
