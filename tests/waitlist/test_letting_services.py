"""Letting from the joint list (issue 14): vacancies, ranking with reasons, rounds, answers,
the assignment that makes the lease, and the defined outcomes of races and bad timing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import DomainError
from rentregister.models import Filing
from tenancy import services as tenancy_services
from tests.factories import make_lease
from waitlist.models import (
    Application,
    LettingHold,
    LettingRules,
    MunicipalReferral,
    Offer,
    OfferRound,
    RankingEntry,
    Reason,
    UnitListing,
    Vacancy,
)
from waitlist.services import letting as svc
from waitlist.services.letting_ranking import rank_vacancy

from .letting_fixtures import RENT, applicant_on_list, list_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed_unit(unit, cooperation):
    list_unit(unit)
    return unit


@pytest.fixture
def vacancy(listed_unit, cooperation):
    return svc.vacancy_create(unit=listed_unit, move_in_date=date(2027, 1, 1), rent=RENT)


def _seniors(cooperation, n, **kw):
    return [
        applicant_on_list(cooperation, seniority=date(2010, 1, 1) + timedelta(days=i), **kw)
        for i in range(n)
    ]


# --- vacancies ------------------------------------------------------------------------------


def test_ending_a_lease_on_a_list_unit_makes_a_vacancy(listed_unit, cooperation):
    lease = make_lease(listed_unit, rent=Decimal("7100.00"))
    tenancy_services.lease_end(lease=lease, end_date=date(2026, 12, 31))
    vacancy = Vacancy.objects.get(unit=listed_unit)
    assert vacancy.move_in_date == date(2027, 1, 1)
    assert vacancy.rent == Decimal("7100.00")
    assert vacancy.rooms == listed_unit.rooms
    assert vacancy.list_type == "family"
    assert vacancy.cooperation == cooperation
    assert vacancy.ended_lease == lease
    # Reinstating the lease withdraws the vacancy it made.
    tenancy_services.lease_reinstate(lease=lease)
    vacancy.refresh_from_db()
    assert vacancy.status == Vacancy.Status.WITHDRAWN


def test_municipal_unit_gets_a_referral_not_a_vacancy(unit, cooperation):
    list_unit(unit, municipal=True)
    lease = make_lease(unit)
    tenancy_services.lease_end(lease=lease, end_date=date(2026, 12, 31))
    assert not Vacancy.objects.exists()
    referral = MunicipalReferral.objects.get(unit=unit)
    assert referral.vacant_from == date(2027, 1, 1)
    with pytest.raises(DomainError, match="anvises af kommunen"):
        svc.vacancy_create(unit=unit, move_in_date=date(2027, 1, 1), rent=RENT)
    svc.referral_close(referral=referral)
    assert referral.status == MunicipalReferral.Status.DONE


def test_unit_without_listing_is_let_through_the_list(unit, other_unit, cooperation):
    lease = make_lease(unit)
    tenancy_services.lease_end(lease=lease, end_date=date(2026, 12, 31))
    assert Vacancy.objects.filter(unit=unit).exists()
    # ... but not a unit let outside the list, nor one outside any cooperation.
    list_unit(unit)
    UnitListing.objects.filter(unit=unit).update(let_through_joint_list=False)
    tenancy_services.lease_reinstate(lease=lease)
    tenancy_services.lease_end(lease=lease, end_date=date(2026, 12, 31))
    assert not Vacancy.objects.filter(unit=unit, status="open").exists()
    other = make_lease(other_unit)
    tenancy_services.lease_end(lease=other, end_date=date(2026, 12, 31))
    assert not Vacancy.objects.filter(unit=other_unit).exists()


def test_one_active_vacancy_per_unit(vacancy, listed_unit):
    with pytest.raises(DomainError, match="allerede meldt ledig"):
        svc.vacancy_create(unit=listed_unit, move_in_date=date(2027, 2, 1), rent=RENT)


def test_unit_outside_any_cooperation_is_refused(other_unit, cooperation):
    with pytest.raises(DomainError, match="udlejningssamarbejde"):
        svc.vacancy_create(unit=other_unit, move_in_date=date(2027, 1, 1), rent=RENT)


# --- ranking --------------------------------------------------------------------------------


def test_ranking_orders_by_seniority_and_gives_reasons(vacancy, cooperation):
    same_day = date(2012, 5, 5)
    later = applicant_on_list(cooperation, seniority=date(2015, 1, 1))
    tie_a = applicant_on_list(cooperation, seniority=same_day)
    tie_b = applicant_on_list(cooperation, seniority=same_day)
    too_small = applicant_on_list(cooperation, seniority=date(2001, 1, 1), min_rooms=4)
    too_dear = applicant_on_list(cooperation, seniority=date(2002, 1, 1), max_rent=Decimal(5000))
    unpaid = applicant_on_list(cooperation, seniority=date(2003, 1, 1), status="reminded")
    held = applicant_on_list(cooperation, seniority=date(2004, 1, 1))
    LettingHold.objects.create(applicant=held.applicant, reason="test")
    crowded = applicant_on_list(cooperation, seniority=date(2005, 1, 1), children=6, spouse="X")
    restricted = applicant_on_list(cooperation, seniority=date(2005, 6, 1))
    restricted.applicant.restricted = True
    restricted.applicant.save(update_fields=["restricted"])
    deleted = applicant_on_list(cooperation, seniority=date(2000, 1, 1), status="deleted")
    student = applicant_on_list(cooperation, seniority=date(2000, 1, 1), list_type="student")

    ranking = rank_vacancy(vacancy=vacancy, wanted=3)
    assert [j.application_id for j in ranking.eligible] == [tie_a.pk, tie_b.pk, later.pk]
    reasons = {j.application_id: j.reason for j in ranking.judged if j.reason}
    assert reasons == {
        too_small.pk: Reason.ROOMS_WISH,
        too_dear.pk: Reason.RENT_WISH,
        unpaid.pk: Reason.UNPAID,
        held.pk: Reason.ON_HOLD,
        crowded.pk: Reason.HOUSEHOLD,
        restricted.pk: Reason.RESTRICTED,
    }
    looked_at = {j.application_id for j in ranking.judged}
    assert deleted.pk not in looked_at
    assert student.pk not in looked_at


def test_ranking_stops_when_enough_are_found(vacancy, cooperation):
    apps = _seniors(cooperation, 10)
    ranking = rank_vacancy(vacancy=vacancy, wanted=2)
    assert [j.application_id for j in ranking.eligible] == [apps[0].pk, apps[1].pk]
    assert ranking.scanned == 2


def test_department_and_city_wishes(vacancy, cooperation, organisation):
    from tests.factories import DepartmentFactory

    other = DepartmentFactory(organisation=organisation)
    wants_other = applicant_on_list(cooperation, seniority=date(2001, 1, 1))
    wants_other.departments.set([other])
    wants_city = applicant_on_list(cooperation, seniority=date(2002, 1, 1), areas="Aarhus, Vejle")
    fits = applicant_on_list(cooperation, seniority=date(2003, 1, 1), areas="hellerup")
    ranking = rank_vacancy(vacancy=vacancy, wanted=1)
    assert [j.application_id for j in ranking.eligible] == [fits.pk]
    assert {j.reason for j in ranking.judged[:2]} == {Reason.PLACE_WISH}
    assert wants_city.pk in {j.application_id for j in ranking.judged}


def test_existing_tenants_first_when_the_cooperation_says_so(vacancy, cooperation, organisation):
    external = applicant_on_list(cooperation, seniority=date(2001, 1, 1))
    tenant_app = applicant_on_list(cooperation, seniority=date(2009, 1, 1))
    from tests.factories import UnitFactory, make_person

    person = make_person(organisation, cpr="")
    person.cpr_hash = tenant_app.applicant.cpr_hash
    person.save()
    home = UnitFactory(entrance__building__property__organisation=organisation)
    make_lease(home, parties=[person])
    assert [j.application_id for j in rank_vacancy(vacancy=vacancy, wanted=2).eligible] == [
        external.pk,
        tenant_app.pk,
    ]
    LettingRules.objects.create(cooperation=cooperation, existing_tenants_first=True)
    assert [j.application_id for j in rank_vacancy(vacancy=vacancy, wanted=2).eligible] == [
        tenant_app.pk,
        external.pk,
    ]


# --- rounds and answers -----------------------------------------------------------------------


def test_round_offers_the_next_n_and_stores_the_ranking(vacancy, cooperation, mailoutbox):
    LettingRules.objects.create(cooperation=cooperation, offers_per_round=2, answer_days=3)
    skipped = applicant_on_list(cooperation, seniority=date(2001, 1, 1), max_rooms=1)
    first, second, third = _seniors(cooperation, 3)
    rnd = svc.round_start(vacancy=vacancy)
    assert [o.application_id for o in rnd.offers.order_by("rank")] == [first.pk, second.pk]
    entries = list(RankingEntry.objects.filter(round=rnd).order_by("position"))
    assert [(e.application_id, e.rank, e.reason) for e in entries] == [
        (skipped.pk, None, Reason.ROOMS_WISH),
        (first.pk, 1, ""),
        (second.pk, 2, ""),
    ]
    assert rnd.deadline.date() >= timezone.localdate() + timedelta(days=3)
    vacancy.refresh_from_db()
    assert vacancy.status == Vacancy.Status.OFFERING
    with pytest.raises(DomainError, match="allerede en tilbudsrunde"):
        svc.round_start(vacancy=vacancy)
    assert third.offers.count() == 0
    from waitlist.services.letting_explain import why_not

    explanation = why_not(application=skipped, vacancy=vacancy)
    assert "Ønsker et andet antal værelser (ønsker højst 1 værelser)" in explanation.staff
    assert "antal værelser, du har ønsket" in explanation.plain


def test_best_ranked_acceptor_wins_and_the_lease_is_made(vacancy, cooperation, caseworker):
    _first, second, _third = _seniors(cooperation, 3)
    rnd = svc.round_start(vacancy=vacancy)
    offers = {o.rank: o for o in rnd.offers.all()}
    svc.offer_answer(offer=offers[3], accept=True, actor=caseworker)
    svc.offer_answer(offer=offers[2], accept=True, actor=caseworker)
    vacancy.refresh_from_db()
    assert vacancy.status == Vacancy.Status.OFFERING  # number 1 can still answer
    svc.offer_answer(offer=offers[1], accept=False, actor=caseworker)
    vacancy.refresh_from_db()
    assert vacancy.status == Vacancy.Status.ASSIGNED
    assert vacancy.assigned_offer == offers[2]
    offers[3].refresh_from_db()
    assert offers[3].outcome == Offer.Outcome.NOT_CHOSEN
    lease = vacancy.new_lease
    assert lease.unit == vacancy.unit
    assert lease.start_date == vacancy.move_in_date
    assert lease.rent == vacancy.rent
    tenant = lease.parties.get()
    assert tenant.name == second.applicant.name
    assert tenant.cpr_hash == second.applicant.cpr_hash
    assert Filing.objects.filter(lease=lease).exists()
    from tenancy.models import ChangeRecord

    # The caseworker whose answer decided it is the actor of the new lease's history.
    assert ChangeRecord.objects.filter(action="create", actor=caseworker).count() == 2
    # Accepting keeps the applicant on the list.
    second.refresh_from_db()
    assert second.status == Application.Status.ACTIVE
    # The home is never assigned twice.
    with pytest.raises(DomainError):
        svc.offer_answer(offer=offers[3], accept=True, actor=caseworker)
    with pytest.raises(DomainError, match="ny tilbudsrunde"):
        svc.round_start(vacancy=vacancy)


def test_top_ranked_acceptance_decides_at_once(vacancy, cooperation):
    _seniors(cooperation, 3)
    rnd = svc.round_start(vacancy=vacancy)
    svc.offer_answer(offer=rnd.offers.get(rank=1), accept=True, via=Offer.Via.ONLINE)
    vacancy.refresh_from_db()
    assert vacancy.status == Vacancy.Status.ASSIGNED
    # Those ranked below cannot win any more: their offers lapse as cancelled.
    assert rnd.offers.filter(status=Offer.Status.CANCELLED).count() == 2
    with pytest.raises(DomainError, match="bortfaldet: Boligen er udlejet til en ansøger med"):
        svc.offer_answer(offer=rnd.offers.get(rank=3), accept=True)


def test_when_all_decline_the_next_round_starts_by_itself(vacancy, cooperation):
    apps = _seniors(cooperation, 4)
    LettingRules.objects.create(cooperation=cooperation, offers_per_round=2)
    rnd = svc.round_start(vacancy=vacancy)
    for offer in rnd.offers.all():
        svc.offer_answer(offer=offer, accept=False)
    second = vacancy.rounds.get(number=2)
    assert second.status == OfferRound.Status.OPEN
    assert [o.application_id for o in second.offers.order_by("rank")] == [apps[2].pk, apps[3].pk]
    reasons = list(second.entries.order_by("position").values_list("reason", flat=True))
    assert reasons == [Reason.OFFERED_BEFORE, Reason.OFFERED_BEFORE, "", ""]
    for offer in second.offers.all():
        svc.offer_answer(offer=offer, accept=False)
    vacancy.refresh_from_db()
    assert vacancy.status == Vacancy.Status.NO_APPLICANTS


def test_answer_after_deadline_is_refused_and_the_task_lapses_it(vacancy, cooperation):
    _seniors(cooperation, 2)
    rnd = svc.round_start(vacancy=vacancy)
    late = rnd.deadline + timedelta(minutes=1)
    offer = rnd.offers.get(rank=1)
    with pytest.raises(DomainError, match="Svarfristen udløb"):
        svc.offer_answer(offer=offer, accept=True, now=late)
    assert svc.rounds_due_run(now=late) == 1
    assert svc.rounds_due_run(now=late) == 0  # idempotent
    offer.refresh_from_db()
    assert offer.status == Offer.Status.LAPSED
    assert vacancy.rounds.get(number=2).offers.count() == 0  # nobody left
    vacancy.refresh_from_db()
    assert vacancy.status == Vacancy.Status.NO_APPLICANTS


def test_lapses_put_an_applicant_on_hold(listed_unit, cooperation, caseworker):
    LettingRules.objects.create(cooperation=cooperation, lapses_before_hold=2, offers_per_round=1)
    (app,) = _seniors(cooperation, 1)
    for month in (1, 2):
        vacancy = svc.vacancy_create(unit=listed_unit, move_in_date=date(2027, month, 1), rent=RENT)
        rnd = svc.round_start(vacancy=vacancy)
        svc.rounds_due_run(now=rnd.deadline + timedelta(seconds=1))
        vacancy.refresh_from_db()
        if vacancy.is_active:
            svc.vacancy_withdraw(vacancy=vacancy, reason="test")
    hold = LettingHold.objects.get(applicant=app.applicant, lifted_at__isnull=True)
    vacancy = svc.vacancy_create(unit=listed_unit, move_in_date=date(2027, 3, 1), rent=RENT)
    assert rank_vacancy(vacancy=vacancy, wanted=1).judged[0].reason == Reason.ON_HOLD
    svc.hold_lift(hold=hold, actor=caseworker)
    assert not rank_vacancy(vacancy=vacancy, wanted=1).judged[0].reason
    with pytest.raises(DomainError, match="allerede ophævet"):
        svc.hold_lift(hold=hold, actor=caseworker)


def test_applicant_deleted_while_offer_open(vacancy, cooperation):
    _first, second = _seniors(cooperation, 2)
    rnd = svc.round_start(vacancy=vacancy)
    svc.offer_answer(offer=rnd.offers.get(rank=1), accept=False)
    offer = rnd.offers.get(rank=2)
    Application.objects.filter(pk=second.pk).update(status="deleted")
    with pytest.raises(DomainError, match="ikke længere på ventelisten"):
        svc.offer_answer(offer=offer, accept=True)
    svc.rounds_due_run(now=rnd.deadline + timedelta(seconds=1))
    offer.refresh_from_db()
    assert offer.status == Offer.Status.CANCELLED


def test_acceptor_deleted_before_the_decision_cannot_win(vacancy, cooperation):
    _first, second = _seniors(cooperation, 2)
    rnd = svc.round_start(vacancy=vacancy)
    svc.offer_answer(offer=rnd.offers.get(rank=2), accept=True)
    Application.objects.filter(pk=second.pk).update(status="left")
    svc.offer_answer(offer=rnd.offers.get(rank=1), accept=False)
    vacancy.refresh_from_db()
    assert vacancy.status != Vacancy.Status.ASSIGNED
    assert rnd.offers.get(rank=2).status == Offer.Status.CANCELLED


def test_withdrawn_mid_round(vacancy, cooperation, caseworker):
    _seniors(cooperation, 2)
    rnd = svc.round_start(vacancy=vacancy)
    with pytest.raises(DomainError, match="hvorfor"):
        svc.vacancy_withdraw(vacancy=vacancy, reason=" ")
    svc.vacancy_withdraw(vacancy=vacancy, reason="Skal renoveres", actor=caseworker)
    offer = rnd.offers.get(rank=1)
    assert offer.status == Offer.Status.CANCELLED
    with pytest.raises(DomainError, match="trukket tilbage"):
        svc.offer_answer(offer=offer, accept=True)
    with pytest.raises(DomainError, match="kan ikke trækkes tilbage"):
        svc.vacancy_withdraw(vacancy=vacancy, reason="igen")
    rnd.refresh_from_db()
    assert rnd.status == OfferRound.Status.CLOSED


def test_second_answer_to_the_same_offer_is_refused(vacancy, cooperation, caseworker):
    _seniors(cooperation, 2)
    rnd = svc.round_start(vacancy=vacancy)
    offer = rnd.offers.get(rank=2)
    svc.offer_answer(offer=offer, accept=True, actor=caseworker)
    with pytest.raises(DomainError, match="allerede besvaret"):
        svc.offer_answer(offer=offer, accept=False, actor=caseworker)


def test_access_bundle_lists_offers_and_holds_and_anonymising_leaves_no_copy(
    vacancy, cooperation, organisation
):
    from core import personal_data
    from core.personal_data import Subject

    (app,) = _seniors(cooperation, 1)
    svc.round_start(vacancy=vacancy)
    LettingHold.objects.create(applicant=app.applicant, reason="3 tilbud er ikke besvaret")
    subject = Subject.of(organisation_ids=[organisation.pk], applicant_ids=[app.applicant_id])
    sections = {s.key: s for s in personal_data.collect(subject)}
    assert sections["waitlist.offers"].rows[0]["Nr. i runden"] == 1
    assert sections["waitlist.holds"].rows[0]["Årsag"] == "3 tilbud er ikke besvaret"
    name = app.applicant.name
    personal_data.anonymise(personal_data.resolve(subject))
    offer = Offer.objects.get(application=app)  # the offer stays, pointing at the record
    assert offer.applicant.name != name
