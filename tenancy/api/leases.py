"""The lease API: read, create, change the terms, and the lifecycle actions (end,
reinstate, change rent). A tenant change is always: end the old lease, create a new one."""

from django.db import models
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import StrictInputSerializer, validated

from .. import selectors, services
from ..filters import LeaseFilter
from ..models import Lease, Person, Unit
from ..terms import LEASE_TERMS
from .common import ProtectedLeaseOutput, ScopedPk, StrictDecimalField


class PartySerializer(serializers.Serializer):
    """A lease party as it may leave the organisation."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="public_name", read_only=True)
    protected = serializers.BooleanField(read_only=True)


class LeaseSerializer(ProtectedLeaseOutput, serializers.ModelSerializer):
    parties = PartySerializer(many=True, read_only=True)
    unit_address = serializers.CharField(source="unit.address", read_only=True)
    total_monthly = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    status_label = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy(
            "Status som tekst efter datoerne: Kommende fra …, Aktiv, Aktiv til …, Ophørt."
        ),
    )

    class Meta:
        model = Lease
        fields = [
            "id",
            "organisation",
            "unit",
            "unit_address",
            "number",
            "holder_type",
            "parties",
            "start_date",
            "end_date",
            "end_reason",
            "status",
            "status_label",
            "rent",
            "special_payments",
            "heating_aconto",
            "water_aconto",
            "total_monthly",
            "electricity",
            "water",
            "drainage",
            "heating",
            "heating_form",
            "tenant_maintains",
            "private_kitchen",
            "garage_carport",
            "accessible",
            "student_room",
            "created_at",
        ]
        read_only_fields = fields


def _money(**kwargs):
    return StrictDecimalField(max_digits=10, decimal_places=2, min_value=0, **kwargs)


def _term_field(name: str) -> serializers.Field:
    """The input field of a lease term, typed from its model field."""
    field = Lease._meta.get_field(name)
    if isinstance(field, models.BooleanField):
        return serializers.BooleanField(required=False)
    if field.choices:
        return serializers.ChoiceField(choices=field.choices, required=False)
    return _money(required=False)


# The terms of a lease (tenancy.terms): what lease_update may change. Built from the one
# declaration, so the API accepts exactly the terms the services do, in the same order.
LeaseTermsSerializer = type(
    "LeaseTermsSerializer",
    (StrictInputSerializer,),
    {
        "__module__": __name__,
        "__doc__": "The terms of a lease (what lease_update may change).",
        **{name: _term_field(name) for name in LEASE_TERMS},
    },
)


class LeaseCreateSerializer(LeaseTermsSerializer):
    """A new lease: unit, tenant(s), start date, rent and terms."""

    unit = ScopedPk(selector=selectors.unit_list, model=Unit)
    parties = ScopedPk(selector=selectors.person_list, model=Person, many=True)
    start_date = serializers.DateField()
    rent = _money()


class LeaseUpdateSerializer(LeaseTermsSerializer):
    """PATCH of the terms. `parties`, `start_date` and `rent` are accepted only so the
    service can explain the right way: a tenant change is end + new lease, and the rent is
    changed with the change-rent action."""

    parties = ScopedPk(selector=selectors.person_list, model=Person, many=True, required=False)
    start_date = serializers.DateField(required=False)
    rent = _money(required=False)


class LeaseEndSerializer(StrictInputSerializer):
    end_date = serializers.DateField(help_text=gettext_lazy("Sidste dag i lejeforholdet."))
    reason = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


CONFIRM_DROP_HELP = gettext_lazy(
    "Sæt til true for at bekræfte en nedsættelse af huslejen på mere end "
    "RENT_DROP_CONFIRM_PERCENT (standard 30 %); ellers afvises den med 400."
)


class RentPeriodSerializer(serializers.Serializer):
    """One rent period: the amounts valid from a date until the next period starts."""

    valid_from = serializers.DateField(read_only=True)
    rent = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)
    special_payments = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)
    correction = serializers.BooleanField(read_only=True)
    reason = serializers.CharField(read_only=True)


class LeaseChangeRentSerializer(StrictInputSerializer):
    rent = _money(help_text=gettext_lazy("Ny husleje pr. måned i kr."))
    effective_date = serializers.DateField(
        help_text=gettext_lazy(
            "Gælder fra. En dato frem i tiden venter (den nuværende husleje gælder indtil da); "
            "en dato før den seneste periode er en rettelse: brug /correct/."
        )
    )
    special_payments = _money(required=False, allow_null=True, default=None)
    confirm_large_drop = serializers.BooleanField(
        required=False, default=False, help_text=CONFIRM_DROP_HELP
    )


class LeaseCorrectSerializer(LeaseTermsSerializer):
    """Correct wrong data filed earlier: terms as they should have been and/or the rent of
    the period from `rent_effective_date`, with the reason (kept in the history)."""

    reason = serializers.CharField(
        max_length=300, help_text=gettext_lazy("Hvad rettes, og hvorfor (påkrævet).")
    )
    rent = _money(required=False, allow_null=True, default=None)
    rent_effective_date = serializers.DateField(required=False, allow_null=True, default=None)
    confirm_large_drop = serializers.BooleanField(
        required=False, default=False, help_text=CONFIRM_DROP_HELP
    )


class EmptySerializer(StrictInputSerializer):
    """No body."""


@extend_schema_view(
    partial_update=extend_schema(
        summary="Ændr vilkår (ikke lejer, startdato eller husleje)",
        request=LeaseUpdateSerializer,
        responses={200: LeaseSerializer},
    )
)
class LeaseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Leases of the user's organisations. Lifecycle changes are explicit actions; a
    tenant change is always: end the old lease, create a new one."""

    serializer_class = LeaseSerializer
    filterset_class = LeaseFilter
    ordering_fields = ["start_date", "end_date", "number", "rent"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.lease_list(user=self.request.user)

    def _reply(self, lease: Lease, code=status.HTTP_200_OK) -> Response:
        lease = self.get_queryset().get(pk=lease.pk)  # fresh, with parties and unit loaded
        return Response(LeaseSerializer(lease).data, status=code)

    @extend_schema(request=LeaseCreateSerializer, responses={201: LeaseSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(LeaseCreateSerializer, request)
        lease = services.lease_create(actor=request.user, **data)
        return self._reply(lease, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        lease = self.get_object()
        data = validated(LeaseUpdateSerializer, request, partial=True)
        lease = services.lease_update(lease=lease, actor=request.user, **data)
        return self._reply(lease)

    @extend_schema(
        summary="Afslut lejemål", request=LeaseEndSerializer, responses={200: LeaseSerializer}
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        lease = self.get_object()
        data = validated(LeaseEndSerializer, request)
        lease = services.lease_end(lease=lease, actor=request.user, **data)
        return self._reply(lease)

    @extend_schema(
        summary="Genoptag et fejlagtigt afsluttet lejemål",
        request=EmptySerializer,
        responses={200: LeaseSerializer},
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        lease = self.get_object()
        validated(EmptySerializer, request)
        lease = services.lease_reinstate(lease=lease, actor=request.user)
        return self._reply(lease)

    @extend_schema(
        summary="Ændr husleje fra en dato",
        request=LeaseChangeRentSerializer,
        responses={200: LeaseSerializer},
    )
    @action(detail=True, methods=["post"], url_path="change-rent")
    def change_rent(self, request, pk=None):
        lease = self.get_object()
        data = validated(LeaseChangeRentSerializer, request)
        lease = services.lease_change_rent(lease=lease, actor=request.user, **data)
        return self._reply(lease)

    @extend_schema(
        summary="Ret en fejlindberetning (rettelse med begrundelse)",
        description=(
            "Retter vilkår og/eller huslejen for perioden fra `rent_effective_date` som en "
            "rettelse af en tidligere indberetning. Samme dag som den forkerte indberetning: "
            "intet mere; en senere dag: en opgave om at give Udbetaling Danmark besked; en "
            "husleje rettet til før 1. juni 2014: en opgave om at skrive til boligstøttesupport. "
            "Lejer og startdato kan ikke rettes (lejerskifte = afslut + nyt lejemål)."
        ),
        request=LeaseCorrectSerializer,
        responses={200: LeaseSerializer},
    )
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        lease = self.get_object()
        data = validated(LeaseCorrectSerializer, request)
        lease = services.lease_correct(lease=lease, actor=request.user, **data)
        return self._reply(lease)

    @extend_schema(
        summary="Husleje pr. periode (ældste først)",
        responses={200: RentPeriodSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], url_path="rent-periods")
    def rent_periods(self, request, pk=None):
        lease = self.get_object()
        periods = lease.rent_periods.order_by("valid_from")
        return Response(RentPeriodSerializer(periods, many=True).data)
