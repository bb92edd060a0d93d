"""Letting screens, self-service, API, Excel and the dashboard's "needs action" (issue 14)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from tenancy import hooks
from tests.factories import UserFactory
from waitlist.models import LettingHold, MunicipalReferral, Offer, Vacancy
from waitlist.services import letting as svc
from waitlist.services.letting_explain import wait_estimate, why_not

from .letting_fixtures import RENT, applicant_on_list, list_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, caseworker, cooperation):
    client.force_login(caseworker)
    return client


@pytest.fixture
def vacancy(unit, cooperation):
    list_unit(unit)
    return svc.vacancy_create(unit=unit, move_in_date=date(2027, 1, 1), rent=RENT)


@pytest.fixture
def round_(vacancy, cooperation):
    for i, channel in enumerate(["e_offer", "letter", "e_offer"]):
        applicant_on_list(
            cooperation,
            seniority=date(2010, 1, 1) + timedelta(days=i),
            name=f"Ansøger {i + 1}",
            channel=channel,
        )
    return svc.round_start(vacancy=vacancy)


def _xlsx(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )


def test_vacancy_list_detail_and_excel(staff, round_, vacancy):
    url = reverse("waitlist:vacancy_list")
    page = staff.get(url, {"status": "active"}).content.decode()
    assert str(vacancy.unit) in page
    assert str(vacancy.unit) not in staff.get(url, {"status": "assigned"}).content.decode()
    assert staff.get(url, {"status": "nonsense"}).status_code == 200
    _xlsx(staff.get(url, {"format": "xlsx"}))
    detail = staff.get(reverse("waitlist:vacancy_detail", args=[vacancy.pk])).content.decode()
    assert "Ansøger 1" in detail
    assert "Placeringer i runde 1" in detail
    _xlsx(staff.get(reverse("waitlist:round_ranking", args=[round_.pk])))


def test_vacancy_create_screen(staff, unit, cooperation):
    list_unit(unit)
    url = reverse("waitlist:vacancy_create")
    assert staff.get(url, {"unit": unit.pk}).status_code == 200
    bad = staff.post(
        url, {"unit": 999999, "move_in_date": "2027-01-01", "rent": "6500", "list_type": "family"}
    )
    assert "Der er ingen enhed" in bad.content.decode()
    response = staff.post(
        url,
        {"unit": unit.pk, "move_in_date": "2027-01-01", "rent": "6500,00", "list_type": "family"},
    )
    vacancy = Vacancy.objects.get(unit=unit)
    assert response.url == reverse("waitlist:vacancy_detail", args=[vacancy.pk])
    again = staff.post(
        url,
        {"unit": unit.pk, "move_in_date": "2027-02-01", "rent": "6500", "list_type": "family"},
    )
    assert "allerede meldt ledig" in again.content.decode()


def test_start_round_answer_and_withdraw_from_the_screens(staff, vacancy, cooperation):
    applicant_on_list(cooperation, seniority=date(2010, 1, 1), name="Bo Brev", channel="letter")
    applicant_on_list(cooperation, seniority=date(2011, 1, 1), name="Eva Epost")
    response = staff.post(reverse("waitlist:round_start", args=[vacancy.pk]), follow=True)
    assert "Tilbudsrunden er startet" in response.content.decode()
    again = staff.post(reverse("waitlist:round_start", args=[vacancy.pk]), follow=True)
    assert "allerede en tilbudsrunde" in again.content.decode()
    letter_offer = Offer.objects.get(applicant__name="Bo Brev")
    due = staff.get(reverse("waitlist:answers_due")).content.decode()
    assert "Bo Brev" in due
    _xlsx(staff.get(reverse("waitlist:answers_due"), {"format": "xlsx"}))
    pdf = staff.get(reverse("waitlist:offer_letter", args=[letter_offer.pk]))
    assert pdf.content.startswith(b"%PDF")
    staff.post(reverse("waitlist:offer_answer", args=[letter_offer.pk]), {"answer": "bad"})
    letter_offer.refresh_from_db()
    assert letter_offer.status == Offer.Status.PENDING
    response = staff.post(
        reverse("waitlist:offer_answer", args=[letter_offer.pk]),
        {"answer": "accept", "back": "answers_due"},
    )
    assert response.url == reverse("waitlist:answers_due")
    vacancy.refresh_from_db()
    assert vacancy.status == Vacancy.Status.ASSIGNED
    withdraw = staff.post(
        reverse("waitlist:vacancy_withdraw", args=[vacancy.pk]), {"reason": "x"}, follow=True
    )
    assert "kan ikke trækkes tilbage" in withdraw.content.decode()


def test_referrals_and_holds_screens(staff, unit, organisation, cooperation):
    referral = MunicipalReferral.objects.create(
        organisation=organisation, unit=unit, vacant_from=date(2027, 1, 1)
    )
    assert str(unit) in staff.get(reverse("waitlist:referral_list")).content.decode()
    _xlsx(staff.get(reverse("waitlist:referral_list"), {"format": "xlsx"}))
    staff.post(reverse("waitlist:referral_close", args=[referral.pk]))
    referral.refresh_from_db()
    assert referral.status == MunicipalReferral.Status.DONE
    app = applicant_on_list(cooperation, seniority=date(2010, 1, 1), name="Pia Pause")
    hold = LettingHold.objects.create(applicant=app.applicant, reason="3 tilbud ubesvaret")
    assert "Pia Pause" in staff.get(reverse("waitlist:hold_list")).content.decode()
    _xlsx(staff.get(reverse("waitlist:hold_list"), {"format": "xlsx"}))
    staff.post(reverse("waitlist:hold_lift", args=[hold.pk]))
    hold.refresh_from_db()
    assert hold.lifted_at is not None
    again = staff.post(reverse("waitlist:hold_lift", args=[hold.pk]), follow=True)
    assert "allerede ophævet" in again.content.decode()


def test_why_not_me_and_waiting_time(staff, round_, vacancy, cooperation):
    late = applicant_on_list(cooperation, seniority=date(2015, 1, 1), name="Sen Søren")
    picky = applicant_on_list(cooperation, seniority=date(2001, 1, 1), max_rent=1000)
    # Signed up after the round: judged as the application is now.
    assert "vurderet nu" in why_not(application=picky, vacancy=vacancy).staff
    first = round_.offers.get(rank=1)
    svc.offer_answer(offer=first, accept=True, via=Offer.Via.ONLINE)
    explanation = why_not(application=late, vacancy=vacancy)
    assert "Din plads blev ikke nået" in explanation.plain
    assert "Du fik boligen" in why_not(application=first.application, vacancy=vacancy).plain
    estimate = wait_estimate(application=late)
    assert estimate.position == 5  # four on the list before (the picky one among them)
    assert estimate.lettings == 1
    assert estimate.eligible_ahead == 3  # the offered applicants are still on the list
    assert "skøn" in estimate.plain
    page = staff.get(reverse("waitlist:application_letting", args=[late.pk])).content.decode()
    assert "Forventet ventetid" in page
    _xlsx(staff.get(reverse("waitlist:application_letting", args=[late.pk]), {"format": "xlsx"}))
    assert "ikke nået" in page.lower()


def test_wait_estimate_without_lettings_says_so(cooperation):
    app = applicant_on_list(cooperation, seniority=date(2015, 1, 1))
    estimate = wait_estimate(application=app)
    assert estimate.lettings == 0
    assert "kan derfor ikke give et skøn" in estimate.plain
    app.status = "deleted"
    assert wait_estimate(application=app) is None


def _applicant_login(client, application):
    user = UserFactory(username=f"ans{application.pk}")
    application.applicant.user = user
    application.applicant.save(update_fields=["user"])
    client.force_login(user)
    return client


def test_self_service_offer_answer_and_pdf(client, round_, vacancy):
    offer = round_.offers.get(rank=3)
    _applicant_login(client, offer.application)
    page = client.get(reverse("waitlist_public:offers")).content.decode()
    assert "Mine boligtilbud" in page
    assert "Hvor står jeg?" in page
    detail = client.get(reverse("waitlist_public:offer_detail", args=[offer.pk]))
    assert "Ja tak, jeg vil gerne have boligen" in detail.content.decode()
    pdf = client.get(reverse("waitlist_public:offer_pdf", args=[offer.pk]))
    assert pdf.content.startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Husleje pr. måned: 6.500,00 kr." in text  # Danish letters and formats
    assert offer.applicant.name in text  # addressed to the applicant, rendered on demand
    assert offer.vacancy.organisation.name in text  # the letterhead
    client.post(reverse("waitlist_public:offer_detail", args=[offer.pk]), {"answer": "x"})
    response = client.post(
        reverse("waitlist_public:offer_detail", args=[offer.pk]), {"answer": "accept"}, follow=True
    )
    assert "du har sagt ja" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED
    assert offer.answered_via == Offer.Via.ONLINE
    # Someone else's offer is not found.
    other = round_.offers.get(rank=1)
    assert client.get(reverse("waitlist_public:offer_detail", args=[other.pk])).status_code == 404


def test_letter_offer_is_not_answered_online(client, round_):
    offer = round_.offers.get(channel="letter")
    _applicant_login(client, offer.application)
    response = client.post(
        reverse("waitlist_public:offer_detail", args=[offer.pk]), {"answer": "accept"}, follow=True
    )
    assert "besvares til udlejningskontoret" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING


def test_offer_messages_go_by_channel(round_, mailoutbox):
    e_offer = round_.offers.get(rank=1)
    letter = round_.offers.get(channel="letter")
    kinds = {m.channel for m in e_offer.applicant.messages.filter(kind="offer")}
    assert kinds == {"email"}
    letter_message = letter.applicant.messages.get(kind="offer")
    assert letter_message.channel == "letter"
    assert "Husleje pr. måned: 6.500,00 kr." in letter_message.body
    assert letter.applicant.name not in letter_message.body


def _titles(caseworker, organisation):
    from waitlist.selectors_letting import attention_items

    assert attention_items in list(hooks.attention_items)
    return [i["title"] for i in attention_items(user=caseworker, organisation=organisation)]


def test_dashboard_needs_action(caseworker, organisation, vacancy, cooperation):
    assert "Ledige boliger uden tilbudsrunde" in _titles(caseworker, organisation)
    applicant_on_list(cooperation, seniority=date(2010, 1, 1), channel="letter")
    svc.round_start(vacancy=vacancy)
    titles = _titles(caseworker, organisation)
    assert "Ledige boliger uden tilbudsrunde" not in titles
    assert "Svar på brevtilbud med frist inden for 2 dage" not in titles  # 5 days left
    Offer.objects.update(deadline=Offer.objects.first().deadline - timedelta(days=4))
    assert "Svar på brevtilbud med frist inden for 2 dage" in _titles(caseworker, organisation)
    MunicipalReferral.objects.create(
        organisation=organisation, unit=vacancy.unit, vacant_from=date(2027, 1, 1)
    )
    assert "Boliger til kommunal anvisning" in _titles(caseworker, organisation)
    from waitlist.selectors_letting import attention_items

    assert attention_items(user=caseworker, organisation=None) == []


# --- API --------------------------------------------------------------------------------------


@pytest.fixture
def api(caseworker, cooperation):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(caseworker)
    return client


def test_api_vacancy_round_answer(api, unit, cooperation):
    list_unit(unit)
    applicant_on_list(cooperation, seniority=date(2010, 1, 1))
    bad = api.post(
        "/api/waitlist/vacancies/",
        {"unit": 999999, "move_in_date": "2027-01-01", "rent": "6500.00"},
        format="json",
    )
    assert bad.status_code == 400
    created = api.post(
        "/api/waitlist/vacancies/",
        {"unit": unit.pk, "move_in_date": "2027-01-01", "rent": "6500.00"},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert api.get("/api/waitlist/vacancies/", {"status": "active"}).json()["count"] == 1
    offers = api.post(f"/api/waitlist/vacancies/{pk}/start-round/").json()
    assert len(offers) == 1
    again = api.post(f"/api/waitlist/vacancies/{pk}/start-round/")
    assert again.status_code == 400
    assert "allerede en tilbudsrunde" in again.content.decode()
    ranking = api.get(f"/api/waitlist/vacancies/{pk}/ranking/").json()
    assert ranking["results"][0]["rank"] == 1
    answer = api.post(
        f"/api/waitlist/offers/{offers[0]['id']}/answer/", {"accept": True}, format="json"
    )
    assert answer.json()["outcome"] == "won"
    assert api.get("/api/waitlist/offers/", {"status": "accepted"}).json()["count"] == 1
    withdraw = api.post(f"/api/waitlist/vacancies/{pk}/withdraw/", {"reason": "x"}, format="json")
    assert withdraw.status_code == 400


def test_waiting_time_per_department_wished(cooperation, organisation, unit):
    from tests.factories import DepartmentFactory
    from waitlist.services.letting_explain import wait_estimates

    list_unit(unit)
    dep_a = unit.entrance.building.property.department or DepartmentFactory(
        organisation=organisation, name="Afdeling A"
    )
    prop = unit.entrance.building.property
    prop.department = dep_a
    prop.save(update_fields=["department"])
    dep_b = DepartmentFactory(organisation=organisation, name="Afdeling B")
    winner = applicant_on_list(cooperation, seniority=date(2001, 1, 1))
    me = applicant_on_list(cooperation, seniority=date(2012, 1, 1))
    me.departments.set([dep_a, dep_b])
    vacancy = svc.vacancy_create(unit=unit, move_in_date=date(2027, 1, 1), rent=RENT)
    rnd = svc.round_start(vacancy=vacancy)
    svc.offer_answer(offer=rnd.offers.get(application=winner), accept=True)
    estimates = dict(wait_estimates(application=me))
    assert estimates[str(dep_a)].lettings == 1
    assert estimates[str(dep_a)].eligible_ahead == 1
    assert estimates[str(dep_b)].lettings == 0
    assert len(wait_estimates(application=winner)) == 1


def test_why_not_covers_every_answer_and_state(vacancy, cooperation):
    from waitlist.tasks_letting import letting_rounds_due

    apps = [
        applicant_on_list(cooperation, seniority=date(2010, 1, 1) + timedelta(days=i))
        for i in range(3)
    ]
    student = applicant_on_list(cooperation, seniority=date(2001, 1, 1), list_type="student")
    assert "endnu ikke startet" in why_not(application=apps[0], vacancy=vacancy).plain
    rnd = svc.round_start(vacancy=vacancy)
    assert "Svar inden fristen" in why_not(application=apps[0], vacancy=vacancy).plain
    svc.offer_answer(offer=rnd.offers.get(rank=1), accept=False)
    assert "sagde nej" in why_not(application=apps[0], vacancy=vacancy).plain
    assert "anden liste" in why_not(application=student, vacancy=vacancy).plain
    svc.offer_answer(offer=rnd.offers.get(rank=3), accept=True)
    from waitlist.models import OfferRound

    OfferRound.objects.filter(pk=rnd.pk).update(deadline=rnd.deadline - timedelta(days=30))
    Offer.objects.filter(round=rnd).update(deadline=rnd.deadline - timedelta(days=30))
    assert letting_rounds_due() == 1  # the task: number 2 lapses, number 3 wins
    assert "svarede ikke inden fristen" in why_not(application=apps[1], vacancy=vacancy).plain
    assert "Du fik boligen" in why_not(application=apps[2], vacancy=vacancy).plain
    left = applicant_on_list(cooperation, seniority=date(2020, 1, 1), status="left")
    assert "stod ikke på ventelisten" in why_not(application=left, vacancy=vacancy).plain


def test_lease_page_tells_the_letting(staff, round_, vacancy):
    svc.offer_answer(offer=round_.offers.get(rank=1), accept=True)
    vacancy.refresh_from_db()
    page = staff.get(reverse("tenancy:lease_detail", args=[vacancy.new_lease_id]))
    assert "Lejemålet er udlejet fra ventelisten" in page.content.decode()
    assert reverse("waitlist:vacancy_detail", args=[vacancy.pk]) in page.content.decode()
    from tests.factories import UnitFactory, make_lease

    other = make_lease(UnitFactory(entrance__building__property__organisation=vacancy.organisation))
    assert (
        "Udlejning via fælles venteliste"
        not in staff.get(reverse("tenancy:lease_detail", args=[other.pk])).content.decode()
    )
