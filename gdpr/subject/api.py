"""REST API for the data-subject side (issue 15): requests with deadlines, consents and
other bases, objections and restrictions. Scoped to the user's organisations; every write
goes through the gdpr.subject services (a broken rule is a 400 with a Danish message)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404  # (a non-numeric id is a 404, not a 500)
from rest_framework.response import Response

from core.api import StrictInputSerializer, validated
from tenancy.api.common import ScopedPk
from tenancy.models import Person
from tenancy.selectors import organisation_ids_for, person_list

from ..models import (
    BasisKind,
    Consent,
    ConsentPurpose,
    Objection,
    ObjectionPurpose,
    RequestKind,
    RequestStatus,
    Restriction,
    SubjectRequest,
)
from . import requests, rights


def _person_field():
    return ScopedPk(selector=person_list, model=Person, help_text="Personens id (/api/people/).")


class GdprRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubjectRequest
        fields = [
            "id",
            "person",
            "kind",
            "received_on",
            "deadline",
            "extended",
            "extension_reason",
            "details",
            "status",
            "outcome",
            "created_at",
            "closed_at",
        ]


class GdprRequestCreateSerializer(StrictInputSerializer):
    person = _person_field()
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    received_on = serializers.DateField(required=False, help_text="Standard: i dag.")
    details = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class GdprReasonSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=500)


# How a request can be closed (named in settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
CLOSE_CHOICES = [(RequestStatus.COMPLETED, "Besvaret"), (RequestStatus.REFUSED, "Afvist")]


class GdprRequestCloseSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=CLOSE_CHOICES)
    outcome = serializers.CharField(max_length=4000)


def _scoped(model, user):
    return model.objects.filter(organisation_id__in=organisation_ids_for(user))


@extend_schema_view(
    list=extend_schema(summary="Anmodninger fra de registrerede (med frister)"),
    retrieve=extend_schema(summary="Én anmodning"),
)
class SubjectRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Data-subject requests: access, portability, rectification, erasure, restriction,
    objection. The deadline is one month after receipt, extendable once by two months."""

    serializer_class = GdprRequestSerializer
    filterset_fields = ["status", "kind", "person"]
    ordering_fields = ["deadline", "received_on"]

    def get_queryset(self):
        return _scoped(SubjectRequest, self.request.user).order_by("deadline", "pk")

    @extend_schema(
        request=GdprRequestCreateSerializer,
        responses={201: GdprRequestSerializer},
        summary="Registrér en anmodning",
    )
    def create(self, request):
        data = validated(GdprRequestCreateSerializer, request)
        created = requests.request_create(actor=request.user, **data)
        return Response(GdprRequestSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=GdprReasonSerializer,
        responses={200: GdprRequestSerializer},
        summary="Forlæng fristen med to måneder (én gang, med begrundelse)",
    )
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        subject_request = self.get_object()
        data = validated(GdprReasonSerializer, request)
        updated = requests.request_extend(request=subject_request, actor=request.user, **data)
        return Response(GdprRequestSerializer(updated).data)

    @extend_schema(
        request=GdprRequestCloseSerializer,
        responses={200: GdprRequestSerializer},
        summary="Afslut anmodningen (besvaret eller afvist)",
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        subject_request = self.get_object()
        data = validated(GdprRequestCloseSerializer, request)
        updated = requests.request_close(request=subject_request, actor=request.user, **data)
        return Response(GdprRequestSerializer(updated).data)


class GdprConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = [
            "id",
            "person",
            "purpose",
            "basis",
            "given_at",
            "evidence",
            "withdrawn_at",
            "withdrawal_evidence",
        ]


class GdprConsentGiveSerializer(StrictInputSerializer):
    person = _person_field()
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    basis = serializers.ChoiceField(choices=BasisKind.choices, default=BasisKind.CONSENT)
    evidence = serializers.CharField(max_length=500)


class GdprEvidenceSerializer(StrictInputSerializer):
    evidence = serializers.CharField(max_length=500)


@extend_schema_view(
    list=extend_schema(summary="Samtykker og andre registrerede grundlag"),
    retrieve=extend_schema(summary="Ét samtykke"),
)
class ConsentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Consents per person and purpose (storing the CPR number, health data), given and
    withdrawn with date, who recorded it and the evidence."""

    serializer_class = GdprConsentSerializer
    filterset_fields = ["person", "purpose"]

    def get_queryset(self):
        return _scoped(Consent, self.request.user).order_by("-given_at", "-pk")

    @extend_schema(
        request=GdprConsentGiveSerializer,
        responses={201: GdprConsentSerializer},
        summary="Registrér samtykke eller grundlag",
    )
    def create(self, request):
        data = validated(GdprConsentGiveSerializer, request)
        consent = rights.consent_give(actor=request.user, **data)
        return Response(GdprConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=GdprEvidenceSerializer,
        responses={200: GdprConsentSerializer},
        summary="Træk samtykket tilbage",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        consent = self.get_object()
        data = validated(GdprEvidenceSerializer, request)
        consent = rights.consent_withdraw(consent=consent, actor=request.user, **data)
        return Response(GdprConsentSerializer(consent).data)


class GdprObjectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objection
        fields = ["id", "person", "purpose", "recorded_at", "note", "withdrawn_at"]


class GdprObjectionCreateSerializer(StrictInputSerializer):
    person = _person_field()
    purpose = serializers.ChoiceField(choices=ObjectionPurpose.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


@extend_schema_view(
    list=extend_schema(summary="Indsigelser"), retrieve=extend_schema(summary="Én indsigelse")
)
class ObjectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Objections (e.g. to market statistics): an export for the purpose leaves the person
    out while the objection is active."""

    serializer_class = GdprObjectionSerializer
    filterset_fields = ["person", "purpose"]

    def get_queryset(self):
        return _scoped(Objection, self.request.user).order_by("-recorded_at", "-pk")

    @extend_schema(
        request=GdprObjectionCreateSerializer,
        responses={201: GdprObjectionSerializer},
        summary="Registrér indsigelse",
    )
    def create(self, request):
        data = validated(GdprObjectionCreateSerializer, request)
        objection = rights.objection_record(actor=request.user, **data)
        return Response(GdprObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: GdprObjectionSerializer}, summary="Træk tilbage")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        objection = rights.objection_withdraw(objection=self.get_object(), actor=request.user)
        return Response(GdprObjectionSerializer(objection).data)


class GdprRestrictionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Restriction
        fields = ["id", "person", "reason", "started_at", "lifted_at", "lift_reason"]


class GdprRestrictionCreateSerializer(StrictInputSerializer):
    person = _person_field()
    reason = serializers.CharField(max_length=500)


@extend_schema_view(
    list=extend_schema(summary="Begrænsninger af behandling"),
    retrieve=extend_schema(summary="Én begrænsning"),
)
class RestrictionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Restriction of processing (GDPR art. 18): while active, every app's services refuse
    offers, CPR lookups and exports other than legal ones for the person."""

    serializer_class = GdprRestrictionSerializer
    filterset_fields = ["person"]

    def get_queryset(self):
        return _scoped(Restriction, self.request.user).order_by("-started_at", "-pk")

    @extend_schema(
        request=GdprRestrictionCreateSerializer,
        responses={201: GdprRestrictionSerializer},
        summary="Begræns behandlingen",
    )
    def create(self, request):
        data = validated(GdprRestrictionCreateSerializer, request)
        restriction = rights.restriction_start(actor=request.user, **data)
        return Response(GdprRestrictionSerializer(restriction).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=GdprReasonSerializer, responses={200: GdprRestrictionSerializer}, summary="Ophæv"
    )
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        restriction = get_object_or_404(self.get_queryset(), pk=pk)
        data = validated(GdprReasonSerializer, request)
        restriction = rights.restriction_lift(restriction=restriction, actor=request.user, **data)
        return Response(GdprRestrictionSerializer(restriction).data)
