import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from gdpr.models import CprReveal
from gdpr.services import cpr_reveal
from tests.factories import MembershipFactory, make_person

pytestmark = pytest.mark.django_db


def test_cpr_officer_sees_full_cpr_and_reveal_is_logged(organisation, cpr_officer):
    person = make_person(organisation, cpr="170580-1234")
    assert cpr_reveal(user=cpr_officer, person=person, purpose=" Sag 2024-17 ") == "170580-1234"
    log = CprReveal.objects.get()
    assert (log.user, log.person, log.organisation) == (cpr_officer, person, organisation)
    assert log.purpose == "Sag 2024-17"


def test_caseworker_is_refused_and_nothing_logged(organisation, caseworker):
    person = make_person(organisation)
    with pytest.raises(PermissionDenied):
        cpr_reveal(user=caseworker, person=person, purpose="Sag 1")
    assert not CprReveal.objects.exists()


def test_cpr_officer_of_another_organisation_is_refused(organisation, other_organisation):
    officer = MembershipFactory(organisation=other_organisation, role="cpr_officer").user
    person = make_person(organisation)
    with pytest.raises(PermissionDenied):
        cpr_reveal(user=officer, person=person, purpose="Sag 1")
    assert not CprReveal.objects.exists()


@pytest.mark.parametrize("purpose", ["", "   ", None, "x" * 301])
def test_purpose_is_required_and_bounded(organisation, cpr_officer, purpose):
    person = make_person(organisation)
    with pytest.raises(DomainError) as exc:
        cpr_reveal(user=cpr_officer, person=person, purpose=purpose)
    assert "purpose" in exc.value.message_dict
    assert not CprReveal.objects.exists()


def test_person_without_cpr_gives_domain_error(organisation, cpr_officer):
    person = make_person(organisation, cpr="")
    with pytest.raises(DomainError):
        cpr_reveal(user=cpr_officer, person=person, purpose="Sag 1")
    assert not CprReveal.objects.exists()
