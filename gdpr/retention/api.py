"""REST API of the retention schedule (/api/gdpr/retention/): the schedule, the preview of
the next run, and the runs (start one for an organisation, follow it, resume it). Names of
people due appear only in the preview, for the organisation's own staff."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import StrictInputSerializer, validated
from core.filters import MAX_ID
from tenancy.models import Organisation
from tenancy.selectors import organisation_list

from ..models import RetentionRule, RetentionRun
from . import selectors, services, tasks

ORGANISATION_PARAM = OpenApiParameter(
    "organisation",
    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    description="Organisationen (id); kan udelades, når du kun er medlem af én",
    required=False,
)


def _organisation(request, value) -> Organisation:
    orgs = organisation_list(user=request.user)
    if value in (None, ""):
        if orgs.count() == 1:
            return orgs.get()
        raise serializers.ValidationError(
            {"organisation": [_("Angiv organisationen (du er medlem af flere).")]}
        )
    if not str(value).isdigit() or int(value) > MAX_ID:
        raise serializers.ValidationError({"organisation": [_("Ugyldigt id.")]})
    org = orgs.filter(pk=int(value)).first()
    if org is None:
        raise serializers.ValidationError({"organisation": [_("Organisationen findes ikke.")]})
    return org


class RetentionRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = RetentionRule
        fields = [
            "key",
            "title",
            "description",
            "period",
            "unit",
            "starts",
            "action",
            "legal_basis",
            "enabled",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_view(list=extend_schema(summary="Sletteguiden: opbevaringsregler"))
class RetentionRuleViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The schedule, read-only (administrators change it in the admin)."""

    serializer_class = RetentionRuleSerializer
    queryset = RetentionRule.objects.order_by("position", "pk")


class RetentionRunSerializer(serializers.ModelSerializer):
    started_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RetentionRun
        fields = [
            "id",
            "organisation",
            "started_by",
            "scheduled",
            "status",
            "as_of",
            "total",
            "done",
            "failed",
            "counts",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class RunStartSerializer(StrictInputSerializer):
    organisation = serializers.IntegerField(required=False, allow_null=True, min_value=1)


@extend_schema_view(
    list=extend_schema(summary="Sletningskørsler", parameters=[ORGANISATION_PARAM]),
    retrieve=extend_schema(summary="Én sletningskørsel med fremdrift"),
    create=extend_schema(
        summary="Kør sletning nu for organisationen",
        request=RunStartSerializer,
        responses={201: RetentionRunSerializer},
    ),
)
class RetentionRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = RetentionRunSerializer
    queryset = RetentionRun.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RetentionRun.objects.none()
        organisation = _organisation(self.request, self.request.query_params.get("organisation"))
        return selectors.run_list(user=self.request.user, organisation=organisation)

    def get_object(self):
        # A run is found in any of the user's organisations (no ?organisation= needed).
        runs = RetentionRun.objects.filter(
            organisation__in=organisation_list(user=self.request.user)
        )
        if getattr(self.request.user, "is_superuser", False):
            runs = runs | RetentionRun.objects.filter(organisation__isnull=True)
        value = str(self.kwargs.get("pk", ""))
        run = runs.filter(pk=int(value)).first() if value.isdigit() and len(value) < 12 else None
        if run is None:
            raise Http404
        return run

    def create(self, request, *args, **kwargs):
        data = validated(RunStartSerializer, request)
        organisation = _organisation(request, data.get("organisation"))
        run = services.run_create(organisation=organisation, user=request.user)
        tasks.run_dispatch(run.pk)
        return Response(RetentionRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Genoptag en afbrudt kørsel", request=None)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        run = services.run_resume(run=self.get_object())
        tasks.run_dispatch(run.pk)
        return Response(RetentionRunSerializer(run).data)


class PreviewPersonSerializer(serializers.Serializer):
    label = serializers.CharField()
    detail = serializers.CharField()
    person_id = serializers.IntegerField(allow_null=True)
    applicant_id = serializers.IntegerField(allow_null=True)
    blocked = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class PreviewRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    action = serializers.CharField()
    cutoff = serializers.DateTimeField()
    handled = serializers.BooleanField()
    count = serializers.IntegerField()
    people = PreviewPersonSerializer(many=True)


def _preview_data(rows) -> list[dict]:
    return [
        {
            "key": row.rule.key,
            "title": row.rule.title,
            "action": row.rule.action,
            "cutoff": row.cutoff,
            "handled": row.handled,
            "count": row.count,
            "people": [
                {
                    "label": p.label,
                    "detail": p.detail,
                    "person_id": p.person_id,
                    "applicant_id": p.applicant_id,
                    "blocked": p.blocked,
                    "reasons": [k.reason for k in p.keep if k.blocks],
                }
                for p in row.people
            ],
        }
        for row in rows
    ]


class RetentionPreviewView(APIView):
    @extend_schema(
        summary="Hvad næste sletningskørsel vil gøre (hvem og hvad)",
        parameters=[ORGANISATION_PARAM],
        responses=PreviewRowSerializer(many=True),
    )
    def get(self, request):
        organisation = _organisation(request, request.query_params.get("organisation"))
        rows = services.preview(organisation=organisation)
        return Response(PreviewRowSerializer(_preview_data(rows), many=True).data)
