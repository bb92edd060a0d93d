"""Letting from the joint list (issue 14; docs/letting.md): vacancies and municipal
referrals, offer rounds, answers, the hold rule and the assignment that makes the lease.

Every write locks the vacancy row first (`select_for_update`), so two caseworkers answering
at once, the deadline task and an applicant answering online are serialised per home; the
home is assigned once (the vacancy's one-to-one `assigned_offer` and the one-winner
constraint back that up in the database).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import formatting
from core.errors import DomainError
from tenancy import hooks as tenancy_hooks
from tenancy.models import Lease, Person, Unit
from tenancy.services import lease_create, person_create
from tenancy.terms import LEASE_TERMS

from ..models import Application, Cooperation, CooperationMember, ListType, UnitListing
from ..models_letting import (
    LettingHold,
    MunicipalReferral,
    Offer,
    OfferRound,
    RankingEntry,
    Vacancy,
)
from .applicants import event
from .letting_ranking import ON_LIST, rank_vacancy, rules_for

__all__ = [
    "hold_lift",
    "lease_changed",
    "offer_answer",
    "referral_close",
    "round_start",
    "rounds_due_run",
    "vacancy_create",
    "vacancy_withdraw",
]


# --- vacancies and referrals ------------------------------------------------------------------


def _cooperation_of(unit: Unit) -> Cooperation | None:
    member = (
        CooperationMember.objects.filter(organisation_id=unit.organisation_id)
        .select_related("cooperation")
        .order_by("cooperation_id")
        .first()
    )
    return member.cooperation if member else None


def _unit_facts(unit: Unit) -> dict:
    unit = Unit.objects.select_related("entrance__building__property").get(pk=unit.pk)
    entrance = unit.entrance
    floor = (unit.floor or "").lower()
    return {
        "department_id": entrance.building.property.department_id,
        "city": entrance.city,
        "rooms": unit.rooms,
        "area_m2": unit.area_m2,
        "ground_floor_or_lift": floor in {"", "st", "kl"},
    }


def vacancy_create(
    *,
    unit: Unit,
    move_in_date: date,
    rent: Decimal,
    list_type: str = ListType.FAMILY,
    actor=None,
    ended_lease: Lease | None = None,
    pets_allowed: bool = False,
    balcony_or_garden: bool = False,
) -> Vacancy:
    """A home to let from the cooperation's list. Refused for units the municipality
    allocates and for units that already have an active vacancy."""
    listing = UnitListing.objects.filter(unit=unit).first()
    if listing and listing.municipality_allocated:
        raise DomainError(_("Boligen anvises af kommunen og kan ikke udlejes fra ventelisten."))
    cooperation = _cooperation_of(unit)
    if cooperation is None:
        raise DomainError(
            _("Boligens organisation er ikke med i et udlejningssamarbejde med fælles venteliste.")
        )
    if rent is None or rent <= 0:
        raise DomainError({"rent": [_("Angiv huslejen pr. måned (større end 0).")]})
    if list_type not in ListType.values:
        raise DomainError({"list_type": [_("Vælg familie- eller studieliste.")]})
    vacancy = Vacancy(
        organisation_id=unit.organisation_id,
        cooperation=cooperation,
        unit=unit,
        ended_lease=ended_lease,
        list_type=list_type,
        move_in_date=move_in_date,
        rent=rent,
        pets_allowed=pets_allowed,
        balcony_or_garden=balcony_or_garden,
        created_by=actor if getattr(actor, "pk", None) else None,
        **_unit_facts(unit),
    )
    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        if Vacancy.objects.filter(unit=unit, status__in=Vacancy.ACTIVE).exists():
            raise DomainError(_("Boligen er allerede meldt ledig og er ved at blive udlejet."))
        vacancy.save()
    return vacancy


def referral_close(*, referral: MunicipalReferral) -> MunicipalReferral:
    """The municipality has named the tenant (the lease is made as any other)."""
    with transaction.atomic():
        referral.status = MunicipalReferral.Status.DONE
        referral.closed_at = timezone.now()
        referral.save(update_fields=["status", "closed_at"])
    return referral


def lease_changed(change: tenancy_hooks.LeaseChange) -> None:
    """tenancy's lease_changed hook (inside the lease change's transaction): an ended lease
    on a unit let through the joint list makes a vacancy from the day after; on a unit the
    municipality allocates, a referral. A reinstated lease withdraws the vacancy it made."""
    lease = change.lease
    action = change.record.action
    if action == "reinstate":
        for vacancy in Vacancy.objects.filter(ended_lease=lease, status__in=Vacancy.ACTIVE):
            vacancy_withdraw(vacancy=vacancy, reason=_("Lejemålet blev genoptaget."))
        MunicipalReferral.objects.filter(
            ended_lease=lease, status=MunicipalReferral.Status.AWAITING
        ).delete()
        return
    if action != "end" or lease.end_date is None:
        return
    # A unit without a listing row is let through the joint list (waitlist.selectors).
    listing = UnitListing.objects.filter(unit_id=lease.unit_id).first()
    vacant_from = lease.end_date + timedelta(days=1)
    if listing and listing.municipality_allocated:
        MunicipalReferral.objects.get_or_create(
            ended_lease=lease,
            defaults={
                "organisation_id": lease.organisation_id,
                "unit_id": lease.unit_id,
                "vacant_from": vacant_from,
            },
        )
        return
    if (listing and not listing.let_through_joint_list) or _cooperation_of(lease.unit) is None:
        return
    if Vacancy.objects.filter(unit_id=lease.unit_id, status__in=Vacancy.ACTIVE).exists():
        return
    vacancy_create(
        unit=lease.unit,
        move_in_date=vacant_from,
        rent=lease.rent,
        list_type=ListType.STUDENT if lease.student_room else ListType.FAMILY,
        actor=change.record.actor,
        ended_lease=lease,
    )


def _locked(vacancy: Vacancy) -> Vacancy:
    return Vacancy.objects.select_for_update().get(pk=vacancy.pk)


def vacancy_withdraw(*, vacancy: Vacancy, reason: str, actor=None) -> Vacancy:
    """Take the home off the list: the open round closes, open offers lapse as "cancelled"
    (the applicants are told), nothing else changes for them."""
    if not (reason or "").strip():
        raise DomainError({"reason": [_("Skriv hvorfor boligen trækkes tilbage.")]})
    with transaction.atomic():
        vacancy = _locked(vacancy)
        if not vacancy.is_active:
            raise DomainError(
                _("Boligen er %s og kan ikke trækkes tilbage.") % vacancy.get_status_display()
            )
        open_offers = list(
            vacancy.offers.filter(status__in=[Offer.Status.PENDING, Offer.Status.ACCEPTED])
        )
        for offer in open_offers:
            offer.status = Offer.Status.CANCELLED
            offer.note = _("Boligen blev trukket tilbage.")
            offer.save(update_fields=["status", "note"])
        vacancy.rounds.filter(status=OfferRound.Status.OPEN).update(
            status=OfferRound.Status.CLOSED, closed_at=timezone.now()
        )
        vacancy.status = Vacancy.Status.WITHDRAWN
        vacancy.withdrawn_reason = reason.strip()[:300]
        vacancy.save(update_fields=["status", "withdrawn_reason"])
        from .letting_letters import notify_withdrawn

        for offer in open_offers:
            notify_withdrawn(offer=offer)
    return vacancy


# --- rounds ------------------------------------------------------------------------------------


def _deadline(days: int) -> datetime:
    """The end of the day `days` days from today (Danish time)."""
    last = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(last, time(23, 59)))


def round_start(*, vacancy: Vacancy, actor=None) -> OfferRound:
    """Offer the home to the next N ranked applicants (N and the deadline from the
    cooperation's rules). Stores the ranking as it was, with the reason for everyone
    passed over above the last offered applicant."""
    with transaction.atomic():
        vacancy = _locked(vacancy)
        if not vacancy.is_active:
            raise DomainError(
                _("Boligen er %s; der kan ikke startes en ny tilbudsrunde.")
                % vacancy.get_status_display().lower()
            )
        if vacancy.rounds.filter(status=OfferRound.Status.OPEN).exists():
            raise DomainError(_("Der er allerede en tilbudsrunde i gang for boligen."))
        return _round_open(vacancy=vacancy, actor=actor)


def _round_open(*, vacancy: Vacancy, actor=None) -> OfferRound:
    rules = rules_for(vacancy.cooperation_id)
    offered = set(vacancy.offers.values_list("application_id", flat=True))
    ranking = rank_vacancy(vacancy=vacancy, wanted=rules.offers_per_round, skip=offered)
    number = (vacancy.rounds.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    deadline = _deadline(rules.answer_days)
    rnd = OfferRound.objects.create(
        vacancy=vacancy,
        number=number,
        started_by=actor if getattr(actor, "pk", None) else None,
        deadline=deadline,
        scanned=ranking.scanned,
    )
    ranks = {j.application_id: i for i, j in enumerate(ranking.eligible, start=1)}
    RankingEntry.objects.bulk_create(
        RankingEntry(
            round=rnd,
            position=pos,
            application_id=j.application_id,
            seniority_date=j.seniority_date,
            rank=ranks.get(j.application_id),
            reason=j.reason,
            detail=j.detail[:200],
        )
        for pos, j in enumerate(ranking.judged, start=1)
    )
    if not ranking.eligible:
        rnd.status = OfferRound.Status.CLOSED
        rnd.closed_at = timezone.now()
        rnd.save(update_fields=["status", "closed_at"])
        vacancy.status = Vacancy.Status.NO_APPLICANTS
        vacancy.save(update_fields=["status"])
        return rnd
    apps = Application.objects.select_related("applicant").in_bulk(list(ranks))
    offers = [
        Offer.objects.create(
            round=rnd,
            vacancy=vacancy,
            application=apps[app_id],
            applicant=apps[app_id].applicant,
            rank=rank,
            channel=apps[app_id].applicant.channel,
            deadline=deadline,
        )
        for app_id, rank in ranks.items()
    ]
    vacancy.status = Vacancy.Status.OFFERING
    vacancy.save(update_fields=["status"])
    from .letting_letters import notify_offer

    for offer in offers:
        event(
            offer.applicant,
            "offer",
            _("Tilbud om bolig %(unit)s (runde %(n)s, svarfrist %(deadline)s)")
            % {"unit": vacancy.unit, "n": number, "deadline": formatting.moment(deadline)},
            application=offer.application,
            actor=actor if getattr(actor, "pk", None) else None,
        )
        notify_offer(offer=offer)
    return rnd


# --- answers -----------------------------------------------------------------------------------


def _answer_refusal(offer: Offer, vacancy: Vacancy, now: datetime) -> str | None:
    """Why this answer cannot be registered (None when it can)."""
    if vacancy.status == Vacancy.Status.WITHDRAWN:
        return _("Boligen er trukket tilbage, så tilbuddet kan ikke længere besvares.")
    if offer.status == Offer.Status.CANCELLED:
        return _("Tilbuddet er bortfaldet: %s") % (offer.note or _("boligen er udlejet."))
    if offer.status != Offer.Status.PENDING:
        who = formatting.user_name(offer.answered_by, system=_("ansøgeren"))
        return _("Tilbuddet er allerede besvaret: %(status)s %(at)s (%(who)s). Opdatér siden.") % {
            "status": offer.get_status_display().lower(),
            "at": formatting.moment(offer.answered_at),
            "who": who,
        }
    if vacancy.status == Vacancy.Status.ASSIGNED:
        return _("Boligen er allerede udlejet.")
    if now > offer.deadline:
        return _("Svarfristen udløb %s. Tilbuddet kan ikke længere besvares.") % (
            formatting.moment(offer.deadline)
        )
    if offer.application.status not in ON_LIST:
        return (
            _("Ansøgeren er ikke længere på ventelisten (%s), så tilbuddet er bortfaldet.")
            % offer.application.get_status_display().lower()
        )
    return None


def offer_answer(
    *, offer: Offer, accept: bool, actor=None, via: str = Offer.Via.STAFF, now=None
) -> Offer:
    """Register an answer (accept or decline). The home goes to the best-ranked applicant
    who accepted, as soon as nobody better placed can still answer; accepting keeps the
    applicant on the list."""
    now = now or timezone.now()
    with transaction.atomic():
        vacancy = _locked(offer.vacancy)
        offer = Offer.objects.select_related("application", "answered_by").get(pk=offer.pk)
        refusal = _answer_refusal(offer, vacancy, now)
        if refusal:
            raise DomainError(refusal)
        offer.status = Offer.Status.ACCEPTED if accept else Offer.Status.DECLINED
        offer.answered_at = now
        offer.answered_via = via
        offer.answered_by = actor if getattr(actor, "pk", None) else None
        offer.save(update_fields=["status", "answered_at", "answered_via", "answered_by"])
        event(
            offer.applicant,
            "offer_answer",
            _("%(answer)s tilbud om bolig %(unit)s")
            % {"answer": _("Accepterede") if accept else _("Afslog"), "unit": vacancy.unit},
            application=offer.application,
            actor=offer.answered_by,
        )
        _round_settle(vacancy=vacancy, rnd=offer.round, now=now, actor=offer.answered_by)
    offer.refresh_from_db()
    return offer


# --- settling a round ----------------------------------------------------------------------


def _cancel_unlisted(rnd: OfferRound) -> None:
    """Offers of applicants no longer on the list (deleted, left) lapse as cancelled."""
    rnd.offers.filter(status__in=[Offer.Status.PENDING, Offer.Status.ACCEPTED]).exclude(
        application__status__in=ON_LIST
    ).update(
        status=Offer.Status.CANCELLED,
        note=_("Ansøgeren er ikke længere på ventelisten."),
    )


def _lapse(rnd: OfferRound, now: datetime) -> list[Offer]:
    lapsed = list(rnd.offers.filter(status=Offer.Status.PENDING, deadline__lt=now))
    for offer in lapsed:
        offer.status = Offer.Status.LAPSED
        offer.answered_via = Offer.Via.SYSTEM
        offer.save(update_fields=["status", "answered_via"])
    return lapsed


def _hold_after_lapses(offers: list[Offer], cooperation_id: int) -> None:
    """The cooperation's hold rule: N offers let lapse (since the last hold) → on hold."""
    rules = rules_for(cooperation_id)
    if not rules.lapses_before_hold:
        return
    for offer in offers:
        applicant = offer.applicant
        last = applicant.holds.order_by("-created_at").values_list("created_at", flat=True).first()
        lapses = Offer.objects.filter(applicant=applicant, status=Offer.Status.LAPSED)
        if last:
            lapses = lapses.filter(created_at__gt=last)
        if (
            lapses.count() < rules.lapses_before_hold
            or applicant.holds.filter(lifted_at__isnull=True).exists()
        ):
            continue
        reason = _("%s tilbud er ikke besvaret inden fristen.") % rules.lapses_before_hold
        LettingHold.objects.create(applicant=applicant, reason=reason)
        event(applicant, "hold", _("Sat på pause for tilbud: %s") % reason)


def _round_settle(*, vacancy: Vacancy, rnd: OfferRound, now: datetime, actor=None) -> None:
    """Decide what can be decided (the vacancy row is locked): the best-ranked acceptor
    wins once everyone ranked better has answered; when nobody can accept any more, the
    round closes and the next one starts by itself."""
    if rnd.status != OfferRound.Status.OPEN:
        return
    _cancel_unlisted(rnd)
    lapsed = _lapse(rnd, now)
    if lapsed:
        _hold_after_lapses(lapsed, vacancy.cooperation_id)
    offers = list(rnd.offers.select_related("applicant", "application").order_by("rank"))
    for offer in offers:
        if offer.status == Offer.Status.PENDING:
            return  # someone better placed can still answer
        if offer.status == Offer.Status.ACCEPTED:
            _close(rnd)
            _assign(vacancy=vacancy, winner=offer, offers=offers, actor=actor)
            return
    _close(rnd)
    _round_open(vacancy=vacancy)


def _close(rnd: OfferRound) -> None:
    rnd.status = OfferRound.Status.CLOSED
    rnd.closed_at = timezone.now()
    rnd.save(update_fields=["status", "closed_at"])


def rounds_due_run(*, now: datetime | None = None) -> int:
    """Periodic (beat): settle every open round whose deadline has passed. Idempotent:
    each round is settled under the vacancy's lock and a closed round is left alone."""
    now = now or timezone.now()
    settled = 0
    for rnd_id, vacancy_id in OfferRound.objects.filter(
        status=OfferRound.Status.OPEN, deadline__lt=now
    ).values_list("pk", "vacancy_id"):
        with transaction.atomic():
            vacancy = Vacancy.objects.select_for_update().get(pk=vacancy_id)
            rnd = OfferRound.objects.get(pk=rnd_id)
            if rnd.status == OfferRound.Status.OPEN:
                _round_settle(vacancy=vacancy, rnd=rnd, now=now)
                settled += 1
    return settled


# --- assignment: the new lease --------------------------------------------------------------


def _tenant_person(offer: Offer, organisation_id: int, actor) -> Person:
    applicant = offer.applicant
    if applicant.cpr_hash:
        existing = Person.objects.filter(
            organisation_id=organisation_id, cpr_hash=applicant.cpr_hash
        ).first()
        if existing:
            return existing
    cpr = applicant.reveal_cpr().replace("-", "")
    return person_create(
        organisation=offer.vacancy.organisation,
        name=applicant.name,
        cpr=cpr,
        birth_date=None if cpr else applicant.birth_date,
        email=applicant.email,
        phone=applicant.phone,
        actor=actor,
        # issue 15: a CPR number is stored only on a recorded basis
        cpr_basis=tenancy_hooks.CprBasis(
            kind="contract",
            evidence=_("Fra ventelisteansøgningen ved tildeling af lejemål (tilbud %s)") % offer.pk,
        ),
    )


def _lease_terms(vacancy: Vacancy) -> dict:
    if vacancy.ended_lease_id is None:
        return {"student_room": vacancy.list_type == ListType.STUDENT}
    old = vacancy.ended_lease
    return {name: getattr(old, name) for name in LEASE_TERMS}


def _assign(*, vacancy: Vacancy, winner: Offer, offers: list[Offer], actor=None) -> None:
    if vacancy.assigned_offer_id or vacancy.status == Vacancy.Status.ASSIGNED:
        raise DomainError(_("Boligen er allerede udlejet."))
    person = _tenant_person(winner, vacancy.organisation_id, actor)
    lease = lease_create(
        unit=vacancy.unit,
        parties=[person],
        start_date=vacancy.move_in_date,
        rent=vacancy.rent,
        actor=actor,
        **_lease_terms(vacancy),
    )
    winner.outcome = Offer.Outcome.WON
    winner.save(update_fields=["outcome"])
    for offer in offers:
        if offer.pk != winner.pk and offer.status == Offer.Status.ACCEPTED:
            offer.outcome = Offer.Outcome.NOT_CHOSEN
            offer.save(update_fields=["outcome"])
        elif offer.status == Offer.Status.PENDING:  # ranked below the winner: cannot win
            offer.status = Offer.Status.CANCELLED
            offer.note = _("Boligen er udlejet til en ansøger med bedre placering.")
            offer.save(update_fields=["status", "note"])
    vacancy.status = Vacancy.Status.ASSIGNED
    vacancy.assigned_offer = winner
    vacancy.assigned_at = timezone.now()
    vacancy.new_lease = lease
    vacancy.save(update_fields=["status", "assigned_offer", "assigned_at", "new_lease"])
    event(
        winner.applicant,
        "assigned",
        _("Fik bolig %(unit)s fra %(day)s; står fortsat på ventelisten.")
        % {"unit": vacancy.unit, "day": formatting.day(vacancy.move_in_date)},
        application=winner.application,
    )
    from .letting_letters import notify_result

    for offer in offers:
        if offer.status == Offer.Status.ACCEPTED:
            notify_result(offer=offer)


# --- holds ---------------------------------------------------------------------------------


def hold_lift(*, hold: LettingHold, actor=None) -> LettingHold:
    """Lift a hold: the applicant is offered homes again."""
    with transaction.atomic():
        hold = LettingHold.objects.select_for_update().get(pk=hold.pk)
        if hold.lifted_at:
            raise DomainError(_("Pausen er allerede ophævet."))
        hold.lifted_at = timezone.now()
        hold.lifted_by = actor if getattr(actor, "pk", None) else None
        hold.save(update_fields=["lifted_at", "lifted_by"])
        event(hold.applicant, "hold_lifted", _("Pause for tilbud ophævet"), actor=hold.lifted_by)
    return hold
