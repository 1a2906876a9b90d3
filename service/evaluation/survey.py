"""The satisfaction survey (7.1.5 评估服务对象满意度), declared once: five-point items and a
comment, filled by the petitioner at closing or by the worker over the phone at follow-up."""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:  # noqa: N802 - the conventional name for a deferred msgid
    """Mark a text for the catalogs; the page translates it."""
    return message


@dataclass(frozen=True)
class Item:
    """One five-point question: its data key and its text."""

    key: str
    text: str


TITLE = N_("信访社会工作服务满意度调查")
#: The survey's code in the QR code of its printed pages (annexes use their letter).
CODE = "S"
#: The survey's name in file names and in the archive's 件 titles (as 接案表 for Annex B).
SHORT_TITLE = N_("满意度调查表")
#: The labels of the printed copy's heading rows and of the items' table.
CASE_LABEL = N_("个案编号")
DATE_LABEL = N_("填写日期")
RESPONDENT_LABEL = N_("填写方式")
ITEM_LABEL = N_("评价项目")
ITEMS: tuple[Item, ...] = (
    Item("attitude", N_("社工的服务态度")),
    Item("timeliness", N_("服务的及时性")),
    Item("help", N_("对所反映问题的帮助")),
    Item("overall", N_("总体满意度")),
)
COMMENT = Item("comment", N_("意见和建议"))
#: The five points, 1 to 5, worst first.
POINTS: tuple[str, ...] = (N_("非常不满意"), N_("不满意"), N_("一般"), N_("满意"),
                           N_("非常满意"))
#: A survey counts as satisfied when its overall answer is at least this point.
SATISFIED_FROM = 4
#: Who answered.
RESPONDENTS: dict[str, str] = {
    "petitioner": N_("信访人本人（结案时）"),
    "phone": N_("社工电话回访（跟进时）"),
}
MAX_COMMENT = 2000


def check(answers: dict[str, str]) -> tuple[dict[str, int | str], dict[str, str]]:
    """The answers as stored values, and a message id per key that is wrong."""
    values: dict[str, int | str] = {}
    problems: dict[str, str] = {}
    for item in ITEMS:
        raw = (answers.get(item.key) or "").strip()
        if raw not in {str(n) for n in range(1, len(POINTS) + 1)}:
            problems[item.key] = N_("Choose one of the five answers.")
        else:
            values[item.key] = int(raw)
    comment = (answers.get(COMMENT.key) or "").strip()
    if len(comment) > MAX_COMMENT:
        problems[COMMENT.key] = N_("At most %(max)s characters.")
    values[COMMENT.key] = comment
    respondent = answers.get("respondent") or ""
    if respondent not in RESPONDENTS:
        problems["respondent"] = N_("Say who answered.")
    values["respondent"] = respondent
    return values, problems
