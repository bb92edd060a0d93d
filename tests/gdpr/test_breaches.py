"""The breach register (issue 16): the 72-hour deadline, persons from the disclosure log or a
property, drafted and sent notices, the dashboard warning, the screens."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from gdpr.disclosure import breaches, log
from gdpr.models import BreachPerson
from tenancy import hooks
from tests.factories import UnitFactory, make_lease, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _breach(organisation, hours_ago=1, risk="high", **kw):
    return breaches.breach_create(
        organisation=organisation,
        title="Forkert modtager",
        description="Måleraflæsningsfilen blev sendt til en forkert e-mail.",
        discovered_at=timezone.now() - timedelta(hours=hours_ago),
        risk=risk,
        categories=["name", "contact"],
        consequences="Uønsket kontakt.",
        measures="Modtageren har slettet filen.",
        **kw,
    )


def test_create_checks_input(organisation):
    with pytest.raises(DomainError, match="fremtiden"):
        _breach(organisation, hours_ago=-2)
    with pytest.raises(DomainError, match="overskrift"):
        breaches.breach_create(
            organisation=organisation,
            title="",
            description="",
            discovered_at=timezone.now(),
            risk="high",
        )
    with pytest.raises(DomainError, match="risikoen"):
        _breach(organisation, risk="some")
    with pytest.raises(DomainError, match="efter"):
        _breach(organisation, occurred_at=timezone.now())
    with pytest.raises(DomainError, match="kategori"):
        breaches.breach_create(
            organisation=organisation,
            title="X",
            description="Y",
            discovered_at=timezone.now(),
            risk="risk",
            categories=["shoe"],
        )


def test_people_from_disclosure_and_property(organisation, other_organisation):
    unit = UnitFactory(entrance__building__property__organisation=organisation)
    tenant = make_person(organisation, name="Lise Lejer", email="lise@example.dk")
    make_lease(unit, parties=[tenant])
    other = make_person(organisation, name="Ole Anden")
    disclosure = log.disclosure_record(
        organisation=organisation,
        recipient="Måler A/S",
        recipient_kind="processor",
        categories=["name"],
        people=[tenant, other],
        legal_basis="Databehandleraftale",
        purpose="Aflæsning",
        source="test",
    )
    breach = _breach(organisation)
    assert breaches.breach_add_from_disclosure(breach=breach, disclosure=disclosure) == 2
    assert (
        breaches.breach_add_from_property(breach=breach, property=unit.entrance.building.property)
        == 0
    )
    assert breach.people.count() == 2
    foreign = _breach(other_organisation)
    with pytest.raises(DomainError):
        breaches.breach_add_from_disclosure(breach=foreign, disclosure=disclosure)
    with pytest.raises(DomainError):
        breaches.breach_add_from_property(breach=foreign, property=unit.entrance.building.property)
    assert breaches.breach_add_people(breach=foreign, people=[tenant]) == 0  # not theirs


def test_deadline_report_and_dashboard(organisation, caseworker):
    breach = _breach(organisation, hours_ago=80)
    assert breach.deadline == breach.discovered_at + timedelta(hours=72)
    items = breaches.attention_items(user=caseworker, organisation=organisation)
    assert "udløb" in items[0]["title"]
    assert items[0]["level"] == "danger"
    fresh = _breach(organisation, hours_ago=1)
    assert breaches.attention_items in list(hooks.attention_items)
    titles = [
        i["title"] for i in breaches.attention_items(user=caseworker, organisation=organisation)
    ]
    assert any("senest" in t for t in titles)
    with pytest.raises(DomainError, match="begrundelsen"):
        breaches.breach_report(breach=breach, reported_at=timezone.now(), reference="2026-1")
    with pytest.raises(DomainError, match="mellem"):
        breaches.breach_report(
            breach=fresh, reported_at=timezone.now() + timedelta(hours=1), reference=""
        )
    breaches.breach_report(
        breach=breach,
        reported_at=timezone.now(),
        reference="2026-1",
        late_reason="Opdaget i weekenden",
    )
    breaches.breach_report(breach=fresh, reported_at=timezone.now(), reference="2026-2")
    assert breaches.attention_items(user=caseworker, organisation=organisation) == []
    unlikely = _breach(organisation, risk="unlikely")
    with pytest.raises(DomainError, match="skal ikke anmeldes"):
        breaches.breach_report(breach=unlikely, reported_at=timezone.now(), reference="")
    breaches.breach_close(breach=unlikely)
    open_one = _breach(organisation, risk="risk")
    with pytest.raises(DomainError, match="før det afsluttes"):
        breaches.breach_close(breach=open_one)


def test_notices_drafted_and_sent_once(organisation):
    breach = _breach(organisation)
    lise = make_person(organisation, name="Lise Lejer", email="lise@example.dk", cpr="1705801234")
    bo = make_person(organisation, name="Bo Brev", email="")
    breaches.breach_add_people(breach=breach, people=[lise, bo])
    drafts = {d.person.name: d for d in breaches.notification_drafts(breach=breach)}
    body = drafts["Lise Lejer"].body
    assert "Måleraflæsningsfilen" in body
    assert "navn, e-mail og telefon" in body
    assert "1705801234" not in body
    assert "170580-1234" not in body
    assert breaches.breach_notify(breach=breach) == {"emailed": 1, "letters": 1}
    assert mail.outbox[0].to == ["lise@example.dk"]
    assert breaches.breach_notify(breach=breach) == {"emailed": 0, "letters": 1}
    assert len(mail.outbox) == 1
    breaches.breach_letter_sent(breach=breach, person=bo)
    with pytest.raises(DomainError):
        breaches.breach_letter_sent(breach=breach, person=bo)
    assert BreachPerson.objects.filter(breach=breach, notified_at__isnull=True).count() == 0
    low = _breach(organisation, risk="risk")
    with pytest.raises(DomainError, match="høj risiko"):
        breaches.breach_notify(breach=low)


def test_screens(client, organisation, caseworker):
    client.force_login(caseworker)
    url = reverse("gdpr:breach_list")
    assert client.get(url).status_code == 200
    now = timezone.localtime()
    response = client.post(
        url,
        {
            "title": "Mistet mappe",
            "description": "En mappe med lejekontrakter er mistet.",
            "discovered_at": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "risk": "high",
            "categories": ["name", "lease"],
        },
    )
    assert response.status_code == 302
    detail = client.get(response.url).content.decode()
    assert "Anmeld til Datatilsynet senest" in detail
    pk = int(response.url.rstrip("/").split("/")[-1])
    unit = UnitFactory(entrance__building__property__organisation=organisation)
    make_lease(unit, parties=[make_person(organisation, name="Mette", email="m@example.dk")])
    prop = unit.entrance.building.property
    page = client.post(
        reverse("gdpr:breach_people_add", args=[pk]), {"property": prop.pk}, follow=True
    )
    assert "1 berørte tilføjet" in page.content.decode()
    page = client.post(
        reverse("gdpr:breach_people_add", args=[pk]), {"disclosure": 999999}, follow=True
    )
    assert "Ingen videregivelse" in page.content.decode()
    page = client.post(
        reverse("gdpr:breach_people_add", args=[pk]), {"disclosure": "x"}, follow=True
    )
    assert "Vælg en videregivelse" in page.content.decode()
    assert "Kære Mette" in client.get(reverse("gdpr:breach_detail", args=[pk])).content.decode()
    page = client.post(reverse("gdpr:breach_notify", args=[pk]), follow=True)
    assert "1 underrettet pr. e-mail" in page.content.decode()
    page = client.post(reverse("gdpr:breach_close", args=[pk]), follow=True)
    assert "før det afsluttes" in page.content.decode()
    page = client.post(reverse("gdpr:breach_report", args=[pk]), {"reported_at": ""}, follow=True)
    assert "Angiv tidspunktet" in page.content.decode()
    page = client.post(
        reverse("gdpr:breach_report", args=[pk]),
        {"reported_at": now.strftime("%Y-%m-%dT%H:%M"), "reference": "2026-77"},
        follow=True,
    )
    assert "Anmeldelsen til Datatilsynet er registreret" in page.content.decode()
    page = client.post(reverse("gdpr:breach_close", args=[pk]), follow=True)
    assert "Sagen er afsluttet" in page.content.decode()
    assert client.get(url + "?format=xlsx").status_code == 200
    assert client.get(reverse("gdpr:breach_detail", args=[pk]) + "?format=xlsx").status_code == 200
    dashboard_low = client.post(
        url, {"title": "", "description": "", "discovered_at": "", "risk": "high"}
    )
    assert dashboard_low.status_code == 200
