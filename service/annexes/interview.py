"""Annex C, 信访社会工作服务会谈表: the record of one contact with a case."""

from .model import Annex, Field, Kind, Option, Section, StageRule
from .process import Stage

INTERVIEW = Annex(
    code="C",
    title="信访社会工作服务会谈表",
    short_title="会谈表",
    annex_label="附录C",
    fields=(
        Field("interviewee", "会谈对象", Kind.TEXT, required=True),
        Field("contact", "联系方式", Kind.TEXT),
        Field("relation", "与案主的关系", Kind.TEXT),
        Field(
            "place", "地点", Kind.ONE_OF,
            options=(Option("案主家中"), Option("其他", "", "place_other")),
        ),
        Field("date", "日期", Kind.DATE, required=True, past_only=True),
        Field("time", "时间", Kind.TIME),
        Field("session_no", "工作次数", Kind.ORDINAL, prefix="第", suffix="次",
              derived_from=("date",)),
        Field("purpose", "会谈目的", Kind.LONGTEXT, required=True),
        Field(
            "work_mode", "工作形式", Kind.ONE_OF, required=True,
            options=(
                *(Option(t) for t in ("面谈", "电话", "陪同", "QQ/微信")),
                Option("其他", "(请说明)", "work_mode_other"),
            ),
        ),
        Field("record", "会谈记录", Kind.LONGTEXT, required=True),
        Field("overall_assessment", "本次服务情况总体评估及分析", Kind.LONGTEXT),
        Field("follow_up_plan", "跟进计划", Kind.LONGTEXT),
        Field("worker_signature", "负责社工签署", Kind.SIGNATURE, date_label="签字日期", past_only=True),
        Field("supervisor_opinion", "主任(督导)意见", Kind.LONGTEXT, reviewer_only=True),
        Field("supervisor_signature", "主任签署", Kind.SIGNATURE, date_label="签字日期",
              reviewer_only=True, past_only=True),
    ),
    sections=(
        Section("", (
            ("interviewee", "contact"),
            ("relation", "place"),
            ("date", "time", "session_no"),
            ("purpose",),
            ("work_mode",),
            ("record",),
            ("overall_assessment",),
            ("follow_up_plan",),
            ("worker_signature",),
            ("supervisor_opinion",),
            ("supervisor_signature",),
        )),
    ),
    order=1,
    repeats=True,
    seq_field="session_no",
    date_field="date",
    name_field="interviewee",
    stages=(StageRule(Stage.DELIVERY),),
    prefill=(("session_no", "seq"), ("interviewee", "client_name")),
)
