"""The official texts as catalog messages, for Babel's extraction (see babel.cfg)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import ANNEXES
from .process import SCREENING, RiskGrade, SpecialProcess, Stage


def official_texts() -> list[str]:
    """Every text the standard prints or names that the service shows, without repeats."""
    texts: list[str] = []
    for annex in ANNEXES.values():
        texts.extend(annex.texts())
        texts.extend((annex.short_title, annex.annex_label))
        texts.extend(s for f in annex for s in f.suggestions)
        texts.extend(o.text for f in annex for c in f.columns for o in c.options)
    texts.extend(s.value for s in Stage)
    texts.extend(q.text for q in SCREENING)
    texts.extend(p.value for p in SpecialProcess)
    texts.extend(g.value for g in RiskGrade)
    return list(dict.fromkeys(texts))


def extract_official_texts(fileobj: Any, keywords: Any, comment_tags: Any, options: Any
                           ) -> Iterator[tuple[int, str, str, list[str]]]:
    """A Babel extraction method: yields the official texts as gettext messages."""
    for text in official_texts():
        yield 1, "gettext", text, ["official text of 信访社会工作服务规范"]
