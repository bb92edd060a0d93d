"""REST API for the tenancy core: portfolio, people and leases (DESIGN.md "API").

Thin by design: querysets come from tenancy.selectors (scoped to the user's organisations,
so another organisation's object is a 404), writes with a rule go through an explicit input
serializer and a tenancy service, and lease lifecycle changes are explicit actions. The API
is for other systems, so what it returns leaves the organisation: protected persons appear
as "Beskyttet person" without contact details, and CPR numbers only masked (the full number
only through the logged reveal action for CPR officers).
"""

from decimal import Decimal

import django_filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import StrictInputSerializer, validated

from . import selectors, services
from .choices import HeatingForm, HolderType, LettingCode, UtilityPayment
from .filters import (
    EntranceFilter,
    LeaseFilter,
    PersonFilter,
    PropertyFilter,
    UnitFilter,
    full_cpr,
)
from .models import (
    Building,
    Department,
    Entrance,
    Lease,
    Organisation,
    Person,
    Property,
    Unit,
)

# --- shared fields ----------------------------------------------------------------------


def building_list(*, user):
    """Buildings in the user's organisations (the selectors module has no building list;
    this is the same organisation filter they use)."""
    return Building.objects.filter(
        organisation_id__in=selectors.organisation_ids_for(user)
    ).select_related("property")


class ScopedPk(serializers.PrimaryKeyRelatedField):
    """A primary key that must point at an object in the requesting user's organisations
    (through a scoping selector): another organisation's id gets the same "does not exist"
    400 as a wrong id, so nothing is ever created under it."""

    def __init__(self, *, selector, model, **kwargs):
        self.selector = selector
        # The empty queryset only tells the schema generator the model; lookups use
        # get_queryset below.
        kwargs["queryset"] = model._default_manager.none()
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.selector(user=self.context["request"].user)


# --- organisations and departments -------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "cvr",
            "kind",
            "dwellings_owned",
            "cpr_service_registered",
            "cpr_service_registered_since",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Organisationer brugeren er medlem af"),
    retrieve=extend_schema(summary="Én organisation"),
)
class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """The user's own organisations (read-only; administered in Django admin)."""

    serializer_class = OrganisationSerializer
    ordering_fields = ["name", "cvr"]

    def get_queryset(self):
        return selectors.organisation_list(user=self.request.user)


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "organisation", "number", "name"]
        read_only_fields = fields


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Departments (afdelinger) of the user's organisations."""

    serializer_class = DepartmentSerializer
    filterset_fields = ["organisation"]
    ordering_fields = ["number", "name"]

    def get_queryset(self):
        return selectors.department_list(user=self.request.user)


# --- properties ---------------------------------------------------------------------------


class PropertySerializer(serializers.ModelSerializer):
    """A property (ejendom). The owner organisation is set on creation only."""

    organisation = ScopedPk(selector=selectors.organisation_list, model=Organisation)
    department = ScopedPk(
        selector=selectors.department_list, model=Department, allow_null=True, required=False
    )

    class Meta:
        model = Property
        fields = ["id", "organisation", "department", "name", "bfe_number", "municipality_code"]

    def validate(self, attrs):
        organisation = attrs.get("organisation") or getattr(self.instance, "organisation", None)
        if (
            self.instance is not None
            and "organisation" in attrs
            and attrs["organisation"] != self.instance.organisation
        ):
            raise serializers.ValidationError(
                {"organisation": [_("En ejendoms ejer kan ikke ændres her.")]}
            )
        department = attrs.get("department")
        if department is not None and department.organisation_id != organisation.pk:
            raise serializers.ValidationError(
                {"department": [_("Afdelingen skal høre til ejendommens organisation.")]}
            )
        return attrs


class PropertyViewSet(viewsets.ModelViewSet):
    """Properties of the user's organisations. Plain CRUD (no business rule beyond the
    scope); every change is recorded in the change history."""

    serializer_class = PropertySerializer
    filterset_class = PropertyFilter
    ordering_fields = ["name", "bfe_number"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.property_list(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.property_create(
            organisation=data.pop("organisation"), actor=self.request.user, **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("organisation", None)  # unchanged (validate refuses a new owner)
        serializer.instance = services.property_update(
            property=serializer.instance, actor=self.request.user, **data
        )

    def perform_destroy(self, instance):
        # The history row and the delete succeed or fail together (ProtectedError -> 409).
        services.property_delete(property=instance, actor=self.request.user)


# --- buildings and entrances ----------------------------------------------------------------


class BuildingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Building
        fields = [
            "id",
            "organisation",
            "property",
            "bbr_id",
            "number",
            "letting_code",
            "letting_reference",
        ]
        read_only_fields = fields


class BuildingInputSerializer(StrictInputSerializer):
    """Create a building; BBR field 322 with its H reference is checked by the service."""

    property = ScopedPk(selector=selectors.property_list, model=Property)
    bbr_id = serializers.UUIDField(required=False)
    number = serializers.IntegerField(min_value=1, max_value=32767, required=False)
    letting_code = serializers.ChoiceField(
        choices=LettingCode.choices, allow_blank=True, required=False
    )
    letting_reference = ScopedPk(
        selector=building_list, model=Building, allow_null=True, required=False
    )


class BuildingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """BBR buildings of the user's organisations: read and create (through the service)."""

    serializer_class = BuildingSerializer
    filterset_fields = ["property", "letting_code"]
    ordering_fields = ["number"]

    def get_queryset(self):
        return building_list(user=self.request.user)

    @extend_schema(request=BuildingInputSerializer, responses={201: BuildingSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(BuildingInputSerializer, request)
        building = services.building_create(actor=request.user, **data)
        return Response(BuildingSerializer(building).data, status=status.HTTP_201_CREATED)


class EntranceSerializer(serializers.ModelSerializer):
    address = serializers.CharField(read_only=True)

    class Meta:
        model = Entrance
        fields = [
            "id",
            "organisation",
            "building",
            "dar_id",
            "street_name",
            "house_number",
            "postcode",
            "city",
            "municipality_code",
            "road_code",
            "address",
        ]
        read_only_fields = fields


class EntranceInputSerializer(StrictInputSerializer):
    """Create an entrance (DAR husnummer) in one of the user's buildings."""

    building = ScopedPk(selector=building_list, model=Building)
    dar_id = serializers.UUIDField(required=False)
    street_name = serializers.CharField(max_length=100)
    house_number = serializers.CharField(max_length=4)
    postcode = serializers.CharField(max_length=4)
    city = serializers.CharField(max_length=100)
    municipality_code = serializers.CharField(max_length=4)
    road_code = serializers.CharField(max_length=4)


class EntranceViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Entrances (stairwells) of the user's organisations: read and create."""

    serializer_class = EntranceSerializer
    filterset_class = EntranceFilter
    ordering_fields = ["street_name", "house_number", "postcode"]

    def get_queryset(self):
        return selectors.entrance_list(user=self.request.user)

    @extend_schema(request=EntranceInputSerializer, responses={201: EntranceSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(EntranceInputSerializer, request)
        entrance = services.entrance_create(actor=request.user, **data)
        return Response(EntranceSerializer(entrance).data, status=status.HTTP_201_CREATED)


# --- units --------------------------------------------------------------------------------


class UnitSerializer(serializers.ModelSerializer):
    address = serializers.CharField(read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "organisation",
            "entrance",
            "dar_id",
            "floor",
            "door",
            "address",
            "bbr_unit_id",
            "use_code",
            "area_m2",
            "rooms",
            "letting_code",
            "letting_reference",
        ]
        read_only_fields = fields


class UnitUpdateSerializer(StrictInputSerializer):
    """Change BBR data or the letting code (field 322, H reference unit->unit)."""

    floor = serializers.CharField(max_length=3, allow_blank=True, required=False)
    door = serializers.CharField(max_length=4, allow_blank=True, required=False)
    bbr_unit_id = serializers.UUIDField(allow_null=True, required=False)
    use_code = serializers.IntegerField(min_value=0, max_value=999, required=False)
    area_m2 = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    rooms = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    letting_code = serializers.ChoiceField(
        choices=LettingCode.choices, allow_blank=True, required=False
    )
    letting_reference = ScopedPk(
        selector=selectors.unit_list, model=Unit, allow_null=True, required=False
    )


class UnitCreateSerializer(UnitUpdateSerializer):
    """Create a unit (DAR adresse) behind one of the user's entrances."""

    entrance = ScopedPk(selector=selectors.entrance_list, model=Entrance)
    dar_id = serializers.UUIDField(required=False)
    area_m2 = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=Decimal("0.01"))
    rooms = serializers.IntegerField(min_value=0, max_value=32767)


class UnitViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Units of the user's organisations: read, create and change (through the services)."""

    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    ordering_fields = ["search_text", "area_m2", "rooms"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.unit_list(user=self.request.user)

    @extend_schema(request=UnitCreateSerializer, responses={201: UnitSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(UnitCreateSerializer, request)
        unit = services.unit_create(actor=request.user, **data)
        return Response(UnitSerializer(unit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UnitUpdateSerializer, responses={200: UnitSerializer})
    def partial_update(self, request, *args, **kwargs):
        unit = self.get_object()
        data = validated(UnitUpdateSerializer, request, partial=True)
        unit = services.unit_update(unit=unit, actor=request.user, **data)
        return Response(UnitSerializer(unit).data)


# --- people -------------------------------------------------------------------------------


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
        person = services.person_create(actor=request.user, **data)
        return Response(PersonSerializer(person).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PersonUpdateSerializer, responses={200: PersonSerializer})
    def partial_update(self, request, *args, **kwargs):
        person = self.get_object()
        data = validated(PersonUpdateSerializer, request, partial=True)
        person = services.person_update(person=person, actor=request.user, **data)
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


# --- leases -------------------------------------------------------------------------------


class PartySerializer(serializers.Serializer):
    """A lease party as it may leave the organisation."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="public_name", read_only=True)
    protected = serializers.BooleanField(read_only=True)


class LeaseSerializer(serializers.ModelSerializer):
    parties = PartySerializer(many=True, read_only=True)
    unit_address = serializers.CharField(source="unit.address", read_only=True)
    total_monthly = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = Lease
        fields = [
            "id",
            "organisation",
            "unit",
            "unit_address",
            "number",
            "holder_type",
            "parties",
            "start_date",
            "end_date",
            "end_reason",
            "status",
            "rent",
            "special_payments",
            "heating_aconto",
            "water_aconto",
            "total_monthly",
            "electricity",
            "water",
            "drainage",
            "heating",
            "heating_form",
            "tenant_maintains",
            "private_kitchen",
            "garage_carport",
            "accessible",
            "student_room",
            "created_at",
        ]
        read_only_fields = fields


def _money(**kwargs):
    return serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, **kwargs)


class LeaseTermsSerializer(StrictInputSerializer):
    """The terms of a lease (what lease_update may change)."""

    holder_type = serializers.ChoiceField(choices=HolderType.choices, required=False)
    special_payments = _money(required=False)
    heating_aconto = _money(required=False)
    water_aconto = _money(required=False)
    electricity = serializers.ChoiceField(choices=UtilityPayment.choices, required=False)
    water = serializers.ChoiceField(choices=UtilityPayment.choices, required=False)
    drainage = serializers.ChoiceField(choices=UtilityPayment.choices, required=False)
    heating = serializers.ChoiceField(choices=UtilityPayment.choices, required=False)
    heating_form = serializers.ChoiceField(choices=HeatingForm.choices, required=False)
    tenant_maintains = serializers.BooleanField(required=False)
    private_kitchen = serializers.BooleanField(required=False)
    garage_carport = serializers.BooleanField(required=False)
    accessible = serializers.BooleanField(required=False)
    student_room = serializers.BooleanField(required=False)


class LeaseCreateSerializer(LeaseTermsSerializer):
    """A new lease: unit, tenant(s), start date, rent and terms."""

    unit = ScopedPk(selector=selectors.unit_list, model=Unit)
    parties = ScopedPk(selector=selectors.person_list, model=Person, many=True)
    start_date = serializers.DateField()
    rent = _money()


class LeaseUpdateSerializer(LeaseTermsSerializer):
    """PATCH of the terms. `parties`, `start_date` and `rent` are accepted only so the
    service can explain the right way: a tenant change is end + new lease, and the rent is
    changed with the change-rent action."""

    parties = ScopedPk(selector=selectors.person_list, model=Person, many=True, required=False)
    start_date = serializers.DateField(required=False)
    rent = _money(required=False)


class LeaseEndSerializer(StrictInputSerializer):
    end_date = serializers.DateField(help_text=gettext_lazy("Sidste dag i lejeforholdet."))
    reason = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


class LeaseChangeRentSerializer(StrictInputSerializer):
    rent = _money(help_text=gettext_lazy("Ny husleje pr. måned i kr."))
    effective_date = serializers.DateField()


class EmptySerializer(StrictInputSerializer):
    """No body."""


@extend_schema_view(
    partial_update=extend_schema(
        summary="Ændr vilkår (ikke lejer, startdato eller husleje)",
        request=LeaseUpdateSerializer,
        responses={200: LeaseSerializer},
    )
)
class LeaseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Leases of the user's organisations. Lifecycle changes are explicit actions; a
    tenant change is always: end the old lease, create a new one (DOMAIN.md §3)."""

    serializer_class = LeaseSerializer
    filterset_class = LeaseFilter
    ordering_fields = ["start_date", "end_date", "number", "rent"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.lease_list(user=self.request.user)

    def _reply(self, lease: Lease, code=status.HTTP_200_OK) -> Response:
        lease = self.get_queryset().get(pk=lease.pk)  # fresh, with parties and unit loaded
        return Response(LeaseSerializer(lease).data, status=code)

    @extend_schema(request=LeaseCreateSerializer, responses={201: LeaseSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(LeaseCreateSerializer, request)
        lease = services.lease_create(actor=request.user, **data)
        return self._reply(lease, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        lease = self.get_object()
        data = validated(LeaseUpdateSerializer, request, partial=True)
        lease = services.lease_update(lease=lease, actor=request.user, **data)
        return self._reply(lease)

    @extend_schema(
        summary="Afslut lejemål", request=LeaseEndSerializer, responses={200: LeaseSerializer}
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        lease = self.get_object()
        data = validated(LeaseEndSerializer, request)
        lease = services.lease_end(lease=lease, actor=request.user, **data)
        return self._reply(lease)

    @extend_schema(
        summary="Genoptag et fejlagtigt afsluttet lejemål",
        request=EmptySerializer,
        responses={200: LeaseSerializer},
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        lease = self.get_object()
        validated(EmptySerializer, request)
        lease = services.lease_reinstate(lease=lease, actor=request.user)
        return self._reply(lease)

    @extend_schema(
        summary="Ændr husleje fra en dato",
        request=LeaseChangeRentSerializer,
        responses={200: LeaseSerializer},
    )
    @action(detail=True, methods=["post"], url_path="change-rent")
    def change_rent(self, request, pk=None):
        lease = self.get_object()
        data = validated(LeaseChangeRentSerializer, request)
        lease = services.lease_change_rent(lease=lease, actor=request.user, **data)
        return self._reply(lease)
