"""Words offices write for an option that are not its printed text (高中 for 高中/中专, 微信 for
QQ/微信), and labels they print for a field: a mapping the agency extends.

The service ships the common ones (:data:`DEFAULT`); an agency adds its own in a TOML file,
``import_synonyms.toml`` in the instance folder, one table per field's data key::

    [education]
    "中专" = "高中/中专"

    [place]
    "*" = "其他"          # anything that is no option: 其他, the text as the write-in

    [labels]
    "个案姓名" = "client_name"

A value read through a synonym is taken (the agency said so) and its evidence says which word
was written; a target that is no option of its field is refused when the file is loaded.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..annexes import ANNEXES, Field
from .reading import ImportFailure
from .text import squeeze

FILE_NAME = "import_synonyms.toml"
ANY = "*"

#: What the service knows without being told: (field key, written) -> option text.
DEFAULT: dict[str, dict[str, str]] = {
    "education": {"高中": "高中/中专", "中专": "高中/中专", "职高": "高中/中专",
                  "技校": "高中/中专", "本科": "本科及以上", "大学": "本科及以上",
                  "研究生": "本科及以上", "硕士": "本科及以上", "不识字": "文盲"},
    "work_mode": {"微信": "QQ/微信", "QQ": "QQ/微信", "电话联系": "电话", "面谈会谈": "面谈",
                  "上门面谈": "面谈"},
    "language": {"粤语": "广东话", "白话": "广东话", "国语": "普通话"},
    "marital_status": {"离婚": "离异", "单身": "未婚"},
    "place": {"家中": "案主家中", "案主家": "案主家中", "家访": "案主家中", ANY: "其他"},
    "living_arrangement": {"与老伴同住": "与配偶同住", "与妻子同住": "与配偶同住",
                           "与丈夫同住": "与配偶同住"},
}


@dataclass(frozen=True)
class Synonyms:
    """Written word -> option, by field key (squeezed words); labels -> field keys."""

    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    def option(self, f: Field, written: str) -> tuple[str, str] | None:
        """The option ``written`` stands for in ``f`` and the write-in it carries, or None."""
        table = self.values.get(f.name)
        if not table:
            return None
        key = squeeze(written)
        if key in table:
            return table[key], ""
        if ANY in table and key:
            return table[ANY], written.strip()
        return None


def _fields(key: str) -> list[Field]:
    return [a[key] for a in ANNEXES.values() if key in a]


def build(extra: Mapping[str, Mapping[str, str]] | None = None) -> Synonyms:
    """The default synonyms with ``extra`` (a parsed TOML) added over them; an entry that
    names no field or no option raises :class:`ImportFailure` saying which."""
    values: dict[str, dict[str, str]] = {}
    labels: dict[str, str] = {}
    tables = [DEFAULT, extra or {}]
    for table in tables:
        for key, entries in table.items():
            if key == "labels":
                for written, target in entries.items():
                    if not _fields(str(target)):
                        raise ImportFailure(f"synonyms: label {written} names no field "
                                            f"({target})")
                    labels[squeeze(written)] = str(target)
                continue
            fields = [f for f in _fields(key) if f.is_choice]
            if not fields or not isinstance(entries, Mapping):
                raise ImportFailure(f"synonyms: [{key}] is no field with options")
            for written, target in entries.items():
                if not any(f.option(str(target)) for f in fields):
                    raise ImportFailure(f"synonyms: [{key}] {written} = {target}: "
                                        f"no such option")
                values.setdefault(key, {})[
                    ANY if written == ANY else squeeze(written)] = str(target)
    return Synonyms(values, labels)


def load(folder: Path | None) -> Synonyms:
    """The synonyms of an instance: the defaults and ``folder/import_synonyms.toml`` if any."""
    path = folder / FILE_NAME if folder is not None else None
    if path is None or not path.is_file():
        return build()
    try:
        extra = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ImportFailure(f"{FILE_NAME} cannot be read ({e})") from None
    return build(extra)


DEFAULTS = build()
