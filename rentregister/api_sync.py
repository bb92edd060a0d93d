"""The register kept in step, through the API (issue 12): the comparisons and the open
differences from the register, one-click refiling of a difference, running a comparison
now, and sending the notification contacts. Thin: `rentregister.services.sync`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.errors import DomainError
from tenancy.selectors import organisation_list

from .models import NotificationSettingsPush, RegisterComparison, RegisterDifference
from .services import sync

ORGANISATION_PARAM = OpenApiParameter(
    "organisation", int, description="Organisationens id (standard: den første)", required=False
)


def _organisation(request):
    organisations = organisation_list(user=request.user)
    wanted = request.query_params.get("organisation")
    if wanted:
        if not str(wanted).isdigit():
            raise DomainError({"organisation": [_("Organisationen findes ikke.")]})
        organisations = organisations.filter(pk=int(wanted))
    organisation = organisations.order_by("pk").first()
    if organisation is None:
        raise DomainError({"organisation": [_("Organisationen findes ikke.")]})
    return organisation


class ComparisonSerializer(serializers.ModelSerializer):
    class Meta:
        model = RegisterComparison
        fields = [
            "id",
            "organisation",
            "started_at",
            "finished_at",
            "leases_compared",
            "differences",
            "error",
        ]
        read_only_fields = fields


class DifferenceSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = RegisterDifference
        fields = [
            "id",
            "lease",
            "lease_number",
            "kind",
            "kind_display",
            "field",
            "ours",
            "theirs",
            "found_at",
            "refiled_by",
        ]
        read_only_fields = fields


class ComparisonViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Read-backs of the register (the nightly beat task and "compare now")."""

    serializer_class = ComparisonSerializer
    filter_backends = []

    def get_queryset(self):
        ids = organisation_list(user=self.request.user).values("pk")
        return RegisterComparison.objects.filter(organisation_id__in=ids).order_by("-pk")

    @extend_schema(
        request=None,
        responses=ComparisonSerializer,
        summary="Sammenlign nu",
        parameters=[ORGANISATION_PARAM],
    )
    @action(detail=False, methods=["post"])
    def run(self, request):
        comparison = sync.register_compare(organisation=_organisation(request))
        return Response(ComparisonSerializer(comparison).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None, summary="Send kontaktpersoner til registret", parameters=[ORGANISATION_PARAM]
    )
    @action(detail=False, methods=["post"], url_path="push-contacts")
    def push_contacts(self, request):
        organisation = _organisation(request)
        sync.check_admin(user=request.user, organisation=organisation)
        push: NotificationSettingsPush = sync.contacts_push(organisation=organisation)
        code = status.HTTP_200_OK if not push.error else status.HTTP_502_BAD_GATEWAY
        return Response(
            {"contacts": push.contacts, "sent_at": push.sent_at, "error": push.error}, status=code
        )


class DifferenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Open differences between our data and the register's (refiled ones drop out)."""

    serializer_class = DifferenceSerializer
    filter_backends = []

    def get_queryset(self):
        ids = organisation_list(user=self.request.user).values("pk")
        return RegisterDifference.objects.filter(
            organisation_id__in=ids, refiled_by__isnull=True
        ).order_by("lease_number", "field", "pk")

    @extend_schema(request=None, summary="Indberet igen (genopret, hvis slettet)")
    @action(detail=True, methods=["post"])
    def refile(self, request, pk=None):
        difference = self.get_object()
        try:
            filing = sync.difference_refile(difference=difference, actor=request.user)
        except PermissionDenied:
            raise
        return Response(
            {"filing": filing.pk, "kind": filing.kind, "operation": filing.operation},
            status=status.HTTP_201_CREATED,
        )
