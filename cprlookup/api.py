"""REST API for CPR lookups (/api/cpr/): lookups (POST performs one through the same
service as the browser), the lookup log, the cost ledger, scans and reconciliation.

What the API returns can leave the organisation: protected persons come out as
"Beskyttet person" without name, address, unit or DAR id, and CPR numbers only masked.
The log and the ledger are read-only here (append-only records).
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.filters import MAX_ID
from tenancy.api.common import withhold_protected
from tenancy.models import Organisation
from tenancy.selectors import organisation_list

from . import selectors, services
from .models import CprCharge, CprLookup, CprLookupResident, OccupancyEvent, ScanJob
from .services import CprServiceUnavailable

# The schema states what _organisation_filter takes: a positive id (digits only).
ORGANISATION_PARAM = OpenApiParameter(
    "organisation",
    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    description="Kun denne organisation (id)",
    required=False,
)


def _organisation_filter(request) -> Organisation | None:
    """?organisation=<id> limited to the user's organisations (unknown id: none)."""
    value = request.query_params.get("organisation")
    if not value:
        return None
    if not str(value).isdigit():
        raise serializers.ValidationError({"organisation": [_("Ugyldigt id.")]})
    org = organisation_list(user=request.user).filter(pk=int(value)).first()
    if org is None:
        raise serializers.ValidationError({"organisation": [_("Organisationen findes ikke.")]})
    return org


def _organisation_for_write(request, value) -> Organisation:
    orgs = organisation_list(user=request.user)
    if value in (None, ""):
        if orgs.count() == 1:
            return orgs.get()
        raise serializers.ValidationError(
            {"organisation": [_("Angiv organisationen (du er medlem af flere).")]}
        )
    org = orgs.filter(pk=value).first()
    if org is None:
        raise serializers.ValidationError({"organisation": [_("Organisationen findes ikke.")]})
    return org


# --- lookups --------------------------------------------------------------------------------


class ResidentSerializer(serializers.ModelSerializer):
    """A person in a CPR answer as it may leave the organisation."""

    name = serializers.SerializerMethodField()
    protected = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()
    dar_address_id = serializers.SerializerMethodField()
    floor = serializers.SerializerMethodField()
    door = serializers.SerializerMethodField()

    class Meta:
        model = CprLookupResident
        fields = [
            "name",
            "cpr_masked",
            "move_in",
            "move_out",
            "protected",
            "unit",
            "dar_address_id",
            "floor",
            "door",
            "person",
        ]
        read_only_fields = fields

    def get_name(self, obj) -> str:
        return obj.public_name

    def get_protected(self, obj) -> bool:
        return obj.is_protected

    def get_unit(self, obj) -> int | None:
        return None if obj.is_protected else obj.unit_id

    def get_dar_address_id(self, obj) -> str | None:
        return None if obj.is_protected or not obj.dar_address_id else str(obj.dar_address_id)

    def get_floor(self, obj) -> str:
        return "" if obj.is_protected else obj.floor

    def get_door(self, obj) -> str:
        return "" if obj.is_protected else obj.door

    def to_representation(self, instance):
        # No person id (it leads to the birth date) and no CPR number's date part either.
        return withhold_protected(
            super().to_representation(instance),
            protected=instance.is_protected,
            withheld={"person": None, "cpr_masked": ""},
        )


class LookupSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    residents = serializers.SerializerMethodField()
    charged = serializers.SerializerMethodField()

    class Meta:
        model = CprLookup
        fields = [
            "id",
            "organisation",
            "user",
            "at",
            "source",
            "target_kind",
            "target_label",
            "unit",
            "entrance",
            "dar_id",
            "owner_cvr",
            "purpose",
            "outcome",
            "result_count",
            "error_code",
            "error_message",
            "charged",
            "residents",
        ]
        read_only_fields = fields

    def get_charged(self, obj) -> bool:
        return CprCharge.objects.filter(lookup=obj).exists()

    @extend_schema_field(ResidentSerializer(many=True))
    def get_residents(self, obj):
        if not self.context.get("with_residents"):
            return []
        return ResidentSerializer(selectors.lookup_residents(lookup=obj), many=True).data


class LookupInputSerializer(serializers.Serializer):
    """Exactly one target; the purpose or case reference is required."""

    organisation = serializers.IntegerField(required=False, allow_null=True)
    unit = serializers.IntegerField(required=False, allow_null=True)
    entrance = serializers.IntegerField(required=False, allow_null=True)
    dar_address_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    dar_house_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=1000)


@extend_schema_view(
    list=extend_schema(summary="Opslagsloggen (ændres aldrig)", parameters=[ORGANISATION_PARAM]),
    retrieve=extend_schema(summary="Ét opslag med de personer CPR oplyste"),
    create=extend_schema(
        summary="Slå op i CPR (udlejersøgning)",
        request=LookupInputSerializer,
        responses={201: LookupSerializer},
        description=(
            "Tjekkes før det betalte kald: formål, gyldige id'er, organisationens tilmelding "
            "og at den ejer adressen. 400 med dansk begrundelse ved afvisning (gratis); "
            "503 når CPR ikke svarer."
        ),
    ),
)
class LookupViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """CPR lookups: the log (read) and new ad-hoc lookups (create)."""

    serializer_class = LookupSerializer
    ordering_fields = ["at"]

    def get_queryset(self):
        return selectors.lookup_list(
            user=self.request.user, organisation=_organisation_filter(self.request)
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["with_residents"] = self.action in ("retrieve", "create")
        return context

    def create(self, request, *args, **kwargs):
        data = LookupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        organisation = _organisation_for_write(request, values.get("organisation"))
        try:
            lookup = services.cpr_lookup_perform(
                user=request.user,
                organisation=organisation,
                purpose=values.get("purpose", ""),
                unit_id=values.get("unit"),
                entrance_id=values.get("entrance"),
                dar_address_id=values.get("dar_address_id") or None,
                dar_house_id=values.get("dar_house_id") or None,
                address=values.get("address") or None,
            )
        except CprServiceUnavailable as exc:
            return Response({"detail": exc.messages[0]}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        out = LookupSerializer(lookup, context=self.get_serializer_context())
        return Response(out.data, status=status.HTTP_201_CREATED)


# --- ledger ---------------------------------------------------------------------------------


class ChargeSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CprCharge
        fields = ["id", "organisation", "user", "lookup", "source", "at", "month", "amount"]
        read_only_fields = fields


class ChargeSummarySerializer(serializers.Serializer):
    organisation__name = serializers.CharField()
    month = serializers.DateField()
    user__username = serializers.CharField(allow_null=True)
    source = serializers.CharField()
    searches = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


@extend_schema_view(
    list=extend_schema(
        summary="Omkostningsposter (én pr. besvaret søgning)", parameters=[ORGANISATION_PARAM]
    ),
    retrieve=extend_schema(summary="Én omkostningspost"),
)
class ChargeViewSet(viewsets.ReadOnlyModelViewSet):
    """The cost ledger (read-only)."""

    serializer_class = ChargeSerializer
    ordering_fields = ["at", "month"]

    def get_queryset(self):
        return selectors.charge_list(
            user=self.request.user, organisation=_organisation_filter(self.request)
        )

    @extend_schema(
        summary="Søgninger og beløb pr. organisation, måned og bruger",
        parameters=[ORGANISATION_PARAM],
        responses=ChargeSummarySerializer(many=True),
    )
    @action(detail=False, pagination_class=None)
    def summary(self, request):
        rows = selectors.charge_summary(
            user=request.user, organisation=_organisation_filter(request)
        )
        return Response(ChargeSummarySerializer(rows, many=True).data)


# --- scans ----------------------------------------------------------------------------------


class ScanJobSerializer(serializers.ModelSerializer):
    started_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ScanJob
        fields = [
            "id",
            "organisation",
            "started_by",
            "scheduled",
            "status",
            "total",
            "done",
            "failed",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ScanStartSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(required=False, allow_null=True)


class ScanSettingSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(required=False, allow_null=True)
    enabled = serializers.BooleanField()


@extend_schema_view(
    list=extend_schema(summary="Scanninger", parameters=[ORGANISATION_PARAM]),
    retrieve=extend_schema(summary="Én scanning med fremdrift"),
    create=extend_schema(
        summary="Start en scanning af alle opgange",
        request=ScanStartSerializer,
        responses={201: ScanJobSerializer},
    ),
)
class ScanJobViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Scans: list, progress, start (organisation admin or CPR officer), resume."""

    serializer_class = ScanJobSerializer

    def get_queryset(self):
        return selectors.scan_job_list(
            user=self.request.user, organisation=_organisation_filter(self.request)
        )

    def create(self, request, *args, **kwargs):
        data = ScanStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = _organisation_for_write(request, data.validated_data.get("organisation"))
        try:
            job = services.scan_start(organisation=organisation, user=request.user)
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return Response(ScanJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Slå de fejlede opgange op igen", request=None)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        job = self.get_object()  # DRF's lookup: a malformed id is a 404, not a 500
        try:
            job = services.scan_resume(job=job, user=request.user)
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return Response(ScanJobSerializer(job).data)

    @extend_schema(
        summary="Slå planlagt natlig scanning til eller fra",
        request=ScanSettingSerializer,
        responses=ScanSettingSerializer,
    )
    @action(detail=False, methods=["post"])
    def setting(self, request):
        data = ScanSettingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = _organisation_for_write(request, data.validated_data.get("organisation"))
        try:
            setting = services.scan_setting_set(
                user=request.user,
                organisation=organisation,
                enabled=data.validated_data["enabled"],
            )
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return Response({"organisation": organisation.pk, "enabled": setting.enabled})


# --- reconciliation and moves ---------------------------------------------------------------


class DisagreementSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="pk")
    address = serializers.CharField(source="street_address")
    status = serializers.CharField(source="occupancy.status")
    status_display = serializers.CharField(source="occupancy.get_status_display")
    computed_at = serializers.DateTimeField(source="occupancy.computed_at")
    stale = serializers.BooleanField(source="occupancy.is_stale")
    categories = serializers.SerializerMethodField()
    lease = serializers.SerializerMethodField()

    def get_categories(self, obj) -> list[str]:
        return selectors.unit_categories(obj)

    def get_lease(self, obj) -> int | None:
        lease = self.context.get("leases", {}).get(obj.pk)
        return lease.pk if lease else None


class ReconciliationViewSet(viewsets.GenericViewSet):
    """Units where leases and CPR disagree (docs/domain.md, Occupancy reconciliation)."""

    serializer_class = DisagreementSerializer

    def get_queryset(self):
        return selectors.disagreement_list(
            user=self.request.user,
            organisation=_organisation_filter(self.request),
            category=self.request.query_params.get("category") or None,
        )

    @extend_schema(
        summary="Uoverensstemmelser mellem lejemål og CPR",
        parameters=[
            ORGANISATION_PARAM,
            OpenApiParameter(
                "category",
                str,
                enum=list(selectors.CATEGORIES),
                description="no_registration, no_lease eller holder_moved_out",
                required=False,
            ),
        ],
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        leases = selectors.active_leases_by_unit(u.pk for u in page)
        data = DisagreementSerializer(page, many=True, context={"leases": leases}).data
        return self.get_paginated_response(data)


class EventSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = OccupancyEvent
        fields = [
            "id",
            "kind",
            "date",
            "detected_at",
            "unit",
            "lease",
            "person",
            "name",
            "protected",
            "cpr_masked",
        ]
        read_only_fields = fields

    def get_name(self, obj) -> str:
        return obj.public_name

    def to_representation(self, instance):
        # A protected person's move: not where, not which lease, not who (docs/domain.md).
        data = super().to_representation(instance)
        data["protected"] = instance.is_protected
        return withhold_protected(
            data,
            protected=instance.is_protected,
            withheld={"unit": None, "lease": None, "person": None, "cpr_masked": ""},
        )


@extend_schema_view(
    list=extend_schema(summary="Registrerede flytninger", parameters=[ORGANISATION_PARAM])
)
class EventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Moves detected by CPR lookups (read-only)."""

    serializer_class = EventSerializer

    def get_queryset(self):
        return selectors.event_list(
            user=self.request.user, organisation=_organisation_filter(self.request)
        )
