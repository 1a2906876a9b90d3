"""Complete, valid filled examples of each annex: API documentation, demos and tests."""

from __future__ import annotations

import copy
from typing import Any

from . import ANNEXES
from .schema import tiny_png

_SIGNATURE = tiny_png()

_EXAMPLES: dict[str, dict[str, Any]] = {
    "B": {
        "first_contact_date": "2024-05-08",
        "worker": "陈晓敏",
        "case_source": "社工探访/接访",
        "case_source_visit": "区信访接待大厅接访",
        "case_source_referrer": "",
        "petition_demands": "要求相关部门尽快处理小区加装电梯引发的邻里纠纷，并公开施工审批材料。",
        "petition_history": "重访对象。2023年起先后到街道办、区住建局反映，均未得到满意答复。",
        "personality": "情绪较激动，说话语速快，反复强调自己受到不公正对待；思维清晰。",
        "referral_unit": "",
        "referral_contact": "",
        "client_name": "王建国",
        "gender": "男",
        "phone": "13812345678",
        "address": "广州市增城区荔城街府佑路12号3栋502房",
        "birth_month": "1961-03",
        "age": 63,
        "occupation": "退休工人",
        "economic_status": "退休金约3500元/月",
        "language": "广东话",
        "language_other": "",
        "marital_status": "已婚",
        "marital_status_other": "",
        "education": "高中/中专",
        "living_arrangement": "与配偶同住",
        "living_arrangement_other": "",
        "needs": ["政策引导", "情绪疏导", "邻里纠纷", "其他"],
        "needs_other": "协助查阅审批材料",
        "background": "案主与妻子同住，育有一子在外地工作。与楼上住户因加装电梯多次发生争执。",
        "genogram": _SIGNATURE,
        "assessment": "案主诉求具体，情绪困扰明显，邻里关系紧张，有继续上访的可能。",
        "needs_analysis": "以生态系统理论分析：案主的微观系统（家庭、邻里）支持不足。",
        "service_goals": "1. 疏导案主情绪\n2. 协助案主了解加装电梯政策\n3. 促成邻里协商",
        "service_strategy": "情绪疏导与政策宣导并行，链接街道和住建部门召开协调会。",
        "evaluation_method": "前后测情绪量表、协调会结果、案主满意度访谈。",
        "worker_signature": {"image": _SIGNATURE, "date": "2024-05-08"},
        "follow_up": "否",
        "follow_up_assignee": "",
        "follow_up_reason": "由本人继续跟进",
        "director_approval": {"image": _SIGNATURE, "date": "2024-05-10",
                              "remark": "同意开案，请注意案主情绪变化。"},
    },
    "C": {
        "interviewee": "王建国",
        "contact": "13812345678",
        "relation": "本人",
        "place": "案主家中",
        "place_other": "",
        "date": "2024-05-15",
        "time": "14:30-15:30",
        "session_no": 1,
        "purpose": "了解案主近况，讲解加装电梯的相关政策。",
        "work_mode": "面谈",
        "work_mode_other": "",
        "record": "案主讲述了与楼上住户的争执经过。社工倾听并回应其感受，介绍了加装电梯的协商流程。",
        "overall_assessment": "案主情绪较上次平稳，愿意参加协调会。",
        "follow_up_plan": "联系街道办确定协调会时间。",
        "worker_signature": {"image": _SIGNATURE, "date": "2024-05-15"},
        "supervisor_opinion": "跟进及时，注意记录协调会各方意见。",
        "supervisor_signature": {"image": _SIGNATURE, "date": "2024-05-16"},
    },
    "D": {
        "category": "个案结束",
        "client_name": "王建国",
        "worker": "陈晓敏",
        "opened_on": "2024-05-08",
        "closed_on": "2024-08-30",
        "transfer_reason": "",
        "transfer_reason_other": "",
        "closing_type": "目标达成",
        "closing_type_other": "",
        "linked_resources": "街道人民调解委员会、社区法律顾问",
        "contacted_departments": "荔城街道办事处、区住房和城乡建设局",
        "goals": [
            {"seq": 1, "goal": "疏导案主情绪", "status": "已达成，情绪量表得分下降", "remark": ""},
            {"seq": 2, "goal": "协助案主了解加装电梯政策", "status": "已达成", "remark": ""},
            {"seq": 3, "goal": "促成邻里协商", "status": "已达成，签订协商协议", "remark": "协调会2次"},
        ],
        "reflection": "多方联动是化解本案的关键，今后可更早引入人民调解。",
        "worker_signature": {"image": _SIGNATURE, "date": "2024-08-30"},
        "agency_evaluation": "服务目标全部达成，同意结案。",
        "director_signature": {"image": _SIGNATURE, "date": "2024-09-02"},
    },
}


def example(code: str) -> dict[str, Any]:
    """A complete, valid filled form of annex ``code`` (a fresh copy)."""
    return copy.deepcopy(_EXAMPLES[code.upper()])


def worker_example(code: str) -> dict[str, Any]:
    """The example without the reviewer's cells: what a worker submits (a fresh copy)."""
    return ANNEXES[code.upper()].worker_part(example(code))


def reviewer_example(code: str) -> dict[str, Any]:
    """The example's reviewer cells: what a supervisor or director signs off with."""
    return ANNEXES[code.upper()].reviewer_part(example(code))
