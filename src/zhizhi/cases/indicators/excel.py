"""The indicator report as an Excel workbook with Chinese headers: 区域指标, 单位指标 and 指标说明."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from zhizhi.cases.indicators.definitions import METRICS, UNIT_METRICS, Metric, Report, Row
from zhizhi.core import clock

LEVELS = {"city": "市", "district": "区", "street": "街道", "community": "社区", "grid": "网格"}
FORMATS = {"rate": "0.0%", "hours": "0.0", "score": "0.0", "count": "0"}
DEFINITIONS = {
    "reports": "各渠道上报（受理）的案件数",
    "registered": "立案的案件数",
    "register_rate": "立案数 ÷（立案数 + 不予立案数），合并的重复件不计",
    "dispatched": "区域：派遣次数；单位：派至本单位的次数（派遣、上报、下派、重新办理）",
    "dispatch_on_time_rate": "在派遣时限内派遣的次数 ÷ 有时限的派遣次数",
    "sign_on_time_rate": "在签收时限内签收的次数 ÷ 有时限的签收次数",
    "handled": "处置反馈次数",
    "handle_on_time_rate": "在处置时限（含督办缩短、批准延期）内反馈的次数 ÷ 有时限的处置反馈次数",
    "closed": "结案数（单位：本单位处置的案件结案数）",
    "close_on_time_rate": "结案前无任何超时环节（超时办理、超期标记、超时自动上报）的结案数 ÷ 结案数",
    "close_rate": (
        "区域：期内立案的案件中截至统计时已结案的比例；单位：期内派至本单位的案件中由本单位处置并已结案的比例"
    ),
    "rework_rate": "返工次数 ÷ 处置反馈次数",
    "extension_rate": "批准延期次数 ÷ 派遣数",
    "revisits": "有效回访数（未联系上的回访无效）",
    "response_rate": "回答“已联系”的有效回访 ÷ 回答了该问题的有效回访",
    "resolve_rate": "回答“已解决”的有效回访 ÷ 回答了该问题的有效回访",
    "satisfaction_rate": "（满意 + 权重 × 基本满意）÷ 有效回访数",
    "score": "100 × 响应率、解决率、满意率的加权平均（权重见下）",
    "mean_response_hours": "派至单位到签收的平均时长（自然小时）",
    "mean_handling_hours": "处置开始（签收、返工或恢复办理）到处置反馈的平均时长（自然小时）",
}


def _sheet(wb: Workbook, title: str, first: str, rows: list[Row], metrics: tuple[Metric, ...]) -> None:
    ws = wb.create_sheet(title)
    headers = [first, "代码", "层级", *[m.zh for m in metrics]]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(
            [row.name, row.key, LEVELS.get(row.level, row.level), *[row.values[m.key] for m in metrics]]
        )
    for col, metric in enumerate(metrics, start=4):
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = FORMATS[metric.kind]
    for col, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(col)].width = max(10, len(header) * 2 + 2)
    ws.column_dimensions["A"].width = 28
    ws.freeze_panes = "B2"


def to_xlsx(report: Report) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "区域指标", "区域", report.areas, METRICS)
    _sheet(wb, "单位指标", "单位", report.units, UNIT_METRICS)
    notes = wb.create_sheet("指标说明")
    notes.append(["项目", "说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    start = report.period.start.astimezone(clock.SHANGHAI)
    end = report.period.end.astimezone(clock.SHANGHAI)
    notes.append(["区域", f"{report.area.name}（{report.area.code}）"])
    notes.append(["统计期", f"{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}（不含）"])
    notes.append(["统计时点", f"{report.as_of.astimezone(clock.SHANGHAI):%Y-%m-%d %H:%M}"])
    notes.append(["基本满意权重", report.config.basically_weight])
    weights = report.config.score_weights
    notes.append(
        [
            "综合得分权重",
            f"响应率 {weights.get('response', 0)}，解决率 {weights.get('resolve', 0)}，"
            f"满意率 {weights.get('satisfaction', 0)}",
        ]
    )
    notes.append(["数据来源", "全部由案件流转记录与回访记录自动计算，不可手工填报"])
    for metric in METRICS:
        notes.append([metric.zh, DEFINITIONS[metric.key]])
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["B"].width = 90
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
