"""The records CPR's rules ask for, through the API (issue 12): the private landlord's
document for the number of dwellings (with the eligibility it gives) and the owner's own
record of owner use (the 392-style status). Thin: `cprlookup.services.records` and
`cprlookup.occupancy_refresh`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import StrictInputSerializer
from tenancy.api.common import ScopedPk
from tenancy.models import Unit
from tenancy.selectors import organisation_list, unit_list

from . import occupancy_refresh, services
from .api import _organisation_for_write
from .models import DwellingsEvidence, OwnerUse


class EvidenceSerializer(serializers.ModelSerializer):
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DwellingsEvidence
        fields = [
            "id",
            "organisation",
            "dwellings",
            "document",
            "note",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class EvidenceInputSerializer(StrictInputSerializer):
    organisation = serializers.IntegerField(required=False, allow_null=True)
    dwellings = serializers.IntegerField(min_value=0, max_value=10_000_000)
    document = serializers.CharField(max_length=200)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DwellingsEvidenceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A private landlord's documents for its number of dwellings (CPR Act §39)."""

    serializer_class = EvidenceSerializer
    filter_backends = []

    def get_queryset(self):
        ids = organisation_list(user=self.request.user).values("pk")
        return DwellingsEvidence.objects.filter(organisation_id__in=ids).select_related(
            "recorded_by"
        )

    @extend_schema(
        request=EvidenceInputSerializer,
        responses={201: EvidenceSerializer},
        summary="Registrér dokumentation for antal boliger",
    )
    def create(self, request):
        data = EvidenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organisation = _organisation_for_write(request, values.pop("organisation", None))
        evidence = services.dwellings_evidence_record(
            user=request.user, organisation=organisation, **values
        )
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Adgang til CPR's udlejerservice")
    @action(detail=False, methods=["get"])
    def eligibility(self, request):
        out = []
        for organisation in organisation_list(user=request.user):
            out.append(
                {
                    "organisation": organisation.pk,
                    "let_dwellings": services.let_dwellings(organisation, up_to=100_000),
                    "dwellings_owned": organisation.dwellings_owned,
                    "problem": services.eligibility_error(organisation),
                }
            )
        return Response(out)


class OwnerUseSerializer(serializers.ModelSerializer):
    class Meta:
        model = OwnerUse
        fields = ["id", "unit", "organisation", "note", "recorded_at"]
        read_only_fields = fields


class OwnerUseInputSerializer(StrictInputSerializer):
    unit = ScopedPk(selector=unit_list, model=Unit)
    note = serializers.CharField(max_length=200)


class OwnerUseViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Units the owner uses, as the owner's own data says (392-style status 2)."""

    serializer_class = OwnerUseSerializer
    filter_backends = []

    def get_queryset(self):
        ids = organisation_list(user=self.request.user).values("pk")
        return OwnerUse.objects.filter(organisation_id__in=ids).order_by("unit_id")

    @extend_schema(
        request=OwnerUseInputSerializer,
        responses={201: OwnerUseSerializer},
        summary="Registrér ejerbenyttelse",
    )
    def create(self, request):
        data = OwnerUseInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        use = occupancy_refresh.owner_use_set(
            user=request.user, unit=data.validated_data["unit"], note=data.validated_data["note"]
        )
        return Response(OwnerUseSerializer(use).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        occupancy_refresh.owner_use_clear(user=self.request.user, unit=instance.unit)
