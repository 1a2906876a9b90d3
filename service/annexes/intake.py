"""Annex B, 信访社会工作服务接案表: the intake form that opens a case."""

from .model import Annex, Field, Kind, Option, Section

INTAKE = Annex(
    code="B",
    title="信访社会工作服务接案表",
    short_title="接案表",
    annex_label="附录B",
    fields=(
        Field("first_contact_date", "初次接触日期", Kind.DATE, required=True, past_only=True),
        Field("worker", "负责社工", Kind.TEXT, required=True),
        Field(
            "case_source", "个案来源", Kind.ONE_OF, required=True,
            options=(
                Option("案主主动咨询"),
                Option("社工探访/接访", "（请注明）：", "case_source_visit"),
                Option("转介人/单位", "（请注明）：", "case_source_referrer"),
            ),
        ),
        Field("petition_demands", "信访诉求及要求", Kind.LONGTEXT, required=True),
        Field("petition_history", "信访经历", Kind.LONGTEXT,
              hint="（初访对象还是重访对象？求助经历、何时曾到哪些部门反映过问题？）"),
        Field("personality", "人格特征描述", Kind.LONGTEXT,
              hint="（情绪表现、行为表现、语言及思维表现等）"),
        Field("referral_unit", "转介单位", Kind.TEXT, group="转介单位资料"),
        Field("referral_contact", "联系人及联系方式", Kind.TEXT, group="转介单位资料"),
        Field("client_name", "案主姓名", Kind.TEXT, required=True),
        Field("gender", "性别", Kind.TEXT, suggestions=("男", "女")),
        Field("phone", "联系电话", Kind.PHONE),
        Field("address", "联系地址", Kind.TEXT),
        Field("birth_month", "出生年月", Kind.YEAR_MONTH, past_only=True),
        Field("age", "年龄", Kind.INTEGER, derived_from=("birth_month", "first_contact_date")),
        Field("occupation", "职业", Kind.TEXT),
        Field("economic_status", "经济状况", Kind.TEXT),
        Field(
            "language", "语言", Kind.ONE_OF,
            options=(
                Option("普通话"),
                Option("广东话"),
                Option("客家话"),
                Option("其他", "请注明：", "language_other"),
            ),
        ),
        Field(
            "marital_status", "婚姻状况", Kind.ONE_OF,
            options=(
                Option("未婚"),
                Option("已婚"),
                Option("离异"),
                Option("丧偶"),
                Option("再婚"),
                Option("其它", "（请注明）：", "marital_status_other"),
            ),
        ),
        Field(
            "education", "教育程度", Kind.ONE_OF,
            options=tuple(Option(t) for t in (
                "文盲", "略懂文字", "小学", "初中", "高中/中专", "大专", "本科及以上")),
        ),
        Field(
            "living_arrangement", "居住状况", Kind.ONE_OF,
            options=(
                Option("独居"),
                Option("与配偶同住"),
                Option("与子女同住"),
                Option("其他", "（请注明）：", "living_arrangement_other"),
            ),
        ),
        Field(
            "needs", "问题/需要", Kind.ANY_OF, sub_label="(可多选)",
            options=(
                *(Option(t) for t in (
                    "法律咨询", "政策引导", "情绪疏导", "家庭关系调适", "危机介入",
                    "邻里纠纷", "诉求解决", "链接资源")),
                Option("其他", "（请注明）：", "needs_other"),
            ),
        ),
        Field("background", "个案背景（个案家庭图及生态系统图）", Kind.LONGTEXT),
        Field("genogram", "个案家庭图及生态系统图", Kind.IMAGE),
        Field("assessment", "社工的预估及分析", Kind.LONGTEXT),
        Field("needs_analysis", "服务对象需求分析（理论架构）", Kind.LONGTEXT),
        Field("service_goals", "服务目标", Kind.LONGTEXT, group="服务计划"),
        Field("service_strategy", "服务策略", Kind.LONGTEXT, group="服务计划"),
        Field("evaluation_method", "成效评估方法", Kind.LONGTEXT, group="服务计划"),
        Field("worker_signature", "社工签名及日期", Kind.SIGNATURE, past_only=True),
        Field(
            "follow_up", "服务跟进", Kind.ONE_OF,
            options=(
                Option("是", "，个案委派予：", "follow_up_assignee"),
                Option("否", "，说明：", "follow_up_reason"),
            ),
        ),
        Field("director_approval", "主任签批", Kind.SIGNATURE, with_remark=True,
              reviewer_only=True, past_only=True),
    ),
    sections=(
        Section("接案记录", (
            ("first_contact_date", "worker"),
            ("case_source",),
            ("petition_demands",),
            ("petition_history",),
            ("personality",),
            ("referral_unit", "referral_contact"),
        )),
        Section("案主基本情况", (
            ("client_name", "gender"),
            ("phone", "address"),
            ("birth_month", "age"),
            ("occupation", "economic_status"),
            ("language",),
            ("marital_status",),
            ("education",),
            ("living_arrangement",),
            ("needs",),
            ("background", "genogram"),
            ("assessment",),
            ("needs_analysis",),
            ("service_goals",),
            ("service_strategy",),
            ("evaluation_method",),
            ("worker_signature",),
            ("follow_up",),
            ("director_approval",),
        )),
    ),
)
