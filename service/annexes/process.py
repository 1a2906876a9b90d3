"""What the rest of the standard adds to a case: the 7.1 process, 7.1.2 screening, the 7.2
special processes and the 6.2.3 risk grades. Plain data, like the annexes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    """The stages of the general process (7.1), in order; a case ends closed or transferred."""

    CONTACT = "接触登记"
    ASSESSMENT = "预估甄别"
    PLANNING = "服务规划"
    DELIVERY = "服务实施"
    EVALUATION = "成效评估"
    PENDING_CLOSURE = "待结案审批"  # its closing form waits for the director's sign-off
    PENDING_TRANSFER = "待转介审批"  # likewise, for a transfer
    CLOSED = "结案"
    TRANSFERRED = "转介"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)
#: The stages a worker may set by hand.
OPEN_STAGES = STAGE_ORDER[:5]
#: A closing form waits for its sign-off: the case is still open, but its stage is not set
#: by hand.
PENDING_STAGES = (Stage.PENDING_CLOSURE, Stage.PENDING_TRANSFER)
END_STAGES = (Stage.CLOSED, Stage.TRANSFERRED)


@dataclass(frozen=True)
class Question:
    """A yes/no screening question of 7.1.2."""

    key: str
    text: str


SCREENING: tuple[Question, ...] = (
    Question("own_level", "是否属于本级机关、单位或者其工作部门处理决定或者涉及下级机关、单位或者其工作人员"),
    Question("law_related", "是否属于涉法涉诉信访事项"),
    Question("discipline_report", "是否属于纪检监察机关受理的检举控告类信访事项"),
    Question("repeat", "是否属于重复信访事项"),
    Question("foreigner", "是否属于“外国人事项”"),
    Question("simplified", "是否适用简易办理"),
    Question("within_scope", "是否在社工业务范围和能力范围内"),
)


class SpecialProcess(StrEnum):
    """The special processes of 7.2."""

    COLLECTIVE = "集体上访"
    IRRATIONAL = "非理性上访"
    HARDSHIP = "生活困难上访"


#: 7.2.1: a collective petition chooses at most this many representatives (inclusive).
MAX_REPRESENTATIVES = 5


class RiskGrade(StrEnum):
    """Risk grades (6.2.3 划分风险等级, 7.2.2 划分服务风险等级)."""

    HIGH = "高风险"
    MEDIUM = "中风险"
    LOW = "低风险"


#: What the archive writes for a case whose risk grade was never assessed: never a guess.
UNGRADED = "未评级"
