"""The disclosure log (issue 16): recording, validation, the screens and the Excel lists."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.errors import DomainError
from gdpr.disclosure import log
from gdpr.models import Disclosure, DisclosurePerson
from tenancy import hooks
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganisationFactory()


@pytest.fixture
def caseworker(org):
    user = UserFactory()
    MembershipFactory(user=user, organisation=org)
    return user


def _record(org, people, **kw):
    args = {
        "organisation": org,
        "recipient": "Revisionsfirmaet A/S",
        "recipient_kind": "private",
        "categories": ["name", "rent"],
        "people": people,
        "legal_basis": "Bogføringsloven § 10",
        "purpose": "Årsrevision",
        "source": "test",
    }
    args.update(kw)
    return log.disclosure_record(**args)


def test_record_links_each_person_once(org, caseworker):
    a, b = make_person(org, name="Anna"), make_person(org, name="Bo")
    d = _record(org, [a, b, a.pk], actor=caseworker)
    assert d.person_count == 2
    assert DisclosurePerson.objects.filter(disclosure=d).count() == 2
    assert d.actor == caseworker
    assert d.category_labels == ["Navn", "Husleje og aconto"]
    assert list(log.disclosure_people(disclosure=d)) == [a, b]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("categories", ["shoe_size"], "Ukendt kategori"),
        ("recipient_kind", "friend", "Ukendt modtagertype"),
        ("recipient", "  ", "modtageren"),
        ("legal_basis", "", "retsgrundlaget"),
    ],
)
def test_record_refuses_incomplete_disclosure(org, field, value, message):
    with pytest.raises(DomainError, match=message):
        _record(org, [make_person(org)], **{field: value})
    assert not Disclosure.objects.exists()


def test_hook_batch_writes_all_rows(org):
    people = [make_person(org, name=f"P{i}") for i in range(3)]
    events = [
        hooks.Disclosure(
            organisation_id=org.pk,
            recipient="Huslejeregisteret",
            recipient_kind="authority",
            categories=("name",),
            person_ids=(p.pk,),
            legal_basis="Lov",
            purpose="Indberetning",
            source="test",
        )
        for p in people
    ]
    hooks.personal_data_disclosed.call(events)
    assert Disclosure.objects.count() == 3
    for p in people:
        assert log.person_disclosures(person=p).count() == 1
    assert log.disclosures_record([]) == []


def test_screens_and_excel(client, org, caseworker):
    person = make_person(org, name="Karen Kontakt")
    d = _record(org, [person], actor=caseworker, reference="Sag 7")
    other = OrganisationFactory()
    hidden = _record(other, [make_person(other)], recipient="Skjult modtager")
    client.force_login(caseworker)
    page = client.get(reverse("gdpr:disclosure_list")).content.decode()
    assert "Revisionsfirmaet A/S" in page
    assert "Skjult modtager" not in page
    assert (
        "Revisionsfirmaet"
        in client.get(reverse("gdpr:disclosure_list") + "?q=Sag+7&kind=private").content.decode()
    )
    assert (
        "Ingen videregivelser"
        in client.get(reverse("gdpr:disclosure_list") + "?kind=authority").content.decode()
    )
    response = client.get(reverse("gdpr:disclosure_list") + "?format=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][1] == "Revisionsfirmaet A/S"
    detail = client.get(reverse("gdpr:disclosure_detail", args=[d.pk]))
    assert "Karen Kontakt" in detail.content.decode()
    assert (
        client.get(reverse("gdpr:disclosure_detail", args=[d.pk]) + "?format=xlsx").status_code
        == 200
    )
    assert client.get(reverse("gdpr:disclosure_detail", args=[hidden.pk])).status_code == 404
    mine = client.get(reverse("gdpr:person_disclosures", args=[person.pk]))
    assert "Revisionsfirmaet" in mine.content.decode()
    xlsx = client.get(reverse("gdpr:person_disclosures", args=[person.pk]) + "?format=xlsx")
    assert xlsx.status_code == 200


def test_person_page_panel(client, org, caseworker):
    person = make_person(org, name="Panel Person")
    client.force_login(caseworker)
    page = client.get(reverse("tenancy:person_detail", args=[person.pk])).content.decode()
    assert "Ingen oplysninger om personen er videregivet" in page
    _record(org, [person])
    page = client.get(reverse("tenancy:person_detail", args=[person.pk])).content.decode()
    assert "Revisionsfirmaet A/S" in page
    assert reverse("gdpr:person_disclosures", args=[person.pk]) in page
