"""Writing the planned demo street into the database in one transaction.

Places go through `areas.services` (codes are derived there); dwellings, households, residents, tags,
residences and contacts are bulk-inserted in batches, with the protected columns filled by
`people.services.apply_identity` exactly as a registration fills them (ciphertext, blind index, mask).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import OuterRef, Subquery

from zhizhi.areas import services as areas
from zhizhi.areas.models import Area, Building, Dwelling, Unit
from zhizhi.core import audit, clock, pii
from zhizhi.core.models import AuditAction
from zhizhi.core.roles import AreaLevel
from zhizhi.people.idnumber import parse_id_number
from zhizhi.people.models import Contact, Household, Residence, Resident, ResidentStatus, Tag
from zhizhi.people.services import apply_identity
from zhizhi.web.demo.layout import CITY, DISTRICT, STREET, StreetLayout
from zhizhi.web.demo.population import HEAD, HouseholdPlan

BATCH = 1000
Progress = Callable[[str, int, float], None]


@dataclass
class WriteReport:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def seeded_residents() -> int | None:
    """Residents in the demo street if it has been seeded (it has buildings), else None."""
    if not Building.objects.filter(area_code__startswith=STREET[0]).exists():
        return None
    return Resident.objects.filter(area_code__startswith=STREET[0]).count()


class _Steps:
    def __init__(self, progress: Progress | None):
        self.report = WriteReport()
        self.progress = progress
        self.started = time.perf_counter()

    def done(self, step: str, count: int) -> None:
        now = time.perf_counter()
        self.report.counts[step] = count
        self.report.seconds[step] = now - self.started
        if self.progress:
            self.progress(step, count, now - self.started)
        self.started = now


@transaction.atomic
def write_street(layout: StreetLayout, households: list[HouseholdPlan], progress: Progress | None = None):
    steps = _Steps(progress)
    grids = _write_areas(layout)
    steps.done("grids", len(grids))
    units = _write_buildings(layout, grids)
    steps.done("buildings", len(layout.buildings))
    dwellings = _write_dwellings(layout, units)
    steps.done("dwellings", len(dwellings))
    homes = Household.objects.bulk_create(
        [
            Household(
                number=h.number,
                kind=h.kind,
                dwelling=dwellings[h.dwelling],
                area_code=dwellings[h.dwelling].area_code,
            )
            for h in households
        ],
        batch_size=BATCH,
    )
    steps.done("households", len(homes))
    residents = _write_residents(households, homes, dwellings)
    steps.done("residents", len(residents))
    steps.done("tags", _write_tags(households, residents))
    steps.done("heads", _set_heads())
    steps.done("residences", _write_residences(households, residents, dwellings))
    steps.done("contacts", _write_contacts(households, residents))
    audit.record(
        None,
        AuditAction.IMPORT,
        object_type="areas.area",
        object_id=STREET[0],
        summary=f"seeded the demo street: {len(residents)} residents in {len(homes)} households",
    )
    return steps.report


def _set_heads() -> int:
    """Each new household's head is its member related as 户主 (one UPDATE, not one per household)."""
    head = Resident.objects.filter(household=OuterRef("pk"), relation_to_head=HEAD).values("pk")[:1]
    new = Household.objects.filter(area_code__startswith=STREET[0], head__isnull=True)
    return new.update(head=Subquery(head))


def _write_areas(layout: StreetLayout) -> dict[str, tuple[Area, Area]]:
    """Every level from the city down; returns grid code → (grid, its community)."""
    city = areas.ensure_area(AreaLevel.CITY, *CITY)
    district = areas.ensure_area(AreaLevel.DISTRICT, *DISTRICT, parent=city)
    street = areas.ensure_area(AreaLevel.STREET, *STREET, parent=district, boundary=layout.boundary)
    grids: dict[str, tuple[Area, Area]] = {}
    for c in layout.communities:
        community = areas.ensure_area(AreaLevel.COMMUNITY, c.code, c.name, parent=street, boundary=c.boundary)
        for g in c.grids:
            grid = areas.ensure_area(AreaLevel.GRID, g.code, g.name, parent=community, boundary=g.boundary)
            grids[g.code] = (grid, community)
    return grids


def _write_buildings(
    layout: StreetLayout, grids: dict[str, tuple[Area, Area]]
) -> dict[tuple[int, str], Unit]:
    units: dict[tuple[int, str], Unit] = {}
    built: list[Building] = []
    for grid_plan in layout.grids:
        grid, community = grids[grid_plan.code]
        for e in grid_plan.estates:
            estate = areas.create_estate(community, e.name, e.address)
            for b in e.buildings:
                building = areas.create_building(
                    estate, b.number, grid, lat=b.lat, lon=b.lon, floors=b.floors
                )
                building.built_year = b.built_year
                built.append(building)
                for n in range(1, b.units + 1):
                    units[(id(b), str(n))] = areas.create_unit(building, str(n))
    Building.objects.bulk_update(built, ["built_year"], batch_size=BATCH)
    return units


def _write_dwellings(layout: StreetLayout, units: dict[tuple[int, str], Unit]) -> list[Dwelling]:
    planned = [
        areas.build_dwelling(units[(id(d.building), d.unit_number)], d.room, d.floor)
        for d in layout.dwellings()
    ]
    return Dwelling.objects.bulk_create(planned, batch_size=BATCH)


def _write_residents(households: list[HouseholdPlan], homes: list[Household], dwellings: list[Dwelling]):
    now = clock.now()
    rows = []
    for plan, home in zip(households, homes, strict=True):
        dwelling = dwellings[plan.dwelling]
        for p in plan.members:
            resident = Resident(
                status=ResidentStatus.ACTIVE,
                household=home,
                relation_to_head=p.relation_to_head,
                home=dwelling,
                area_code=dwelling.area_code,
                created_at=now,
                updated_at=now,
            )
            apply_identity(resident, {"name": p.name, "info": parse_id_number(p.id_number), "phone": p.phone})
            rows.append(resident)
    return Resident.objects.bulk_create(rows, batch_size=BATCH)


def _members(households: list[HouseholdPlan], residents: list[Resident]) -> list[list[Resident]]:
    """Residents grouped by household, in plan order (bulk_create keeps the order)."""
    groups, at = [], 0
    for plan in households:
        groups.append(residents[at : at + len(plan.members)])
        at += len(plan.members)
    return groups


def _people(households: list[HouseholdPlan], residents: list[Resident]):
    for plan, members in zip(households, _members(households, residents), strict=True):
        yield from ((plan, p, r) for p, r in zip(plan.members, members, strict=True))


def _write_tags(households: list[HouseholdPlan], residents: list[Resident]) -> int:
    tag_ids = dict(Tag.objects.values_list("code", "pk"))
    through = Resident.tags.through
    rows = [
        through(resident_id=r.pk, tag_id=tag_ids[code])
        for _, p, r in _people(households, residents)
        for code in sorted(p.tags)
        if code in tag_ids
    ]
    through.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _write_residences(households: list[HouseholdPlan], residents: list[Resident], dwellings: list[Dwelling]):
    rows = [
        Residence(
            resident=r,
            dwelling=dwellings[plan.dwelling],
            relation=p.residence,
            is_primary=True,
            since=max(plan.since, p.birth),
        )
        for plan, p, r in _people(households, residents)
    ]
    Residence.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _write_contacts(households: list[HouseholdPlan], residents: list[Resident]) -> int:
    rows = [
        Contact(
            resident=r,
            kind=c.kind,
            name=c.name,
            relation=c.relation,
            phone=c.phone,
            phone_masked=pii.mask_phone(c.phone),
            priority=n,
        )
        for _, p, r in _people(households, residents)
        for n, c in enumerate(p.contacts, start=1)
    ]
    Contact.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)
