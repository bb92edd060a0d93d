"""Ranking a vacancy: who on the joint list is offered the home, in what order, and why the
applicants above were passed over (issue 14; docs/letting.md).

The list is read in seniority order (oldest first; the application's id breaks ties, so the
order is stable) through the partial index `wl_app_rank` (list type, seniority date, id for
applications on the list), a chunk at a time, and each application is judged in Python
against the vacancy: on hold, restricted or unpaid (in reminder) are out; then the
applicant's own wishes; then the cooperation's eligibility rules (household size against
rooms). The scan stops as soon as enough eligible applicants are found, so ranking one home
reads a few hundred rows, not the whole list. Deleted applicants and those who left are not
on the list at all (they have no seniority to be ranked by).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from core import formatting
from tenancy.models import Lease, Person

from ..models import Applicant, Application, CooperationMember, ListType
from ..models_letting import LettingHold, LettingRules, Reason, Vacancy

ON_LIST = (Application.Status.ACTIVE, Application.Status.REMINDED)
FIRST_CHUNK = 50
MAX_CHUNK = 5000


@dataclass(frozen=True)
class Judged:
    """One application as the ranking saw it."""

    application_id: int
    applicant_id: int
    seniority_date: date | None
    reason: str  # Reason value; "" = eligible
    detail: str = ""
    priority: bool = False


@dataclass
class Ranking:
    """The result: every application looked at (in order) and the eligible ones ranked."""

    judged: list[Judged] = field(default_factory=list)
    eligible: list[Judged] = field(default_factory=list)
    scanned: int = 0


def rules_for(cooperation_id: int) -> LettingRules:
    rules = LettingRules.objects.filter(cooperation_id=cooperation_id).first()
    return rules or LettingRules(cooperation_id=cooperation_id)


def household_size(*, has_spouse: bool, children: int) -> int:
    return 1 + (1 if has_spouse else 0) + (children or 0)


# --- the judgement of one application ---------------------------------------------------


def _wish_reason(row: dict, departments: set[int], vacancy: Vacancy) -> tuple[str, str]:
    rooms = vacancy.rooms
    if row["min_rooms"] and rooms < row["min_rooms"]:
        return Reason.ROOMS_WISH, f"ønsker mindst {row['min_rooms']} værelser"
    if row["max_rooms"] and rooms > row["max_rooms"]:
        return Reason.ROOMS_WISH, f"ønsker højst {row['max_rooms']} værelser"
    if row["min_area"] and vacancy.area_m2 < row["min_area"]:
        return Reason.AREA_WISH, f"ønsker mindst {row['min_area']} m²"
    if row["max_rent"] is not None and vacancy.rent > row["max_rent"]:
        return Reason.RENT_WISH, f"højeste husleje {formatting.money(row['max_rent'])}"
    if departments and vacancy.department_id not in departments:
        return Reason.PLACE_WISH, "ønsker andre afdelinger"
    areas = [a.strip().lower() for a in (row["areas"] or "").split(",") if a.strip()]
    if areas and not departments and (vacancy.city or "").lower() not in areas:
        return Reason.PLACE_WISH, "ønsker andre byer"
    if (
        (row["ground_floor_or_lift"] and not vacancy.ground_floor_or_lift)
        or (row["pets"] and not vacancy.pets_allowed)
        or (row["balcony_or_garden"] and not vacancy.balcony_or_garden)
    ):
        return Reason.FEATURE_WISH, ""
    if row["earliest_move_in"] and row["earliest_move_in"] > vacancy.move_in_date:
        return Reason.MOVE_IN_WISH, f"tidligst {row['earliest_move_in']:%d.%m.%Y}"
    return Reason.ELIGIBLE, ""


def _household_reason(row: dict, vacancy: Vacancy, rules: LettingRules) -> tuple[str, str]:
    if vacancy.list_type == ListType.STUDENT:
        return Reason.ELIGIBLE, ""
    persons = household_size(
        has_spouse=bool(row["applicant__spouse_name"]), children=row["applicant__children_under_23"]
    )
    if rules.max_persons_per_room and persons > vacancy.rooms * rules.max_persons_per_room:
        return Reason.HOUSEHOLD, f"{persons} personer til {vacancy.rooms} værelser"
    if rules.max_extra_rooms is not None and vacancy.rooms > persons + rules.max_extra_rooms:
        return Reason.HOUSEHOLD, f"{persons} person(er) til {vacancy.rooms} værelser"
    return Reason.ELIGIBLE, ""


def judge(
    row: dict,
    *,
    vacancy: Vacancy,
    rules: LettingRules,
    departments: set[int],
    on_hold: bool,
    restricted: bool,
) -> tuple[str, str]:
    """Why this application cannot have the home ("" when it can): the state first, then
    the applicant's wishes, then the cooperation's rules."""
    if restricted:
        return Reason.RESTRICTED, ""
    if on_hold:
        return Reason.ON_HOLD, ""
    if row["status"] == Application.Status.REMINDED:
        return Reason.UNPAID, ""
    reason = _wish_reason(row, departments, vacancy)
    if reason[0]:
        return reason
    return _household_reason(row, vacancy, rules)


# --- reading the list ----------------------------------------------------------------------

FIELDS = (
    "pk",
    "applicant_id",
    "status",
    "seniority_date",
    "min_rooms",
    "max_rooms",
    "min_area",
    "max_rent",
    "areas",
    "ground_floor_or_lift",
    "pets",
    "balcony_or_garden",
    "earliest_move_in",
    "applicant__spouse_name",
    "applicant__children_under_23",
    "applicant__restricted",  # GDPR restriction of processing (issue 15)
)


def _base(vacancy: Vacancy):
    return Application.objects.filter(
        applicant__cooperation_id=vacancy.cooperation_id,
        list_type=vacancy.list_type,
        status__in=ON_LIST,
        seniority_date__isnull=False,
    )


def _chunks(qs, *, first: int = FIRST_CHUNK) -> Iterator[list[dict]]:
    """The applications in seniority order, keyset-paged (growing chunks)."""
    size = first
    after: tuple[date, int] | None = None
    while True:
        page = qs
        if after is not None:
            page = page.filter(
                Q(seniority_date__gt=after[0]) | Q(seniority_date=after[0], pk__gt=after[1])
            )
        rows = list(page.order_by("seniority_date", "pk").values(*FIELDS)[:size])
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        after = (rows[-1]["seniority_date"], rows[-1]["pk"])
        size = min(size * 4, MAX_CHUNK)


def _chunk_facts(rows: list[dict]) -> tuple[dict[int, set[int]], set[int]]:
    """Departments wished (per application) and the applicants on hold."""
    app_ids = [r["pk"] for r in rows]
    applicant_ids = [r["applicant_id"] for r in rows]
    departments: dict[int, set[int]] = {}
    through = Application.departments.through
    for app_id, dep_id in through.objects.filter(application_id__in=app_ids).values_list(
        "application_id", "department_id"
    ):
        departments.setdefault(app_id, set()).add(dep_id)
    held = set(
        LettingHold.objects.filter(
            applicant_id__in=applicant_ids, lifted_at__isnull=True
        ).values_list("applicant_id", flat=True)
    )
    return departments, held


def existing_tenant_applicant_ids(vacancy: Vacancy) -> set[int]:
    """Applicants on the vacancy's list who rent a home from a member organisation now."""
    org_ids = CooperationMember.objects.filter(cooperation_id=vacancy.cooperation_id).values(
        "organisation_id"
    )
    hashes = (
        Person.objects.filter(organisation_id__in=org_ids)
        .exclude(cpr_hash="")
        .filter(
            pk__in=Lease.objects.filter(organisation_id__in=org_ids)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=vacancy.move_in_date))
            .values("parties")
        )
        .values("cpr_hash")
    )
    return set(
        Applicant.objects.filter(
            cooperation_id=vacancy.cooperation_id, cpr_hash__in=hashes
        ).values_list("pk", flat=True)
    )


def _judge_rows(
    rows: list[dict],
    *,
    vacancy: Vacancy,
    rules: LettingRules,
    skip: set[int],
    priority: bool = False,
) -> Iterator[Judged]:
    departments, held = _chunk_facts(rows)
    for row in rows:
        reason: str
        detail: str
        if row["pk"] in skip:
            reason, detail = Reason.OFFERED_BEFORE, ""
        else:
            reason, detail = judge(
                row,
                vacancy=vacancy,
                rules=rules,
                departments=departments.get(row["pk"], set()),
                on_hold=row["applicant_id"] in held,
                restricted=row["applicant__restricted"],
            )
        yield Judged(
            application_id=row["pk"],
            applicant_id=row["applicant_id"],
            seniority_date=row["seniority_date"],
            reason=reason,
            detail=detail,
            priority=priority,
        )


def _scan(
    qs,
    ranking: Ranking,
    *,
    vacancy: Vacancy,
    rules: LettingRules,
    skip: set[int],
    wanted: int,
    priority: bool = False,
    stop_at: int | None = None,
) -> bool:
    """Judge applications in order into `ranking` until `wanted` are eligible or `stop_at`
    (an application id) has been judged; True when the scan stopped early."""
    for rows in _chunks(qs):
        for judged in _judge_rows(rows, vacancy=vacancy, rules=rules, skip=skip, priority=priority):
            ranking.scanned += 1
            ranking.judged.append(judged)
            if not judged.reason:
                ranking.eligible.append(judged)
            if len(ranking.eligible) >= wanted or judged.application_id == stop_at:
                return True
    return False


def rank_vacancy(
    *,
    vacancy: Vacancy,
    wanted: int,
    skip: Iterable[int] = (),
    stop_at: int | None = None,
    rules: LettingRules | None = None,
) -> Ranking:
    """The first `wanted` eligible applications for the vacancy in ranked order, with every
    application above them judged (why it was passed over). `skip`: applications offered the
    home in an earlier round. `stop_at`: stop when this application has been judged (the
    "why not me" and waiting-time questions)."""
    rules = rules or rules_for(vacancy.cooperation_id)
    skip = set(skip)
    ranking = Ranking()
    qs = _base(vacancy)
    if rules.existing_tenants_first:
        tenants = existing_tenant_applicant_ids(vacancy)
        if tenants:
            done = _scan(
                qs.filter(applicant_id__in=tenants),
                ranking,
                vacancy=vacancy,
                rules=rules,
                skip=skip,
                wanted=wanted,
                priority=True,
                stop_at=stop_at,
            )
            if done:
                return ranking
            qs = qs.exclude(applicant_id__in=tenants)
    _scan(qs, ranking, vacancy=vacancy, rules=rules, skip=skip, wanted=wanted, stop_at=stop_at)
    return ranking


def vacancy_matches(application: Application, vacancy: Vacancy, rules: LettingRules) -> bool:
    """Whether the application's wishes and household fit the vacancy (state aside)."""
    row = {f: getattr(application, f) for f in FIELDS if "__" not in f and f != "pk"}
    row["applicant__spouse_name"] = application.applicant.spouse_name
    row["applicant__children_under_23"] = application.applicant.children_under_23
    row["applicant__restricted"] = application.applicant.restricted
    departments = set(application.departments.values_list("pk", flat=True))
    if _wish_reason(row, departments, vacancy)[0]:
        return False
    return not _household_reason(row, vacancy, rules)[0]
