"""Facts about a closure that the indicators need, read from the case's transition rows at the moment it is
closed and stamped on the CLOSE row's `data` (so a report over a year of closures reads each row once instead
of searching every case's history again):

    first          no earlier closure of this case (reopened cases close more than once)
    registered_at  when the case was registered (立案), epoch seconds — the 结案率 cohort of an area
    assigned_at    when it was last assigned to the unit that handled it, epoch seconds — a unit's cohort
    late           some action of the case up to the closure came after its deadline, or it was flagged
                   overdue (按期结案 of an area)
    late_unit      the same, counting only the handling unit's own rows while it held the case (of a unit)
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, Q

from zhizhi.cases.models import CaseAction, CaseStatus, Transition

A = CaseAction
ASSIGN = [A.DISPATCH, A.ESCALATE, A.SEND_DOWN, A.REOPEN]
HELD = [CaseStatus.DISPATCHED, CaseStatus.ACCEPTED, CaseStatus.IN_HANDLING]
LATE = Q(on_time=False) | Q(action=A.WARN, data__overdue=True)
KEYS = ("first", "registered_at", "assigned_at", "late", "late_unit")


def epoch(moment: dt.datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


def closure_facts(row: Transition) -> dict:
    """The facts of the CLOSE row `row` (one aggregate query over the case's earlier rows)."""
    unit = row.unit_from_id
    earlier = Transition.objects.filter(case_id=row.case_id, at__lte=row.at).exclude(pk=row.pk)
    facts = earlier.aggregate(
        registered=Max("at", filter=Q(action=A.REGISTER)),
        assigned=Max("at", filter=Q(action__in=ASSIGN, unit_to_id=unit)),
        closes=Count("id", filter=Q(action=A.CLOSE)),
        late=Count("id", filter=LATE),
        late_unit=Count("id", filter=LATE & Q(unit_from_id=unit, from_status__in=HELD)),
    )
    return {
        "first": facts["closes"] == 0,
        "registered_at": epoch(facts["registered"]),
        "assigned_at": epoch(facts["assigned"]),
        "late": bool(facts["late"]) or row.on_time is False,
        "late_unit": bool(facts["late_unit"]) and unit is not None,
    }


def stamp_closure(row: Transition) -> None:
    """Write the facts onto the CLOSE row (the row is otherwise never changed)."""
    Transition.objects.filter(pk=row.pk).update(data={**(row.data or {}), **closure_facts(row)})
