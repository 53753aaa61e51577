"""考核指标 — indicators per handling unit and per area for a period, computed from Transition and Revisit
rows only (never typed in), aggregated in the database (a few GROUP BY queries per kind of row, served by
covering indexes: see compute.py).

A period is [start, end) in Asia/Shanghai (a month, a year, or any range). Events count in the period when
their row's time (`Transition.at`, `Revisit.at`) falls in it. `as_of` (default: now) is when the report is
made; it only matters for 结案率, which follows a cohort of cases to the moment of the report.

Who a row counts for:
  * an AREA (a street, a community …) counts every row of the cases located in it (`Case.area_code`);
  * a UNIT counts the rows of the steps it was responsible for: what it did while holding the case
    (`Transition.unit_from` = the unit: signing, handling, closure of the case it handled, rework of its
    handling, extensions granted to it, deadlines it missed), and the cases assigned to it
    (`unit_to` = the unit on 派遣, 上报, 下派 and 重新办理 rows — its "received" cases).

Definitions (a rate is None when its denominator is zero; rates are fractions, pages show percent):

  上报数   reports             OPEN rows (every channel).                                               area
  立案率   register_rate       立案 REGISTER rows / (REGISTER + 不予立案 REJECT rows). Merged duplicates
                               are not valid reports and count in neither.                              area
  派遣数   dispatched          area: 派遣 DISPATCH rows; unit: rows assigning a case to it (DISPATCH,
                               ESCALATE, SEND_DOWN, REOPEN with unit_to = the unit).                    both
  按期派遣率 dispatch_on_time_rate  DISPATCH rows made before the dispatch deadline in force
                               (`on_time`) / DISPATCH rows that had a deadline.                         area
  按期签收率 sign_on_time_rate 签收 ACCEPT rows on time / ACCEPT rows with a deadline.                  both
  处置数   handled             处置反馈 SUBMIT rows.                                                      both
  按期处置率 handle_on_time_rate    SUBMIT rows before the handling deadline in force (after any 督办
                               shortening or approved 延期) / SUBMIT rows with a deadline.               both
  结案数   closed              结案 CLOSE rows (a unit: the cases it handled, `unit_from` of the row).   both
  按期结案率 close_on_time_rate     CLOSE rows of cases with no late row up to the closure / CLOSE rows.
                               A late row is an action after its deadline (`on_time` false: a late
                               signing or handling, an automatic escalation) or an overdue flag (a WARN
                               row with data {"overdue": true}). For a unit only its own late rows count
                               (`unit_from` = the unit, while it held the case). Read from the case's rows
                               when it is closed and stamped on the CLOSE row (indicators.stamps).    both
  结案率   close_rate          cohort: area — cases registered (立案) in the period; unit — cases
                               assigned to it in the period (distinct). Closed: the first CLOSE row by
                               `as_of` of a case registered in the period (for a unit: a CLOSE row by
                               `as_of` of a case it handled, last assigned to it in the period); the
                               registration and assignment times are stamped on the CLOSE row.       both
  返工率   rework_rate         返工 REWORK rows / SUBMIT rows.                                           both
  延期率   extension_rate      同意延期 APPROVE_EXTENSION rows / dispatched.                             both
  有效回访 revisits            valid Revisit rows (a revisit that reached nobody is not valid).
                               Area: of cases located in it; unit: `Revisit.unit`, the unit rated.      both
  响应率   response_rate       revisits answering "responded" yes / valid revisits that answered it.    both
  解决率   resolve_rate        revisits answering "resolved" yes / valid revisits that answered it.     both
  满意率   satisfaction_rate   (满意 + w × 基本满意) / valid revisits; w = `basically_weight` (0.8).      both
  综合得分 score               100 × the weighted mean of 响应率, 解决率 and 满意率, weights
                               `score_weights` (0.2, 0.4, 0.4), renormalised over the rates present.    both
  平均响应时长 mean_response_hours  mean of (ACCEPT.at − the start of its signing step), in clock hours. both
  平均处置时长 mean_handling_hours  mean of (SUBMIT.at − the start of its handling step: the signing,
                               a rework or a resume), in clock hours.                                   both

Weights come from settings.CASE_INDICATORS = {"basically_weight": …, "score_weights": {"response": …,
"resolve": …, "satisfaction": …}} (missing keys keep the defaults) or the `config` argument.

    report = indicators.compute(area, Period.month(2026, 11))     # Report(areas=[…], units=[…])
    data = indicators.to_xlsx(report)                              # .xlsx bytes, Chinese headers
"""

from zhizhi.cases.indicators.compute import area_rows, compute, report_for, unit_rows
from zhizhi.cases.indicators.definitions import (
    METRICS,
    Config,
    Counts,
    Metric,
    Period,
    Report,
    Row,
    config_from_settings,
)
from zhizhi.cases.indicators.excel import to_xlsx

__all__ = [
    "METRICS",
    "Config",
    "Counts",
    "Metric",
    "Period",
    "Report",
    "Row",
    "area_rows",
    "compute",
    "config_from_settings",
    "report_for",
    "to_xlsx",
    "unit_rows",
]
