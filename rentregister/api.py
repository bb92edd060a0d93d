"""REST API for the rent register: the filing queue (list, detail, retry, cancel), UDK
tasks (list, detail, done), tenants' consent to file their CPR number (list, give,
withdraw) and the housing-benefit refund calculation. Scoped to the
user's organisations through rentregister.selectors; writes go through the services."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.filters import MAX_ID
from tenancy.api.common import PlausibleDateField, StrictDecimalField
from tenancy.selectors import person_list

from . import selectors, services
from .models import Filing, FilingConsent, FilingState, UdkTask, UdkTaskStatus
from .payload import message_da


class RegisterMessageSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField(help_text="Dansk tekst med feltets navn.")


class FilingSerializer(serializers.ModelSerializer):
    lease_number = serializers.CharField(source="lease.number", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    errors = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Filing
        fields = [
            "id",
            "lease",
            "lease_number",
            "kind",
            "kind_display",
            "operation",
            "is_correction",
            "effective_date",
            "state",
            "state_display",
            "attempts",
            "next_attempt_at",
            "accepted_at",
            "receipt_id",
            "receipt_version",
            "errors",
            "warnings",
            "last_error",
            "resolution_note",
            "created_at",
        ]
        read_only_fields = fields

    def _messages(self, items):
        return [{**item, "message": message_da(item)} for item in items or []]

    def get_errors(self, obj) -> list[dict]:
        return self._messages(obj.errors)

    def get_warnings(self, obj) -> list[dict]:
        return self._messages(obj.warnings)


class FilingDetailSerializer(FilingSerializer):
    payload = serializers.JSONField(read_only=True, help_text="Uden CPR-numre.")

    class Meta(FilingSerializer.Meta):
        fields = [*FilingSerializer.Meta.fields, "payload"]
        read_only_fields = fields


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


@extend_schema_view(
    list=extend_schema(
        summary="Indberetninger til Huslejeregisteret",
        parameters=[OpenApiParameter("state", enum=FilingState.values, required=False)],
    ),
    retrieve=extend_schema(summary="Én indberetning med indhold og registrets meddelelser"),
)
class FilingViewSet(viewsets.ReadOnlyModelViewSet):
    """The outbox queue: state, the register's messages (Danish, field named), retry."""

    filter_backends = []

    def get_queryset(self):
        state = self.request.query_params.get("state") or None
        qs = selectors.filing_list(user=self.request.user, state=state).order_by("-pk")
        if self.action == "retrieve":
            qs = qs.defer(None)
        return qs

    def get_serializer_class(self):
        return FilingDetailSerializer if self.action != "list" else FilingSerializer

    @extend_schema(request=None, responses=FilingDetailSerializer, summary="Send igen")
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        filing = services.filing_retry(filing=self.get_object(), actor=request.user)
        return Response(FilingDetailSerializer(filing).data)

    @extend_schema(
        request=CancelInputSerializer, responses=FilingDetailSerializer, summary="Annullér"
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        filing = self.get_object()  # first: another organisation's filing is a 404, not a 400
        data = CancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        filing = services.filing_cancel(
            filing=filing, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(FilingDetailSerializer(filing).data)


class ConsentSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", default=None)
    active = serializers.SerializerMethodField()

    class Meta:
        model = FilingConsent
        fields = ["id", "person", "given_at", "withdrawn_at", "active", "recorded_by", "note"]

    def get_active(self, obj) -> bool:
        return obj.withdrawn_at is None


@extend_schema_field(OpenApiTypes.INT)
class _PersonField(serializers.PrimaryKeyRelatedField):
    """A person of the requesting user's organisations (others are 'not found')."""

    def get_queryset(self):
        return person_list(user=self.context["request"].user)


class ConsentGiveSerializer(serializers.Serializer):
    person = _PersonField(help_text="Personens id (/api/people/).")
    note = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Fx hvordan samtykket er givet og hvor det ligger.",
    )


class ConsentWithdrawSerializer(serializers.Serializer):
    person = _PersonField(help_text="Personens id (/api/people/).")


@extend_schema_view(
    list=extend_schema(
        summary="Samtykker til at indberette CPR-nummer",
        parameters=[
            OpenApiParameter(
                "person", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, required=False
            )
        ],
    ),
)
class ConsentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A tenant's consent to file their CPR number with the register. Giving or
    withdrawing it files the person's active leases again (filing kind `tenant_id`)."""

    serializer_class = ConsentSerializer
    filter_backends = []

    def get_queryset(self):
        qs = FilingConsent.objects.filter(
            person__in=person_list(user=self.request.user)
        ).select_related("recorded_by")
        person = self.request.query_params.get("person", "")
        if person:
            if not person.isdigit() or len(person) > len(str(MAX_ID)) or int(person) > MAX_ID:
                raise serializers.ValidationError({"person": [_("Angiv et person-id.")]})
            qs = qs.filter(person_id=int(person))
        return qs.order_by("-given_at", "-pk")

    @extend_schema(
        request=ConsentGiveSerializer,
        responses={201: ConsentSerializer},
        summary="Registrér samtykke",
    )
    def create(self, request):
        data = ConsentGiveSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        consent = services.filing_consent_give(
            person=data.validated_data["person"],
            actor=request.user,
            note=data.validated_data["note"],
        )
        return Response(ConsentSerializer(consent).data, status=201)

    @extend_schema(
        request=ConsentWithdrawSerializer,
        responses=ConsentSerializer,
        summary="Træk samtykke tilbage",
    )
    @action(detail=False, methods=["post"])
    def withdraw(self, request):
        data = ConsentWithdrawSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        consent = services.filing_consent_withdraw(
            person=data.validated_data["person"], actor=request.user
        )
        return Response(ConsentSerializer(consent).data)


class UdkTaskSerializer(serializers.ModelSerializer):
    lease_number = serializers.CharField(source="lease.number", read_only=True)

    class Meta:
        model = UdkTask
        fields = [
            "id",
            "lease",
            "lease_number",
            "filing",
            "kind",
            "status",
            "recipient",
            "subject",
            "message",
            "created_at",
            "done_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="Opgaver: giv Udbetaling Danmark besked",
        parameters=[OpenApiParameter("status", enum=UdkTaskStatus.values, required=False)],
    ),
    retrieve=extend_schema(summary="Én UDK-opgave med udkast til besked"),
)
class UdkTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = UdkTaskSerializer
    filter_backends = []

    def get_queryset(self):
        status = self.request.query_params.get("status") or None
        return selectors.udk_task_list(user=self.request.user, status=status).order_by("-pk")

    @extend_schema(request=None, responses=UdkTaskSerializer, summary="Markér som udført")
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        task = services.udk_task_done(task=self.get_object(), actor=request.user)
        return Response(UdkTaskSerializer(task).data)


class RefundInputSerializer(serializers.Serializer):
    lease_number = serializers.CharField(max_length=20)
    liable_until = PlausibleDateField(required=False, help_text="Standard: lejemålets slutdato.")
    paid_from = PlausibleDateField()
    paid_to = PlausibleDateField()
    monthly_amount = StrictDecimalField(max_digits=10, decimal_places=2, min_value=0)


class RefundLineSerializer(serializers.Serializer):
    lease_number = serializers.CharField()
    address = serializers.CharField()
    tenant_names = serializers.CharField()
    cpr_numbers = serializers.CharField(help_text="Som på udbetalingslister: DDMMÅÅ-0000.")
    month = serializers.DateField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)


class RefundView(APIView):
    """Housing-benefit refund lines: whole months only."""

    @extend_schema(
        request=RefundInputSerializer,
        responses=RefundLineSerializer(many=True),
        summary="Beregn tilbagebetaling af boligstøtte",
    )
    def post(self, request):
        data = RefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        lease = selectors.lease_for_user(user=request.user, number=values["lease_number"])
        if lease is None:
            raise serializers.ValidationError(
                {"lease_number": [_("Lejemålet findes ikke i dine organisationer.")]}
            )
        liable_until = values.get("liable_until") or lease.end_date
        if liable_until is None:
            raise serializers.ValidationError(
                {
                    "liable_until": [
                        _("Lejemålet er ikke afsluttet; angiv hvornår lejeren hæfter til.")
                    ]
                }
            )
        if values["paid_to"] < values["paid_from"]:
            raise serializers.ValidationError(
                {"paid_to": [_("Slutmåneden ligger før startmåneden.")]}
            )
        lines = selectors.refund_lines(
            lease=lease,
            liable_until=liable_until,
            paid_from=values["paid_from"],
            paid_to=values["paid_to"],
            monthly_amount=values["monthly_amount"],
        )
        return Response(RefundLineSerializer(lines, many=True).data)
