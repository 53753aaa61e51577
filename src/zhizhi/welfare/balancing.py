"""Assigning elders to advisors, balancing load. Pure: ids and weights in, an assignment out.

Load is weighted by risk (a high-risk elder needs a visit a week, a low-risk one a month): an elder goes to
the advisor with the least load so far, heaviest elders first, ties broken by advisor id so the result is
deterministic.
"""

from __future__ import annotations

import heapq

RISK_WEIGHT = {"high": 4, "medium": 2, "low": 1}


def balance(elders: list[tuple[int, str]], current_load: dict[int, int]) -> dict[int, int]:
    """elders: (case file id, risk level) to place; current_load: advisor id → load already carried.
    Returns {case file id: advisor id}. No advisors → nothing assigned."""
    if not current_load:
        return {}
    heap = [(load, advisor) for advisor, load in current_load.items()]
    heapq.heapify(heap)
    assignment = {}
    for casefile_id, level in sorted(elders, key=lambda e: (-RISK_WEIGHT.get(e[1], 1), e[0])):
        load, advisor = heapq.heappop(heap)
        assignment[casefile_id] = advisor
        heapq.heappush(heap, (load + RISK_WEIGHT.get(level, 1), advisor))
    return assignment


def load_of(levels: list[str]) -> int:
    return sum(RISK_WEIGHT.get(level, 1) for level in levels)
