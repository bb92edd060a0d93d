"""The people API: read, create, change, search by CPR number in the body, and the logged
CPR reveal for CPR officers. Protected persons never leave the organisation by name."""

import django_filters
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import StrictInputSerializer, validated

from .. import hooks, selectors, services
from ..filters import PersonFilter, full_cpr
from ..models import Organisation, Person
from .common import ScopedPk


class PersonSerializer(serializers.ModelSerializer):
    """A person as it may leave the organisation: CPR only masked; a protected person
    (navne- og adressebeskyttelse) as "Beskyttet person" without e-mail and phone."""

    name = serializers.CharField(source="public_name", read_only=True)
    email = serializers.EmailField(read_only=True, required=False)
    phone = serializers.CharField(read_only=True, required=False)

    class Meta:
        model = Person
        fields = [
            "id",
            "organisation",
            "name",
            "birth_date",
            "cpr_masked",
            "email",
            "phone",
            "protected",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.protected:
            data.pop("email", None)
            data.pop("phone", None)
        return data


class PersonUpdateSerializer(StrictInputSerializer):
    """Change a person. `cpr` is write-only: validated and encrypted by the service; an
    empty string removes the stored number."""

    name = serializers.CharField(max_length=200, required=False)
    cpr = serializers.CharField(
        max_length=20,
        allow_blank=True,
        required=False,
        write_only=True,
        help_text=gettext_lazy("CPR-nummer DDMMÅÅ-XXXX. Returneres aldrig, kun maskeret."),
    )
    birth_date = serializers.DateField(allow_null=True, required=False)
    email = serializers.EmailField(max_length=254, allow_blank=True, required=False)
    phone = serializers.CharField(max_length=20, allow_blank=True, required=False)
    protected = serializers.BooleanField(required=False)
    cpr_basis = serializers.ChoiceField(
        choices=hooks.CPR_BASIS_CHOICES,
        required=False,
        help_text=gettext_lazy("Grundlaget for at gemme CPR-nummeret (standard: samtykke)."),
    )
    cpr_evidence = serializers.CharField(
        max_length=500,
        allow_blank=True,
        required=False,
        help_text=gettext_lazy(
            "Hvor grundlaget er dokumenteret; påkrævet med et nyt CPR-nummer, når personen "
            "ikke allerede har et registreret grundlag."
        ),
    )
    reason = serializers.CharField(
        max_length=300,
        allow_blank=True,
        required=False,
        help_text=gettext_lazy(
            "Begrundelse; påkrævet når CPR-nummer eller fødselsdato rettes på en lejer "
            "(indberettes igen som en rettelse). Et CPR-nummer, der tilhører en anden person, "
            "og nyt navn og CPR-nummer på én gang afvises: et lejerskifte er afslut + nyt lejemål."
        ),
    )


class PersonCreateSerializer(PersonUpdateSerializer):
    """Create a person in one of the user's organisations."""

    organisation = ScopedPk(selector=selectors.organisation_list, model=Organisation)
    name = serializers.CharField(max_length=200)


class RevealCprInputSerializer(StrictInputSerializer):
    purpose = serializers.CharField(
        max_length=300,
        allow_blank=True,
        help_text=gettext_lazy("Formålet med at se CPR-nummeret, fx et sagsnummer."),
    )


class RevealCprSerializer(serializers.Serializer):
    cpr = serializers.CharField(read_only=True)


class ApiPersonFilter(PersonFilter):
    """PersonFilter for other systems: a protected person is never found by name or CPR
    number here, so the API cannot be used to find out where a named protected person
    lives (their leases carry the address)."""

    q = django_filters.CharFilter(
        method="filter_q",
        label=gettext_lazy("Del af et navn (CPR-nummer: POST /api/people/search/)"),
    )
    cpr_ref = None  # the browser list's URL form of a CPR number; not for other systems

    class Meta(PersonFilter.Meta):
        fields = ["q", "protected"]

    def filter_q(self, queryset, name, value):
        return super().filter_q(queryset, name, value).exclude(protected=True)


class PersonSearchSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Del af et navn, eller et helt CPR-nummer (DDMMÅÅ-SSSS eller 10 cifre).",
    )
    protected = serializers.BooleanField(required=False, allow_null=True, default=None)


class PersonPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PersonSerializer(many=True)


CPR_IN_URL = gettext_lazy(
    "Et CPR-nummer må ikke stå i en URL (den havner i adgangslogge). "
    "Søg med POST /api/people/search/ i stedet."
)


class PersonViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """People of the user's organisations: read, create, change, and (CPR officers only)
    reveal the full CPR number with a logged purpose."""

    serializer_class = PersonSerializer
    filterset_class = ApiPersonFilter
    # Never ordered by name (not even by default): a protected person's place in a
    # name-sorted list would give their name away.
    ordering_fields = ["id", "created_at"]
    ordering = ["id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.person_list(user=self.request.user).order_by("pk")

    @extend_schema(
        description="Filtrér på navn med `q`. Et helt CPR-nummer afvises her (400), da en "
        "URL havner i adgangslogge: søg på CPR-nummer med `POST /api/people/search/`."
    )
    def list(self, request, *args, **kwargs):
        if full_cpr(request.query_params.get("q")):
            raise serializers.ValidationError({"q": [CPR_IN_URL]})
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Søg personer på navn eller CPR-nummer (i forespørgslens krop)",
        request=PersonSearchSerializer,
        responses={200: PersonPageSerializer},
        parameters=[OpenApiParameter("page", int, description="Sidenummer")],
    )
    @action(detail=False, methods=["post"], url_path="search")
    def search(self, request):
        """As the list with `q`, but the search text travels in the body, so a CPR number
        stays out of URLs and access logs. Paged like the list (`?page=`)."""
        data = validated(PersonSearchSerializer, request)
        params = {k: v for k, v in data.items() if v not in (None, "")}
        filterset = ApiPersonFilter(params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        page = self.paginate_queryset(filterset.qs.order_by("pk"))
        return self.get_paginated_response(PersonSerializer(page, many=True).data)

    @extend_schema(request=PersonCreateSerializer, responses={201: PersonSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(PersonCreateSerializer, request)
        data.pop("reason", None)
        basis = hooks.cpr_basis_from(data.pop("cpr_basis", None), data.pop("cpr_evidence", None))
        person = services.person_create(actor=request.user, cpr_basis=basis, **data)
        return Response(PersonSerializer(person).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PersonUpdateSerializer, responses={200: PersonSerializer})
    def partial_update(self, request, *args, **kwargs):
        person = self.get_object()
        data = validated(PersonUpdateSerializer, request, partial=True)
        basis = hooks.cpr_basis_from(data.pop("cpr_basis", None), data.pop("cpr_evidence", None))
        person = services.person_update(person=person, actor=request.user, cpr_basis=basis, **data)
        return Response(PersonSerializer(person).data)

    @extend_schema(
        summary="Vis fuldt CPR-nummer (kun CPR-ansvarlige; logges)",
        request=RevealCprInputSerializer,
        responses={
            200: RevealCprSerializer,
            400: OpenApiResponse(description="Formål mangler, eller intet CPR-nummer"),
            403: OpenApiResponse(description="Brugeren er ikke CPR-ansvarlig i organisationen"),
        },
    )
    @action(detail=True, methods=["post"], url_path="reveal-cpr")
    def reveal_cpr(self, request, pk=None):
        person = self.get_object()
        data = validated(RevealCprInputSerializer, request)
        cpr = services.person_cpr_reveal(user=request.user, person=person, purpose=data["purpose"])
        return Response({"cpr": cpr})
