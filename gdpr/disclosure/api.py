"""REST API of issue 16 (/api/gdpr/): the disclosure log, outbound exports, data-discovery
findings (redact, dismiss), breaches and processors. Read through the user's organisations
(an API token covers every organisation the user is a member of; `?organisation=`
narrows); writes go through the services."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import StrictInputSerializer, validated
from core.filters import MAX_ID
from tenancy.selectors import organisation_ids_for

from ..models import Breach, Disclosure, DiscoveryFinding, OutboundExport, Processor
from . import discovery

ORGANISATION = OpenApiParameter(
    "organisation",
    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    description="Kun denne organisation (id)",
    required=False,
)


class _Scoped(viewsets.ReadOnlyModelViewSet):
    """A read-only list/detail of the user's organisations' rows."""

    model: type = Disclosure
    ordering: tuple[str, ...] = ("-pk",)

    def get_queryset(self) -> QuerySet:
        ids = organisation_ids_for(self.request.user)
        wanted = self.request.query_params.get("organisation", "")
        if wanted.isdigit() and int(wanted) <= MAX_ID:
            ids = [i for i in ids if i == int(wanted)]
        return self.model.objects.filter(organisation_id__in=ids).order_by(*self.ordering)


class DisclosureSerializer(serializers.ModelSerializer):
    person_ids = serializers.SerializerMethodField()

    class Meta:
        model = Disclosure
        fields = [
            "id",
            "organisation",
            "at",
            "recipient",
            "recipient_kind",
            "categories",
            "legal_basis",
            "purpose",
            "source",
            "reference",
            "actor",
            "person_count",
            "person_ids",
        ]
        read_only_fields = fields

    def get_person_ids(self, obj) -> list[int]:
        return list(obj.links.values_list("person_id", flat=True))


@extend_schema_view(
    list=extend_schema(summary="Videregivelser af persondata", parameters=[ORGANISATION]),
    retrieve=extend_schema(summary="Én videregivelse med personernes id"),
)
class DisclosureViewSet(_Scoped):
    serializer_class = DisclosureSerializer
    model = Disclosure
    ordering = ("-at", "-pk")


class OutboundExportSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutboundExport
        fields = [
            "id",
            "organisation",
            "kind",
            "recipient",
            "property",
            "unit",
            "lease",
            "status",
            "total",
            "done",
            "created_at",
            "finished_at",
            "disclosure",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Udtræk til eksterne modtagere", parameters=[ORGANISATION]),
    retrieve=extend_schema(summary="Ét udtræk med status"),
)
class OutboundExportViewSet(_Scoped):
    serializer_class = OutboundExportSerializer
    model = OutboundExport
    ordering = ("-created_at", "-pk")


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = DiscoveryFinding
        fields = [
            "id",
            "organisation",
            "kind",
            "source",
            "model",
            "object_id",
            "field",
            "path",
            "masked",
            "context",
            "person",
            "status",
            "first_seen",
            "last_seen",
            "resolution",
        ]
        read_only_fields = fields


class DismissInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


@extend_schema_view(
    list=extend_schema(summary="Fund af persondata (dataopdagelse)", parameters=[ORGANISATION]),
    retrieve=extend_schema(summary="Ét fund (værdien kun maskeret)"),
)
class FindingViewSet(_Scoped):
    serializer_class = FindingSerializer
    model = DiscoveryFinding
    ordering = ("-last_seen", "-pk")

    @extend_schema(summary="Fjern den fundne værdi", request=None, responses=FindingSerializer)
    @action(detail=True, methods=["post"])
    def redact(self, request, pk=None):
        finding = self.get_object()
        discovery.finding_redact(finding=finding, actor=request.user)
        return Response(FindingSerializer(finding).data)

    @extend_schema(
        summary="Afvis fundet (ikke persondata)",
        request=DismissInputSerializer,
        responses=FindingSerializer,
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        finding = self.get_object()
        data = validated(DismissInputSerializer, request)
        discovery.finding_dismiss(
            finding=finding, actor=request.user, reason=data.get("reason", "")
        )
        return Response(FindingSerializer(finding).data)


class BreachSerializer(serializers.ModelSerializer):
    deadline = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Breach
        fields = [
            "id",
            "organisation",
            "title",
            "description",
            "discovered_at",
            "occurred_at",
            "deadline",
            "categories",
            "risk",
            "reported_at",
            "authority_reference",
            "closed_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Brud på persondatasikkerheden", parameters=[ORGANISATION]),
    retrieve=extend_schema(summary="Ét brud med fristen for anmeldelse"),
)
class BreachViewSet(_Scoped):
    serializer_class = BreachSerializer
    model = Breach
    ordering = ("-discovered_at", "-pk")


class ProcessorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Processor
        fields = [
            "id",
            "organisation",
            "name",
            "cvr",
            "role",
            "sub_processor_of",
            "service",
            "categories",
            "country",
            "third_country_basis",
            "agreement_date",
            "agreement_ends",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Databehandlere og underdatabehandlere", parameters=[ORGANISATION]),
    retrieve=extend_schema(summary="Én databehandler med aftalen"),
)
class ProcessorViewSet(_Scoped):
    serializer_class = ProcessorSerializer
    model = Processor
    ordering = ("name", "pk")
