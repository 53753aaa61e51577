"""Use cases of the cases app — the only code that changes cases. One transaction each; a Transition row and
an audit row for every change; notifications queued in the transaction and sent after commit.

    open_case            intake from any channel (idempotent; duplicates offered)
    register_case        立案            reject_case       不予立案        merge_case      合并
    dispatch_case        派遣            accept_case       签收            start_handling  开始处置
    submit_handling      处置反馈         verify_case       核查 (pass / 返工; camera re-check too)
    close_case           结案            return_case       退回            escalate_case   上报
    send_down_case       下派            supervise_case    督办
    request_extension / decide_extension   延期           backlog_case / resume_case   挂账 / 恢复
    record_revisit       回访            reopen_case       重新办理        record_enforcement  执法记录
    SYSTEM               the actor for the platform itself (sensor alarms, camera re-checks, the scan)
    scan_deadlines       the every-minute job: 80 % warnings, automatic escalation, overdue flags, retries
"""

from zhizhi.cases.access import SYSTEM, SystemActor
from zhizhi.cases.services.actions import (
    EnforcementInput,
    accept_case,
    close_case,
    dispatch_case,
    escalate_case,
    merge_case,
    register_case,
    reject_case,
    return_case,
    send_down_case,
    start_handling,
    submit_handling,
    verify_case,
)
from zhizhi.cases.services.intake import (
    CaseInput,
    FileInput,
    IntakeResult,
    check_case_input,
    duplicate_candidates,
    duplicate_summaries,
    find_category,
    nearby_open_cases,
    nearby_summaries,
    open_case,
)
from zhizhi.cases.services.oversight import (
    add_attachment,
    backlog_case,
    decide_extension,
    follow_case,
    record_enforcement,
    record_revisit,
    reopen_case,
    request_extension,
    resume_case,
    reveal_contact,
    supervise_case,
)
from zhizhi.cases.services.scan import ScanReport, scan_deadlines
from zhizhi.cases.services.setup import add_rule, install_default_units

__all__ = [
    "CaseInput",
    "EnforcementInput",
    "FileInput",
    "IntakeResult",
    "SYSTEM",
    "ScanReport",
    "SystemActor",
    "accept_case",
    "add_attachment",
    "add_rule",
    "backlog_case",
    "check_case_input",
    "close_case",
    "decide_extension",
    "dispatch_case",
    "duplicate_candidates",
    "duplicate_summaries",
    "escalate_case",
    "find_category",
    "follow_case",
    "install_default_units",
    "merge_case",
    "nearby_open_cases",
    "nearby_summaries",
    "open_case",
    "record_enforcement",
    "record_revisit",
    "register_case",
    "reject_case",
    "reopen_case",
    "request_extension",
    "resume_case",
    "return_case",
    "reveal_contact",
    "scan_deadlines",
    "send_down_case",
    "start_handling",
    "submit_handling",
    "supervise_case",
    "verify_case",
]
