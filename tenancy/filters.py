"""One FilterSet per model, used by the browser lists, the API and the Excel exports, so the
three never disagree about what "the filtered set" is."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.cpr import normalise_cpr
from core.crypto import search_hash
from core.filters import BoundedNumberFilter, IdFilter

from .choices import HolderType, LeaseStatus, LettingCode
from .models import Entrance, Lease, Person, Property, Unit, normalise_search


class PropertyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Søg"))
    department = IdFilter(field_name="department_id", label=_("Afdeling"))

    class Meta:
        model = Property
        fields = ["q", "department", "municipality_code"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(name__icontains=value)


class EntranceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Adresse"))
    postcode = django_filters.CharFilter(label=_("Postnummer"))
    property = IdFilter(field_name="building__property_id", label=_("Ejendom"))
    dar_id = django_filters.UUIDFilter(label=_("DAR husnummer-id"))

    class Meta:
        model = Entrance
        fields = ["q", "postcode", "property", "dar_id", "municipality_code"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(search_text__startswith=normalise_search(value))


class UnitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Adresse"))
    postcode = django_filters.CharFilter(field_name="entrance__postcode", label=_("Postnummer"))
    entrance = IdFilter(field_name="entrance_id", label=_("Opgang"))
    property = IdFilter(field_name="entrance__building__property_id", label=_("Ejendom"))
    dar_id = django_filters.UUIDFilter(label=_("DAR adresse-id"))
    letting_code = django_filters.ChoiceFilter(
        choices=LettingCode.choices, label=_("Udlejningsforhold")
    )
    rooms = BoundedNumberFilter(max_digits=5, decimal_places=0, label=_("Værelser"))
    min_area = BoundedNumberFilter(
        field_name="area_m2", lookup_expr="gte", max_digits=7, label=_("Min. areal")
    )
    max_area = BoundedNumberFilter(
        field_name="area_m2", lookup_expr="lte", max_digits=7, label=_("Maks. areal")
    )

    class Meta:
        model = Unit
        fields = [
            "q",
            "postcode",
            "entrance",
            "property",
            "dar_id",
            "letting_code",
            "rooms",
            "use_code",
        ]

    def filter_q(self, queryset, name, value):
        """Prefix match on 'street number floor door': 'Strandvejen 12' finds the whole
        stairwell (the trailing space stops 'Strandvejen 120' from matching)."""
        text = normalise_search(value)
        if not text:
            return queryset
        return queryset.filter(Q(search_text=text) | Q(search_text__startswith=text + " "))


def full_cpr(value: str | None) -> str:
    """The 10 digits when `value` is a whole CPR number (as typed: with dash or spaces),
    else ''."""
    digits = normalise_cpr(value or "")
    return digits if digits.isdigit() and len(digits) == 10 else ""


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Navn eller CPR-nummer"))
    protected = django_filters.BooleanFilter(label=_("Beskyttet"))
    # The keyed hash of a CPR number (what Person.cpr_hash holds): the browser list puts this
    # in its URL instead of the number, so the number stays out of access logs, browser
    # history and Referer headers; it cannot be turned back into the number without the
    # server's key.
    cpr_ref = django_filters.CharFilter(
        method="filter_cpr_ref", widget=forms.HiddenInput, label=_("CPR-nummer")
    )

    class Meta:
        model = Person
        fields = ["q", "protected", "cpr_ref"]

    def filter_q(self, queryset, name, value):
        """A full CPR number is matched through the keyed hash (never stored in clear);
        anything else is a name search."""
        digits = full_cpr(value)
        if digits:
            return queryset.filter(cpr_hash=search_hash(digits))
        return queryset.filter(name__icontains=value.strip())

    def filter_cpr_ref(self, queryset, name, value):
        value = value.strip().lower()
        if len(value) != 64 or not all(c in "0123456789abcdef" for c in value):
            return queryset.none()
        return queryset.filter(cpr_hash=value)


class LeaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Lejemål, adresse eller lejer"))
    status = django_filters.ChoiceFilter(choices=LeaseStatus.choices, label=_("Status"))
    holder_type = django_filters.ChoiceFilter(choices=HolderType.choices, label=_("Type"))
    unit = IdFilter(field_name="unit_id", label=_("Enhed"))
    person = IdFilter(field_name="parties", label=_("Person"))
    start_from = django_filters.DateFilter(
        field_name="start_date", lookup_expr="gte", label=_("Start fra")
    )
    start_to = django_filters.DateFilter(
        field_name="start_date", lookup_expr="lte", label=_("Start til")
    )
    postcode = django_filters.CharFilter(
        field_name="unit__entrance__postcode", label=_("Postnummer")
    )

    class Meta:
        model = Lease
        fields = [
            "q",
            "status",
            "holder_type",
            "unit",
            "person",
            "start_from",
            "start_to",
            "postcode",
        ]

    def filter_q(self, queryset, name, value):
        """A lease number (digits and dashes) by prefix; anything else is the unit's address
        (prefix, as on the unit list) or a tenant's name (issue 11: search by address or
        tenant)."""
        value = value.strip()
        if not value:
            return queryset
        if all(c.isdigit() or c == "-" for c in value):
            return queryset.filter(number__startswith=value)
        text = normalise_search(value)
        # A street name alone ("Toms") matches by prefix; with a number the number must be
        # whole ("Strandvejen 12" is not "Strandvejen 120"), as on the unit list.
        if any(c.isdigit() for c in text):
            address = Q(unit__search_text=text) | Q(unit__search_text__startswith=text + " ")
        else:
            address = Q(unit__search_text__startswith=text)
        tenant = Q(
            pk__in=Lease.parties.through.objects.filter(person__name__icontains=value).values(
                "lease_id"
            )
        )
        return queryset.filter(address | tenant)
