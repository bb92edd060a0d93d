"""REST API for the joint waiting list (/api/waitlist/): applicants (list with the same
filters as the screen, detail, create, contact data, channel), applications (list, detail,
wishes, leave, renew) and payments (list, register a bank transfer). Scoped to the user's
cooperations through waitlist.selectors; writes go through the services. CPR numbers are
only ever masked; applicants' self-service accounts are refused (403)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from core.api import StrictInputSerializer, validated
from tenancy.api.common import StrictDecimalField

from . import selectors
from .auth import is_applicant_user
from .models import Applicant, Application, Channel, Invoice, ListType, Payment
from .services import applicants as svc


class IsStaff(BasePermission):
    message = _("Ansøgeres eget login giver ikke adgang til API'et.")

    def has_permission(self, request, view):
        return not is_applicant_user(request.user)


PERMISSIONS = [IsAuthenticated, IsStaff]


class ApplicationSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    list_type_display = serializers.CharField(source="get_list_type_display", read_only=True)
    departments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "applicant",
            "list_type",
            "list_type_display",
            "status",
            "status_display",
            "seniority_date",
            "paid_until",
            "reminder_deadline",
            "created_at",
            "ended_at",
            "departments",
            "areas",
            "min_rooms",
            "max_rooms",
            "min_area",
            "max_rent",
            "ground_floor_or_lift",
            "pets",
            "balcony_or_garden",
            "earliest_move_in",
        ]
        read_only_fields = fields


class ApplicantSerializer(serializers.ModelSerializer):
    applications = ApplicationSerializer(many=True, read_only=True)
    cpr_masked = serializers.CharField(read_only=True, help_text="DDMMÅÅ-xxxx; aldrig fuldt CPR.")

    class Meta:
        model = Applicant
        fields = [
            "id",
            "cooperation",
            "name",
            "cpr_masked",
            "birth_date",
            "address",
            "postal_code",
            "city",
            "email",
            "phone",
            "spouse_name",
            "children_under_23",
            "channel",
            "sms_opt_in",
            "debt",
            "created_at",
            "deleted_at",
            "deletion_reason",
            "applications",
        ]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invoice
        fields = [
            "id",
            "applicant",
            "application",
            "kind",
            "period_start",
            "period_end",
            "amount",
            "due_date",
            "status",
            "reminder_deadline",
            "paid_at",
            "created_at",
        ]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "applicant",
            "invoice",
            "amount",
            "paid_on",
            "method",
            "provider_payment_id",
            "registered_by",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class ApplicantCreateSerializer(StrictInputSerializer):
    cooperation = serializers.IntegerField(
        required=False, help_text="Udelades: brugerens eneste samarbejde."
    )
    name = serializers.CharField(max_length=200)
    cpr = serializers.CharField(max_length=11, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    address = serializers.CharField(max_length=200)
    postal_code = serializers.CharField(max_length=4)
    city = serializers.CharField(max_length=100)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20)
    spouse_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    children_under_23 = serializers.IntegerField(min_value=0, max_value=30, default=0)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.E_OFFER)
    sms_opt_in = serializers.BooleanField(default=False)
    list_types = serializers.ListField(
        child=serializers.ChoiceField(choices=ListType.choices), min_length=1
    )


class ContactUpdateSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200, required=False)
    address = serializers.CharField(max_length=200, required=False)
    postal_code = serializers.CharField(max_length=4, required=False)
    city = serializers.CharField(max_length=100, required=False)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False)
    spouse_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    children_under_23 = serializers.IntegerField(min_value=0, max_value=30, required=False)


class ChannelSerializer(StrictInputSerializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    sms_opt_in = serializers.BooleanField(default=False)


class ListTypeSerializer(StrictInputSerializer):
    list_type = serializers.ChoiceField(choices=ListType.choices)


class WishesSerializer(StrictInputSerializer):
    departments = serializers.ListField(child=serializers.IntegerField(), required=False)
    areas = serializers.CharField(max_length=300, required=False, allow_blank=True)
    min_rooms = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    max_rooms = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    min_area = serializers.IntegerField(min_value=1, max_value=500, required=False, allow_null=True)
    max_rent = StrictDecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    ground_floor_or_lift = serializers.BooleanField(required=False)
    pets = serializers.BooleanField(required=False)
    balcony_or_garden = serializers.BooleanField(required=False)
    earliest_move_in = serializers.DateField(required=False, allow_null=True)


class BankTransferSerializer(StrictInputSerializer):
    invoice = serializers.IntegerField()
    amount = StrictDecimalField(max_digits=10, decimal_places=2, min_value=0)
    paid_on = serializers.DateField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


FILTERS = [
    OpenApiParameter("q", str, description="Navn, adresse, telefon, e-mail, CPR eller nummer"),
    OpenApiParameter("status", str, enum=Application.Status.values),
    OpenApiParameter("list_type", str, enum=ListType.values),
    OpenApiParameter("channel", str, enum=Channel.values),
]


def _filters(params) -> dict:
    out = {}
    for name, allowed in (
        ("status", Application.Status.values),
        ("list_type", ListType.values),
        ("channel", Channel.values),
    ):
        value = params.get(name, "")
        if value in allowed:
            out[name] = value
    q = params.get("q", "")[:100]
    if q:
        out["q"] = q
    return out


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class ApplicantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ApplicantSerializer
    permission_classes = PERMISSIONS
    filter_backends: list = []

    def get_queryset(self):
        if self.action == "list":
            qs = selectors.applicant_list(
                user=self.request.user, **_filters(self.request.query_params)
            )
        else:
            qs = selectors.applicant_scope(user=self.request.user)
        return qs.prefetch_related("applications__departments")

    @extend_schema(request=ApplicantCreateSerializer, responses={201: ApplicantSerializer})
    def create(self, request):
        data = validated(ApplicantCreateSerializer, request)
        coops = selectors.cooperation_list(user=request.user)
        coop_id = data.pop("cooperation", None)
        cooperation = coops.filter(pk=coop_id).first() if coop_id else coops.first()
        if cooperation is None:
            return Response(
                {"cooperation": [_("Ukendt samarbejde.")]}, status=status.HTTP_400_BAD_REQUEST
            )
        applicant = svc.applicant_signup(
            cooperation=cooperation, data=svc.ApplicantData(**data), actor=request.user
        )
        return Response(ApplicantSerializer(applicant).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ContactUpdateSerializer, responses=ApplicantSerializer)
    def partial_update(self, request, pk=None):
        applicant = self.get_object()
        svc.applicant_update(
            applicant=applicant, actor=request.user, **validated(ContactUpdateSerializer, request)
        )
        return Response(ApplicantSerializer(applicant).data)

    @extend_schema(request=ChannelSerializer, responses=ApplicantSerializer)
    @action(detail=True, methods=["post"])
    def channel(self, request, pk=None):
        applicant = self.get_object()
        svc.channel_change(
            applicant=applicant, actor=request.user, **validated(ChannelSerializer, request)
        )
        return Response(ApplicantSerializer(applicant).data)

    @extend_schema(request=ListTypeSerializer, responses={201: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def applications(self, request, pk=None):
        applicant = self.get_object()
        app = svc.application_open(
            applicant=applicant, actor=request.user, **validated(ListTypeSerializer, request)
        )
        return Response(ApplicationSerializer(app).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=InvoiceSerializer(many=True))
    @action(detail=True, methods=["get"])
    def invoices(self, request, pk=None):
        applicant = self.get_object()
        return Response(
            InvoiceSerializer(applicant.invoices.order_by("-created_at", "-pk"), many=True).data
        )


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ApplicationSerializer
    permission_classes = PERMISSIONS
    filter_backends: list = []

    def get_queryset(self):
        params = self.request.query_params
        return selectors.application_list(
            user=self.request.user,
            list_type=params.get("list_type", "")
            if params.get("list_type") in ListType.values
            else "",
            status=params.get("status", "")
            if params.get("status") in Application.Status.values
            else "",
        ).prefetch_related("departments")

    @extend_schema(request=WishesSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def wishes(self, request, pk=None):
        app = self.get_object()
        data = validated(WishesSerializer, request)
        departments = None
        if "departments" in data:
            from tenancy.models import Department

            ids = data.pop("departments")
            departments = list(Department.objects.filter(pk__in=ids))
            if len(departments) != len(set(ids)):
                return Response(
                    {"departments": [_("Ukendt afdeling.")]}, status=status.HTTP_400_BAD_REQUEST
                )
        svc.wishes_update(application=app, departments=departments, actor=request.user, **data)
        return Response(ApplicationSerializer(app).data)

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        app = svc.application_leave(application=self.get_object(), actor=request.user)
        return Response(ApplicationSerializer(app).data)

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        app = svc.student_renew(application=self.get_object(), actor=request.user)
        return Response(ApplicationSerializer(app).data)


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PaymentSerializer
    permission_classes = PERMISSIONS
    filter_backends: list = []

    def get_queryset(self):
        method = self.request.query_params.get("method", "")
        return selectors.payment_list(
            user=self.request.user, method=method if method in Payment.Method.values else ""
        )

    @extend_schema(request=BankTransferSerializer, responses={201: PaymentSerializer})
    def create(self, request):
        """Register a bank transfer received for an invoice (counts from its payment date)."""
        from .services.payments import payment_register_bank_transfer

        data = validated(BankTransferSerializer, request)
        invoice = selectors.invoice_list(user=request.user).filter(pk=data.pop("invoice")).first()
        if invoice is None:
            return Response(
                {"invoice": [_("Ukendt opkrævning.")]}, status=status.HTTP_400_BAD_REQUEST
            )
        with transaction.atomic():
            payment = payment_register_bank_transfer(invoice=invoice, actor=request.user, **data)
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)
