"""The portfolio API: organisations, departments, properties, buildings, entrances, units."""

from decimal import Decimal

from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.api import StrictInputSerializer, validated

from .. import selectors, services
from ..choices import LettingCode
from ..filters import EntranceFilter, PropertyFilter, UnitFilter
from ..models import Building, Department, Entrance, Organisation, Property, Unit
from ..validators import FOUR_DIGITS_RE, HOUSE_NUMBER_RE
from .common import ScopedPk, StrictDecimalField, building_list

# The DAR code checks of tenancy.validators as RegexValidators (same messages), so the
# OpenAPI schema states the pattern the API enforces.
FOUR_DIGITS = RegexValidator(
    FOUR_DIGITS_RE, gettext_lazy("Skal være 4 cifre."), code="invalid_code"
)
HOUSE_NUMBER = RegexValidator(
    HOUSE_NUMBER_RE,
    gettext_lazy("Husnummer skal være 1–999 med et eventuelt stort bogstav, fx 12B."),
    code="invalid_house_number",
)

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
        # The model's four-digit check as a RegexValidator: the schema states the pattern.
        extra_kwargs = {"municipality_code": {"validators": [FOUR_DIGITS]}}

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
    house_number = serializers.CharField(max_length=4, validators=[HOUSE_NUMBER])
    postcode = serializers.CharField(max_length=4, validators=[FOUR_DIGITS])
    city = serializers.CharField(max_length=100)
    municipality_code = serializers.CharField(max_length=4, validators=[FOUR_DIGITS])
    road_code = serializers.CharField(max_length=4, validators=[FOUR_DIGITS])


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
    area_m2 = StrictDecimalField(
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
    area_m2 = StrictDecimalField(max_digits=7, decimal_places=2, min_value=Decimal("0.01"))
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
