"""REST API for letting (issue 14) under /api/waitlist/: vacancies (list, detail, create,
start a round, withdraw, the stored ranking with reasons) and offers (list, detail, register
an answer). Scoped to the user's organisations (waitlist.selectors_letting); writes go
through waitlist.services.letting. Applicants are referred to by number only."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import StrictInputSerializer, validated
from tenancy.api.common import StrictDecimalField
from tenancy.models import Unit
from tenancy.selectors import organisation_ids_for

from . import selectors_letting
from .api import PERMISSIONS
from .models import ListType
from .models_letting import Offer, RankingEntry, Vacancy
from .services import letting as svc


class VacancySerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    unit_label = serializers.CharField(source="unit.__str__", read_only=True)

    class Meta:
        model = Vacancy
        fields = [
            "id",
            "organisation",
            "cooperation",
            "unit",
            "unit_label",
            "department",
            "ended_lease",
            "list_type",
            "move_in_date",
            "rent",
            "rooms",
            "area_m2",
            "city",
            "pets_allowed",
            "balcony_or_garden",
            "status",
            "status_display",
            "created_at",
            "assigned_offer",
            "assigned_at",
            "new_lease",
            "withdrawn_reason",
        ]
        read_only_fields = fields


class OfferSerializer(serializers.ModelSerializer):
    round_number = serializers.IntegerField(source="round.number", read_only=True)

    class Meta:
        model = Offer
        fields = [
            "id",
            "vacancy",
            "round_number",
            "application",
            "applicant",
            "rank",
            "channel",
            "deadline",
            "status",
            "outcome",
            "answered_at",
            "answered_via",
            "note",
        ]
        read_only_fields = fields


class RankingEntrySerializer(serializers.ModelSerializer):
    round_number = serializers.IntegerField(source="round.number", read_only=True)
    reason_display = serializers.CharField(source="get_reason_display", read_only=True)

    class Meta:
        model = RankingEntry
        fields = [
            "round_number",
            "position",
            "application",
            "seniority_date",
            "rank",
            "reason",
            "reason_display",
            "detail",
        ]
        read_only_fields = fields


class VacancyCreateSerializer(StrictInputSerializer):
    unit = serializers.IntegerField(min_value=1, max_value=2_147_483_647)
    move_in_date = serializers.DateField()
    rent = StrictDecimalField(max_digits=10, decimal_places=2, min_value=1)
    list_type = serializers.ChoiceField(choices=ListType.choices, default=ListType.FAMILY)
    pets_allowed = serializers.BooleanField(default=False)
    balcony_or_garden = serializers.BooleanField(default=False)


class WithdrawSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=300)


class AnswerSerializer(StrictInputSerializer):
    accept = serializers.BooleanField(help_text="true = ja tak, false = nej tak")


STATUS = OpenApiParameter(
    "status",
    str,
    enum=["active", *Vacancy.Status.values],
    description="active = ledig, i tilbud eller uden ansøgere",
)


@extend_schema_view(
    list=extend_schema(summary="Ledige boliger", parameters=[STATUS]),
    retrieve=extend_schema(summary="Ledig bolig"),
)
class VacancyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = VacancySerializer
    permission_classes = PERMISSIONS
    filter_backends: list = []

    def get_queryset(self):
        value = self.request.query_params.get("status", "")
        allowed = value if value in {"active", *Vacancy.Status.values} else ""
        return selectors_letting.vacancy_list(user=self.request.user, status=allowed)

    @extend_schema(
        summary="Meld en bolig ledig",
        request=VacancyCreateSerializer,
        responses={201: VacancySerializer},
    )
    def create(self, request):
        data = validated(VacancyCreateSerializer, request)
        unit = Unit.objects.filter(
            pk=data.pop("unit"), organisation_id__in=organisation_ids_for(request.user)
        ).first()
        if unit is None:
            return Response({"unit": [_("Ukendt enhed.")]}, status=status.HTTP_400_BAD_REQUEST)
        vacancy = svc.vacancy_create(unit=unit, actor=request.user, **data)
        return Response(VacancySerializer(vacancy).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Start en tilbudsrunde", request=None, responses={200: OfferSerializer(many=True)}
    )
    @action(detail=True, methods=["post"], url_path="start-round")
    def start_round(self, request, pk=None):
        rnd = svc.round_start(vacancy=self.get_object(), actor=request.user)
        return Response(OfferSerializer(rnd.offers.order_by("rank"), many=True).data)

    @extend_schema(
        summary="Træk boligen tilbage", request=WithdrawSerializer, responses=VacancySerializer
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        vacancy = self.get_object()  # 404 outside the user's organisations, before the input
        data = validated(WithdrawSerializer, request)
        vacancy = svc.vacancy_withdraw(vacancy=vacancy, reason=data["reason"], actor=request.user)
        return Response(VacancySerializer(vacancy).data)

    @extend_schema(
        summary="Placeringer med årsager (sådan stod listen i hver runde)",
        responses=RankingEntrySerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def ranking(self, request, pk=None):
        vacancy = self.get_object()
        entries = (
            RankingEntry.objects.filter(round__vacancy=vacancy)
            .select_related("round")
            .order_by("round__number", "position")
        )
        page = self.paginate_queryset(entries)
        if page is not None:
            return self.get_paginated_response(RankingEntrySerializer(page, many=True).data)
        return Response(RankingEntrySerializer(entries, many=True).data)


OFFER_STATUS = OpenApiParameter("status", str, enum=Offer.Status.values)


@extend_schema_view(
    list=extend_schema(summary="Tilbud", parameters=[OFFER_STATUS]),
    retrieve=extend_schema(summary="Tilbud"),
)
class OfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = OfferSerializer
    permission_classes = PERMISSIONS
    filter_backends: list = []

    def get_queryset(self):
        value = self.request.query_params.get("status", "")
        return selectors_letting.offer_list(
            user=self.request.user, status=value if value in Offer.Status.values else ""
        )

    @extend_schema(
        summary="Registrér svar på et tilbud", request=AnswerSerializer, responses=OfferSerializer
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        offer = self.get_object()  # 404 outside the user's organisations, before the input
        data = validated(AnswerSerializer, request)
        offer = svc.offer_answer(
            offer=offer, accept=data["accept"], actor=request.user, via=Offer.Via.STAFF
        )
        return Response(OfferSerializer(offer).data)
