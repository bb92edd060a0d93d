"""The lease terms are declared once (tenancy.terms): every place that lists them takes
them from there, in that order, so adding or dropping a term is one edit."""

from decimal import Decimal

from django.db import models

from rentregister.payload import build_payload
from tenancy import services
from tenancy.admin.leases import LeaseAddForm, LeaseChangeForm
from tenancy.api.leases import LeaseCreateSerializer, LeaseTermsSerializer, LeaseUpdateSerializer
from tenancy.exports import export_spec
from tenancy.forms import LeaseCreateForm, LeaseEditForm, LeaseTermsMixin
from tenancy.models import Lease
from tenancy.terms import FILED_TERMS, LEASE_TERMS, TERMS
from tests.factories import make_lease


def test_every_term_is_a_lease_field_other_than_identity_and_rent():
    fields = {f.name: f for f in Lease._meta.get_fields()}
    assert len(set(LEASE_TERMS)) == len(LEASE_TERMS) == len(TERMS)
    for name in LEASE_TERMS:
        assert isinstance(fields[name], models.Field)
        assert fields[name].editable
    assert not {"unit", "parties", "start_date", "rent", "status", "end_date"} & set(LEASE_TERMS)


def test_the_rent_register_files_every_term_but_the_acontos():
    assert set(LEASE_TERMS) - set(FILED_TERMS) == {"heating_aconto", "water_aconto"}


def test_services_accept_exactly_the_terms():
    assert services.LEASE_TERMS is LEASE_TERMS


def test_caseworker_forms_have_one_field_per_term_in_order():
    assert tuple(LeaseTermsMixin.base_fields) == LEASE_TERMS
    for form_class in (LeaseCreateForm, LeaseEditForm):
        form = form_class(people=None)
        assert tuple(n for n in form.fields if n in LEASE_TERMS) == LEASE_TERMS


def test_admin_lease_forms_take_the_terms_in_order():
    assert tuple(LeaseChangeForm.base_fields) == LEASE_TERMS
    assert tuple(LeaseAddForm.base_fields)[4:] == LEASE_TERMS


def test_api_accepts_the_terms_in_order():
    assert tuple(LeaseTermsSerializer().fields) == LEASE_TERMS
    for serializer in (LeaseCreateSerializer, LeaseUpdateSerializer):
        assert tuple(serializer().fields)[: len(LEASE_TERMS)] == LEASE_TERMS
    fields = LeaseTermsSerializer().fields
    assert all(not f.required for f in fields.values())
    assert fields["special_payments"].min_value == 0


def test_export_has_a_column_per_term():
    spec = export_spec("leases")
    assert set(LEASE_TERMS) <= set(spec.fields)
    # number, address, parties, status, start, end, rent + one per term
    assert len(spec.columns) == 7 + len(LEASE_TERMS)


def test_payload_files_the_filed_terms(db, unit):
    lease = make_lease(unit)
    payload, _refs = build_payload(
        lease=Lease.objects.get(pk=lease.pk),
        effective_date=lease.start_date,
        consented_person_ids=set(),
    )
    assert set(FILED_TERMS) <= set(payload["lease"])
    assert not (set(LEASE_TERMS) - set(FILED_TERMS)) & set(payload["lease"])
    assert payload["lease"]["special_payments"] == f"{Decimal(lease.special_payments):.2f}"
