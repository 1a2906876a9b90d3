"""The declarations of Annexes B, C and D of 信访社会工作服务规范.

Plain data: fields, labels, option sets, write-ins, rules and printed order. Everything that
shows, checks, renders or reads a form derives from these objects.
"""

from .closing import CLOSING
from .intake import INTAKE
from .interview import INTERVIEW
from .model import Annex, Column, Field, Kind, Option, Section

ANNEXES: dict[str, Annex] = {a.code: a for a in sorted((INTAKE, INTERVIEW, CLOSING),
                                                       key=lambda a: a.order)}
#: The form a new case starts with (the intake).
OPENING: Annex = next(a for a in ANNEXES.values() if a.opens_case)


def get_annex(code: str) -> Annex:
    """The annex with this code (B, C or D), case-insensitively; KeyError otherwise."""
    return ANNEXES[code.strip().upper()]


__all__ = ["ANNEXES", "CLOSING", "INTAKE", "INTERVIEW", "OPENING", "Annex", "Column", "Field", "Kind",
           "Option", "Section", "get_annex"]
