"""The archive policy: which 类别, 等级 and 保管期限 a closed case files under, and its 档号.

The policy is a TOML file (``policy.toml`` beside this module is the default; the
ARCHIVE_POLICY setting names another). :func:`load_policy` checks it completely and raises
:class:`PolicyError` with every problem found, so a bad file stops the service at start-up.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..annexes.process import SCREENING, UNGRADED, RiskGrade, SpecialProcess

DEFAULT_POLICY = Path(__file__).with_name("policy.toml")

_CODE = re.compile(r"^[A-Z0-9]{1,8}$")
_BAD_NAME = re.compile(r"[/\\\x00-\x1f:*?\"<>|]")
_CONDITIONS = {"special_process", "screening", "risk_grade", "confidential", "transferred"}
_TITLE_KEYS = {"client", "category", "number", "year"}
#: The 档号 separators: 全宗号-门类·年度-保管期限-类别-案卷号.
_DOT = "·"
_FOLDER_DOT = "."


class PolicyError(ValueError):
    """The policy file is unreadable or inconsistent; the message lists every problem."""


@dataclass(frozen=True)
class CaseFacts:
    """What the archive needs to know about a case: plain data, no database."""

    case_id: int
    number: str  # the case number (XF-2024-00001)
    client_name: str = ""
    worker: str = ""
    special_process: str | None = None
    screening: dict[str, Any] = field(default_factory=dict)
    risk_grade: str | None = None
    confidential: bool = False
    transferred: bool = False
    opened_on: date | None = None
    closed_on: date | None = None


@dataclass(frozen=True)
class Rule:
    """One ``[[category]]`` or ``[[grade]]`` entry."""

    name: str
    code: str = ""
    retention: str = ""
    when: dict[str, Any] = field(default_factory=dict)

    def holds(self, facts: CaseFacts) -> bool:
        """Whether every condition of ``when`` holds for the case."""
        return all(_condition(key, want, facts) for key, want in self.when.items())


@dataclass(frozen=True)
class Placement:
    """Where a case files: the tree's levels below the 全宗号."""

    fonds: str
    year: int
    retention: str  # 永久
    retention_code: str  # Y
    category: str  # 集体上访
    category_code: str  # JT
    grade: str  # 高风险

    def folder(self, dang_hao: str) -> Path:
        """The case folder, relative to the archive root."""
        return (Path(self.fonds) / str(self.year) / self.retention / self.category / self.grade
                / folder_name(dang_hao))


@dataclass(frozen=True)
class Policy:
    """A checked archive policy."""

    fonds: str
    class_code: str
    serial_digits: int
    item_digits: int
    fonds_name: str
    title: str
    retention: dict[str, str]  # name -> code, longest first
    categories: tuple[Rule, ...]
    grades: tuple[Rule, ...]
    source: str = ""
    #: The agency's service reports (8.2): one 案卷 a year, filed apart from the case files.
    reports: Rule = Rule(name="服务报告", code="BG", retention="永久")
    reports_title: str = "{year}年度{category}"

    def place(self, facts: CaseFacts) -> Placement:
        """The placement of a closed case. The year is the year it closed."""
        if facts.closed_on is None:
            raise ValueError(f"case {facts.number} has no closing date")
        category = _first(self.categories, facts)
        grade = _first(self.grades, facts)
        retention = self.longer(category.retention, grade.retention)
        return Placement(fonds=self.fonds, year=facts.closed_on.year, retention=retention,
                         retention_code=self.retention[retention], category=category.name,
                         category_code=category.code, grade=grade.name)

    def place_reports(self, year: int) -> Placement:
        """Where the service reports of ``year`` file: <全宗号>/<年度>/<保管期限>/<类别>/<档号>/,
        with no 等级 level (an agency's record has no risk grade)."""
        return Placement(fonds=self.fonds, year=year, retention=self.reports.retention,
                         retention_code=self.retention[self.reports.retention],
                         category=self.reports.name, category_code=self.reports.code,
                         grade="")

    def reports_file_title(self, placement: Placement) -> str:
        """The 案卷题名 of a year's service reports."""
        return self.reports_title.format(year=placement.year, category=placement.category)

    def longer(self, a: str, b: str) -> str:
        """The longer of two retention periods ('' counts as none)."""
        order = list(self.retention)
        present = [r for r in (a, b) if r]
        return min(present, key=order.index)

    def counter_key(self, placement: Placement) -> str:
        """The series a 案卷号 counts in: 全宗号-门类·年度-保管期限-类别."""
        return (f"{placement.fonds}-{self.class_code}{_DOT}{placement.year}-"
                f"{placement.retention_code}-{placement.category_code}")

    def dang_hao(self, placement: Placement, serial: int) -> str:
        """The 档号 of case file ``serial`` in its series, zero-padded."""
        if serial < 1 or serial >= 10 ** self.serial_digits:
            raise ValueError(f"案卷号 {serial} does not fit in {self.serial_digits} digits")
        return f"{self.counter_key(placement)}-{serial:0{self.serial_digits}d}"

    def item_name(self, dang_hao: str, item_no: int, title: str, suffix: str,
                  version: int = 1) -> str:
        """A 件's file name: <档号>-<件号>-<表名>[-v<n>].<suffix>, with a folder-safe 档号."""
        tail = f"-v{version}" if version > 1 else ""
        return f"{folder_name(dang_hao)}-{item_no:0{self.item_digits}d}-{title}{tail}.{suffix}"

    def case_title(self, facts: CaseFacts, placement: Placement) -> str:
        """The 案卷题名 of a case."""
        return self.title.format(client=facts.client_name, category=placement.category,
                                 number=facts.number, year=placement.year)


def folder_name(dang_hao: str) -> str:
    """The folder (and file-name) form of a 档号: the middle dot becomes a full stop."""
    return dang_hao.replace(_DOT, _FOLDER_DOT)


def parse_dang_hao(text: str) -> str:
    """A 档号 from what a person typed: the 档号 itself, its folder name or the folder's path."""
    name = Path(text.strip().rstrip("/")).name
    head, sep, rest = name.partition("-")
    if not sep:
        raise ValueError(f"not a 档号: {text!r}")
    return head + sep + rest.replace(_FOLDER_DOT, _DOT, 1)


def _first(rules: tuple[Rule, ...], facts: CaseFacts) -> Rule:
    return next(r for r in rules if r.holds(facts))  # the last rule always holds


def _as_set(value: Any) -> set[Any]:
    return set(value) if isinstance(value, list) else {value}


def _condition(key: str, want: Any, facts: CaseFacts) -> bool:
    if key == "special_process":
        return facts.special_process in _as_set(want)
    if key == "risk_grade":  # never assessed: 未评级, never a guess
        return (facts.risk_grade or UNGRADED) in _as_set(want)
    if key == "screening":
        return all(_truthy(facts.screening.get(q)) for q in _as_set(want))
    if key == "confidential":
        return facts.confidential is want
    if key == "transferred":
        return facts.transferred is want
    raise KeyError(key)


def _truthy(answer: Any) -> bool:
    return answer is True or answer in ("是", "yes", "true", 1)


def load_policy(path: str | Path | None = None, *, fonds: str = "",
                fonds_name: str = "") -> Policy:
    """Read and check a policy file (the default one when ``path`` is empty).

    ``fonds`` and ``fonds_name`` fill in a policy that leaves them empty (the FONDS_CODE and
    AGENCY_NAME settings). Raises :class:`PolicyError` listing every problem.
    """
    source = Path(path) if path else DEFAULT_POLICY
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"archive policy {source}: {exc}") from exc
    return check_policy(raw, source=str(source), fonds=fonds, fonds_name=fonds_name)


def check_policy(raw: dict[str, Any], *, source: str = "<policy>", fonds: str = "",
                 fonds_name: str = "") -> Policy:
    """A :class:`Policy` from parsed TOML, or :class:`PolicyError` listing every problem."""
    problems: list[str] = []
    unknown = set(raw) - {"fonds", "class_code", "serial_digits", "item_digits", "fonds_name",
                          "title", "retention", "category", "grade", "reports"}
    problems += [f"unknown key {k!r}" for k in sorted(unknown)]
    fonds = str(raw.get("fonds") or fonds)
    if not _CODE.match(fonds):
        problems.append(f"fonds (全宗号) {fonds!r} must be 1-8 capital letters or digits")
    class_code = str(raw.get("class_code", "WS"))
    if not _CODE.match(class_code):
        problems.append(f"class_code {class_code!r} must be 1-8 capital letters or digits")
    digits = {k: raw.get(k, d) for k, d in (("serial_digits", 4), ("item_digits", 3))}
    for key, value in digits.items():
        if not isinstance(value, int) or not 2 <= value <= 6:
            problems.append(f"{key} must be a whole number from 2 to 6")
    title = str(raw.get("title", "{client}{category}个案卷"))
    keys = set(re.findall(r"{(\w*)}", title))
    if keys - _TITLE_KEYS:
        problems.append(f"title may use {sorted(_TITLE_KEYS)}, not {sorted(keys - _TITLE_KEYS)}")
    retention = raw.get("retention")
    if not isinstance(retention, dict) or not retention:
        problems.append("[retention] must name at least one period: name = code")
        retention = {}
    for name, code in retention.items():
        problems += _name_problems("retention", name)
        if not isinstance(code, str) or not _CODE.match(code):
            problems.append(f"retention {name!r}: code {code!r} must be capital letters/digits")
    categories = _rules(raw.get("category"), "category", retention, problems, needs_code=True)
    grades = _rules(raw.get("grade"), "grade", retention, problems, needs_code=False)
    reports, reports_title = _reports(raw.get("reports", {}), retention, categories, problems)
    if problems:
        raise PolicyError(f"archive policy {source}:\n  " + "\n  ".join(problems))
    return Policy(fonds=fonds, class_code=class_code, serial_digits=digits["serial_digits"],
                  item_digits=digits["item_digits"],
                  fonds_name=str(raw.get("fonds_name") or fonds_name), title=title,
                  retention=dict(retention), categories=categories, grades=grades,
                  source=source, reports=reports, reports_title=reports_title)


def _reports(entry: Any, retention: dict[str, str], categories: tuple[Rule, ...],
             problems: list[str]) -> tuple[Rule, str]:
    """The ``[reports]`` table: name, code, retention and title of the service reports' yearly
    file; the defaults (服务报告, BG, the longest retention) when it is left out."""
    if not isinstance(entry, dict):
        problems.append("[reports] must be a table")
        entry = {}
    extra = set(entry) - {"name", "code", "retention", "title"}
    problems += [f"[reports]: unknown key {k!r}" for k in sorted(extra)]
    name = entry.get("name", "服务报告")
    problems += _name_problems("[reports]", name)
    code = entry.get("code", "BG")
    if not isinstance(code, str) or not _CODE.match(code):
        problems.append(f"[reports]: code {code!r} must be 1-8 capital letters or digits")
    if any(c.code == code for c in categories):
        problems.append(f"[reports]: code {code!r} is already a case category's")
    kept = entry.get("retention", next(iter(retention), ""))
    if kept not in retention:
        problems.append(f"[reports]: retention {kept!r} is not one of [retention]")
    title = str(entry.get("title", "{year}年度{category}"))
    keys = set(re.findall(r"{(\w*)}", title))
    if keys - {"year", "category"}:
        problems.append(f"[reports]: title may use year and category, not {sorted(keys)}")
    return Rule(name=str(name), code=str(code), retention=str(kept)), title


def _name_problems(what: str, name: Any) -> list[str]:
    if not isinstance(name, str) or not name.strip() or _BAD_NAME.search(name) \
            or name in (".", ".."):
        return [f"{what} name {name!r} cannot be a folder name"]
    return []


def _rules(entries: Any, what: str, retention: dict[str, str], problems: list[str], *,
           needs_code: bool) -> tuple[Rule, ...]:
    if not isinstance(entries, list) or not entries:
        problems.append(f"[[{what}]] needs at least one entry")
        return ()
    rules: list[Rule] = []
    codes: dict[str, str] = {}
    for n, entry in enumerate(entries, start=1):
        where = f"[[{what}]] #{n}"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a table")
            continue
        extra = set(entry) - {"name", "code", "retention", "when"}
        problems += [f"{where}: unknown key {k!r}" for k in sorted(extra)]
        name = entry.get("name")
        problems += [f"{where}: {p}" for p in _name_problems(what, name)]
        code = entry.get("code", "")
        if needs_code:
            if not isinstance(code, str) or not _CODE.match(code):
                problems.append(f"{where}: code {code!r} must be capital letters/digits")
            elif codes.setdefault(code, str(name)) != name:
                problems.append(f"{where}: code {code!r} is already used by {codes[code]!r}")
        ret = entry.get("retention", "")
        if needs_code and not ret:
            problems.append(f"{where}: needs a retention (one of {list(retention)})")
        elif ret and ret not in retention:
            problems.append(f"{where}: retention {ret!r} is not one of {list(retention)}")
        when = entry.get("when", {})
        if not isinstance(when, dict):
            problems.append(f"{where}: when must be a table")
            when = {}
        problems += [f"{where}: {p}" for p in _when_problems(when)]
        last = n == len(entries)
        if last and when:
            problems.append(f"{where}: the last {what} is the fallback and takes no `when`")
        if not last and not when:
            problems.append(f"{where}: only the last {what} may leave out `when`")
        rules.append(Rule(name=str(name), code=str(code), retention=str(ret), when=dict(when)))
    return tuple(rules)


def _when_problems(when: dict[str, Any]) -> list[str]:
    problems = [f"unknown condition {k!r} (use {sorted(_CONDITIONS)})"
                for k in sorted(set(when) - _CONDITIONS)]
    allowed = {
        "special_process": {p.value for p in SpecialProcess},
        "risk_grade": {g.value for g in RiskGrade} | {UNGRADED},
        "screening": {q.key for q in SCREENING},
    }
    for key, values in allowed.items():
        if key in when:
            given = when[key] if isinstance(when[key], list) else [when[key]]
            problems += [f"{key} {v!r} is not one of {sorted(values)}"
                         for v in given if v not in values]
    for key in ("confidential", "transferred"):
        if key in when and not isinstance(when[key], bool):
            problems.append(f"{key} must be true or false")
    return problems
