"""The vocabulary in which the annexes are declared.

Plain, frozen data with no Flask, no WTForms and no I/O. An :class:`Annex` lists its fields in
printed order, the rows in which the paper form lays them out and the rules that tie fields
together. Every other package (forms, HTML, JSON Schema, Word context, importer, catalogs)
derives from these objects; none of them types a label or an option text again. What a
declaration derives (its write-ins, its data keys) is worked out once per object and kept, as
every form read or saved asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import Any

from .process import Stage


class Kind(StrEnum):
    """What a cell holds."""

    TEXT = "text"  # one line
    LONGTEXT = "longtext"  # a paragraph or more
    PHONE = "phone"
    DATE = "date"  # YYYY-MM-DD
    YEAR_MONTH = "year_month"  # YYYY-MM
    TIME = "time"  # HH:MM or HH:MM-HH:MM
    INTEGER = "integer"
    ORDINAL = "ordinal"  # 第 __ 次: a whole number from 1
    ONE_OF = "one_of"  # a row of boxes, exactly one ticked
    ANY_OF = "any_of"  # a row of boxes, any number ticked (可多选)
    SIGNATURE = "signature"  # a drawn signature with its date (and a remark for a sign-off)
    IMAGE = "image"  # a picture (genogram / eco-map)
    TABLE = "table"  # rows of columns (Annex D's goal table)


CHOICE_KINDS = frozenset({Kind.ONE_OF, Kind.ANY_OF})

#: Sane upper bounds on what a person types, by kind (characters).
MAX_LENGTH = {
    Kind.TEXT: 200,
    Kind.PHONE: 40,
    Kind.LONGTEXT: 20_000,
    Kind.TIME: 20,
}
#: A drawn signature or picture as a PNG data URL is at most this many characters.
MAX_IMAGE_CHARS = 2_000_000


@dataclass(frozen=True)
class Option:
    """One box of an option set.

    ``text`` is the option as printed minus its write-in cue (``其他``); ``cue`` is the cue
    printed after it (``（请注明）：``). ``note`` names the data key holding the write-in text;
    an option without ``note`` takes no write-in.
    """

    text: str
    cue: str = ""
    note: str | None = None

    @property
    def printed(self) -> str:
        """The option exactly as the standard prints it beside its box."""
        return self.text + self.cue

    @property
    def has_write_in(self) -> bool:
        return self.note is not None


@dataclass(frozen=True)
class Column:
    """A column of a table field.

    A column may carry, behind its printed text, a choice from ``options`` kept under the row
    key ``choice_key`` (Annex D's 目标达成情况 keeps what the worker wrote and, beside it, the
    outcome 7.1.5 counts). The options are an addition to the paper and are never printed.
    """

    name: str
    label: str
    kind: Kind = Kind.TEXT
    options: tuple[Option, ...] = ()
    choice_key: str | None = None

    def option(self, text: str) -> Option | None:
        """The option whose text is ``text``, or None."""
        return next((o for o in self.options if o.text == text), None)


@dataclass(frozen=True)
class Field:
    """One cell of a form: its data key, printed label and what it holds."""

    name: str
    label: str
    kind: Kind
    options: tuple[Option, ...] = ()
    hint: str = ""  # printed in the empty cell
    group: str = ""  # the label of the row group it belongs to (服务计划)
    sub_label: str = ""  # printed under the label (可多选)
    prefix: str = ""  # printed before the value (第)
    suffix: str = ""  # printed after the value (次)
    date_label: str = ""  # a signature's own date label (签字日期), if printed
    with_remark: bool = False  # a sign-off that carries a remark (主任签批)
    columns: tuple[Column, ...] = ()
    required: bool = False  # on submission; drafts may be incomplete
    reviewer_only: bool = False  # written by a supervisor or director only (8.3)
    suggestions: tuple[str, ...] = ()  # offered while typing, not enforced
    derived_from: tuple[str, ...] = ()  # fields the value follows from
    past_only: bool = False  # a date (a signature's too) that cannot lie after today

    @property
    def is_choice(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def max_length(self) -> int | None:
        return MAX_LENGTH.get(self.kind)

    def option(self, text: str) -> Option | None:
        """The option whose text is ``text``, or None."""
        return next((o for o in self.options if o.text == text), None)

    @cached_property
    def option_texts(self) -> tuple[str, ...]:
        return tuple(o.text for o in self.options)

    @cached_property
    def notes(self) -> tuple[Option, ...]:
        """The options that carry a write-in."""
        return tuple(o for o in self.options if o.has_write_in)


@dataclass(frozen=True)
class Section:
    """A part of the form under an optional heading row, laid out as rows of fields."""

    heading: str
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class DateOrder:
    """``later`` may not be before ``earlier``."""

    earlier: str
    later: str


@dataclass(frozen=True)
class RequiredWhen:
    """``field`` is required when ``when`` holds ``value``."""

    field: str
    when: str
    value: str


Rule = DateOrder | RequiredWhen


@dataclass(frozen=True)
class StageRule:
    """Once the form is submitted the case reaches ``stage``, if ``when_filled`` is filled
    (or always, when it names no field). The first rule that holds wins."""

    stage: Stage
    when_filled: str = ""


@dataclass(frozen=True)
class Outcomes:
    """A table of goals, each row of which needs its outcome before the form is signed off.

    ``planned_in`` names the field of the opening form that lists the goals, one a line, from
    which a new form's rows start.
    """

    table: str
    goal: str
    outcome: str
    planned_in: str = ""


#: What a new form may take from its case (``Annex.prefill`` values).
PREFILL_SOURCES = frozenset({"worker", "client_name", "opened_on", "seq"})


@dataclass(frozen=True)
class Annex:
    """One official form of the standard, with what it means for a case.

    Besides the cells, a declaration says how a case holds the form (``repeats``: any number,
    numbered by ``seq_field``; otherwise one), where it stands in a case file (``order``),
    which cell is its date and which the petitioner's name, what it writes on its case
    (``case_fields``, ``stages``), whether it opens the case or closes (``closes_case``) or
    transfers it (``transfer_when``), and what a new one takes from its case (``prefill``).
    """

    code: str  # B, C, D
    title: str  # 信访社会工作服务接案表
    short_title: str  # 接案表
    annex_label: str  # 附录B
    fields: tuple[Field, ...]
    sections: tuple[Section, ...]
    rules: tuple[Rule, ...] = ()
    order: int = 0  # its place in a case file: the opening form, the sessions, the closing
    repeats: bool = False  # a case holds any number of these (numbered); otherwise one
    seq_field: str = ""  # the cell that numbers a repeated form within its case (第 n 次)
    date_field: str = ""  # the form's own date: a case file sorts its forms by it
    name_field: str = ""  # the cell naming the petitioner (or who was met)
    opens_case: bool = False  # the form a new case starts with; its data names the case
    closes_case: bool = False  # its sign-off closes (or transfers) the case and files it
    transfer_when: RequiredWhen | None = None  # the case is transferred, not closed, when
    case_fields: tuple[tuple[str, str], ...] = ()  # (case attribute, field) it sets
    stages: tuple[StageRule, ...] = ()  # the stage its submission moves the case to
    prefill: tuple[tuple[str, str], ...] = ()  # (field, one of PREFILL_SOURCES)
    outcomes: Outcomes | None = None  # goals whose outcomes sign-off needs
    _by_name: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"Annex {self.code}: duplicate field names")
        laid_out = [n for s in self.sections for row in s.rows for n in row]
        if sorted(laid_out) != sorted(names):
            raise ValueError(f"Annex {self.code}: the rows must lay out every field once")
        if laid_out != names:
            raise ValueError(f"Annex {self.code}: rows must follow the printed order")
        self._by_name.update({f.name: f for f in self.fields})
        named = [self.seq_field, self.date_field, self.name_field,
                 *(name for _, name in self.case_fields), *(name for name, _ in self.prefill),
                 *(r.when_filled for r in self.stages)]
        if self.outcomes is not None:
            named.append(self.outcomes.table)
        if self.transfer_when is not None:
            named.append(self.transfer_when.when)
        if unknown := sorted({n for n in named if n and n not in names}):
            raise ValueError(f"Annex {self.code}: no such field {unknown}")
        if self.repeats != bool(self.seq_field):
            raise ValueError(f"Annex {self.code}: a repeated form is numbered by a field")
        if bad := sorted({s for _, s in self.prefill} - PREFILL_SOURCES):
            raise ValueError(f"Annex {self.code}: unknown prefill source {bad}")

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    @property
    def note_keys(self) -> Mapping[str, tuple[Field, Option]]:
        """Every write-in data key with the field and option it belongs to (read-only)."""
        return MappingProxyType(self._note_keys)

    @cached_property
    def _note_keys(self) -> dict[str, tuple[Field, Option]]:
        return {o.note: (f, o) for f in self.fields for o in f.notes if o.note}

    @cached_property
    def data_keys(self) -> tuple[str, ...]:
        """Every key a filled form may hold: the fields, each followed by its write-ins."""
        keys: list[str] = []
        for f in self.fields:
            keys.append(f.name)
            keys.extend(o.note for o in f.notes if o.note)
        return tuple(keys)

    @cached_property
    def reviewer_fields(self) -> tuple[str, ...]:
        """The cells only a supervisor or director writes (8.3)."""
        return tuple(f.name for f in self.fields if f.reviewer_only)

    def reviewer_part(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The reviewer's cells of ``data``, each present (``None`` where ``data`` has none)."""
        return {name: data.get(name) for name in self.reviewer_fields}

    def worker_part(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """``data`` without the reviewer's cells: what a worker writes and submits."""
        return {k: v for k, v in data.items() if k not in self.reviewer_fields}

    @cached_property
    def reviewer_signatures(self) -> tuple[str, ...]:
        """The reviewer's signature cells: a sign-off needs each of them signed and dated."""
        return tuple(f.name for f in self.fields if f.reviewer_only and f.kind is Kind.SIGNATURE)

    def transfers(self, data: dict[str, object]) -> bool:
        """Whether this (closing) form's ``data`` transfers the case rather than closing it."""
        rule = self.transfer_when
        return rule is not None and data.get(rule.when) == rule.value

    def stage_after(self, data: dict[str, object]) -> Stage | None:
        """The stage a case reaches when this form, holding ``data``, is submitted."""
        for rule in self.stages:
            if not rule.when_filled or data.get(rule.when_filled):
                return rule.stage
        return None

    def texts(self) -> Iterator[str]:
        """Every official text of the form (title, headings, labels, hints, options)."""
        yield self.title
        for s in self.sections:
            if s.heading:
                yield s.heading
        for f in self.fields:
            yield from (t for t in (f.group, f.label, f.sub_label, f.hint, f.prefix, f.suffix,
                                    f.date_label) if t)
            for o in f.options:
                yield o.text
                if o.cue:
                    yield o.printed
            for c in f.columns:
                yield c.label
