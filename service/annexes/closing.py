"""Annex D, 信访社会工作服务结案表: the form that closes or transfers a case."""

from .model import (
    Annex,
    Column,
    DateOrder,
    Field,
    Kind,
    Option,
    Outcomes,
    RequiredWhen,
    Section,
    StageRule,
)
from .process import Stage

TRANSFER = "个案转介"

#: The outcome of one goal row (7.1.5 评估服务目标达成率), kept behind the printed text.
GOAL_MET = "达成"
GOAL_PARTLY_MET = "部分达成"
GOAL_NOT_MET = "未达成"
GOAL_OUTCOMES = (Option(GOAL_MET), Option(GOAL_PARTLY_MET), Option(GOAL_NOT_MET))

CLOSING = Annex(
    code="D",
    title="信访社会工作服务结案表",
    short_title="结案表",
    annex_label="附录D",
    fields=(
        Field("category", "类别", Kind.ONE_OF, required=True,
              options=(Option(TRANSFER), Option("个案结束"))),
        Field("client_name", "案主姓名", Kind.TEXT, required=True),
        Field("worker", "负责社工", Kind.TEXT, required=True),
        Field("opened_on", "开案/转入日期", Kind.DATE, required=True, past_only=True),
        Field("closed_on", "结案/转出日期", Kind.DATE, required=True, past_only=True),
        Field(
            "transfer_reason", "转介原因", Kind.ONE_OF,
            options=(
                Option("问题超出本机构服务范畴，机构不能提供求助者所需的服务"),
                Option("服务对象生活在本机构服务区域之外"),
                Option("社工的工作变动"),
                Option("案主与社工之间的关系，双方希望更换社工"),
                Option("其他", "：", "transfer_reason_other"),
            ),
        ),
        Field(
            "closing_type", "结案类型", Kind.ONE_OF, required=True,
            options=(
                *(Option(t) for t in (
                    "目标达成", "转介", "案主自决终止服务", "远离服务区域", "离世")),
                Option("其他", "", "closing_type_other"),
            ),
        ),
        Field("linked_resources", "链接的资源", Kind.LONGTEXT, group="资源链接情况"),
        Field("contacted_departments", "联络的相关部门", Kind.LONGTEXT, group="资源链接情况"),
        Field(
            "goals", "目标达成情况", Kind.TABLE,
            columns=(
                Column("seq", "序号", Kind.INTEGER),
                Column("goal", "阶段性目标", Kind.LONGTEXT),
                Column("status", "目标达成情况", Kind.LONGTEXT, options=GOAL_OUTCOMES,
                       choice_key="outcome"),
                Column("remark", "备注", Kind.TEXT),
            ),
        ),
        Field("reflection", "社工反思及建议", Kind.LONGTEXT),
        Field("worker_signature", "社工签字", Kind.SIGNATURE, date_label="签字日期", past_only=True),
        Field("agency_evaluation", "服务机构的评估", Kind.LONGTEXT, reviewer_only=True),
        Field("director_signature", "项目主任签字", Kind.SIGNATURE, date_label="签字日期",
              reviewer_only=True, past_only=True),
    ),
    sections=(
        Section("", (
            ("category",),
            ("client_name", "worker"),
            ("opened_on", "closed_on"),
            ("transfer_reason",),
            ("closing_type",),
            ("linked_resources",),
            ("contacted_departments",),
            ("goals",),
            ("reflection",),
            ("worker_signature",),
            ("agency_evaluation",),
            ("director_signature",),
        )),
    ),
    rules=(
        DateOrder("opened_on", "closed_on"),
        RequiredWhen("transfer_reason", "category", TRANSFER),
    ),
    order=2,
    date_field="closed_on",
    name_field="client_name",
    closes_case=True,
    transfer_when=RequiredWhen("transfer_reason", "category", TRANSFER),
    case_fields=(("closed_on", "closed_on"), ("opened_on", "opened_on")),
    stages=(StageRule(Stage.EVALUATION),),
    prefill=(("client_name", "client_name"), ("worker", "worker"), ("opened_on", "opened_on")),
    outcomes=Outcomes(table="goals", goal="goal", outcome="status", planned_in="service_goals"),
)
