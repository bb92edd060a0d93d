"""The portfolio: properties, BBR buildings, entrances (stairwells) and units."""

from django.contrib import admin

from .. import services
from ..models import Building, Entrance, Property, Unit, normalise_search
from .base import ServiceAdmin, ServiceForm


class PropertyAddForm(ServiceForm):
    class Meta:
        model = Property
        fields = ["organisation", "department", "name", "bfe_number", "municipality_code"]

    def run_service(self):
        data = dict(self.cleaned_data)
        return services.property_create(
            organisation=data.pop("organisation"), actor=self.actor, **data
        )


class PropertyChangeForm(ServiceForm):
    class Meta:
        model = Property
        fields = sorted(services.PROPERTY_EDITABLE)

    def run_service(self):
        fields = self.changed_values(services.PROPERTY_EDITABLE)
        prop = self.fresh_instance()
        if not fields:
            return prop
        return services.property_update(property=prop, actor=self.actor, **fields)


@admin.register(Property)
class PropertyAdmin(ServiceAdmin):
    """The owner is the CVR used for CPR lookups: it is not moved to another organisation."""

    add_form = PropertyAddForm
    change_form = PropertyChangeForm
    list_display = ["name", "organisation", "department", "bfe_number", "municipality_code"]
    list_filter = ["organisation"]
    search_fields = ["name", "=bfe_number"]
    autocomplete_fields = ["organisation", "department"]
    list_select_related = ["organisation", "department"]
    ordering = ["name"]

    def get_readonly_fields(self, request, obj=None):
        return ["organisation", "change_history"] if obj else []

    def delete_model(self, request, obj):
        services.property_delete(property=obj, actor=request.user)


class BuildingAddForm(ServiceForm):
    class Meta:
        model = Building
        fields = ["property", "number", "bbr_id", "letting_code", "letting_reference"]

    def run_service(self):
        data = dict(self.cleaned_data)
        return services.building_create(property=data.pop("property"), actor=self.actor, **data)


class BuildingChangeForm(ServiceForm):
    class Meta:
        model = Building
        fields = ["number", "letting_code", "letting_reference"]

    def run_service(self):
        fields = self.changed_values(services.BUILDING_EDITABLE)
        building = self.fresh_instance()
        if not fields:
            return building
        return services.building_update(building=building, actor=self.actor, **fields)


@admin.register(Building)
class BuildingAdmin(ServiceAdmin):
    add_form = BuildingAddForm
    change_form = BuildingChangeForm
    list_display = ["__str__", "bbr_id", "letting_code", "letting_reference", "organisation"]
    list_filter = ["letting_code", "organisation"]
    search_fields = ["property__name", "=bbr_id"]
    autocomplete_fields = ["property", "letting_reference"]
    list_select_related = ["property", "organisation", "letting_reference__property"]
    ordering = ["property__name", "number"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["organisation", "property", "bbr_id", "change_history"]


ENTRANCE_FIELDS = [
    "building",
    "dar_id",
    "street_name",
    "house_number",
    "postcode",
    "city",
    "municipality_code",
    "road_code",
]


class EntranceAddForm(ServiceForm):
    class Meta:
        model = Entrance
        fields = ENTRANCE_FIELDS

    def run_service(self):
        data = dict(self.cleaned_data)
        return services.entrance_create(building=data.pop("building"), actor=self.actor, **data)


class EntranceChangeForm(ServiceForm):
    """Address corrections; the service rebuilds the search keys of the stairwell."""

    class Meta:
        model = Entrance
        fields = sorted(services.ENTRANCE_EDITABLE)

    def run_service(self):
        fields = self.changed_values(services.ENTRANCE_EDITABLE)
        entrance = self.fresh_instance()
        if not fields:
            return entrance
        return services.entrance_update(entrance=entrance, actor=self.actor, **fields)


@admin.register(Entrance)
class EntranceAdmin(ServiceAdmin):
    add_form = EntranceAddForm
    change_form = EntranceChangeForm
    list_display = ["__str__", "building", "dar_id", "municipality_code", "road_code"]
    list_filter = ["organisation", "postcode"]
    search_fields = ["search_text", "street_name", "postcode", "city", "=dar_id"]
    autocomplete_fields = ["building"]
    list_select_related = ["building__property"]
    ordering = ["street_name", "house_number"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["organisation", "building", "dar_id", "change_history"]

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normalise_search(search_term))


UNIT_CHANGE_FIELDS = [
    "floor",
    "door",
    "bbr_unit_id",
    "use_code",
    "area_m2",
    "rooms",
    "letting_code",
    "letting_reference",
]


class UnitAddForm(ServiceForm):
    class Meta:
        model = Unit
        fields = ["entrance", "dar_id", *UNIT_CHANGE_FIELDS]

    def run_service(self):
        data = dict(self.cleaned_data)
        return services.unit_create(entrance=data.pop("entrance"), actor=self.actor, **data)


class UnitChangeForm(ServiceForm):
    class Meta:
        model = Unit
        fields = UNIT_CHANGE_FIELDS

    def run_service(self):
        fields = self.changed_values(services.UNIT_EDITABLE)
        unit = self.fresh_instance()
        if not fields:
            return unit
        return services.unit_update(unit=unit, actor=self.actor, **fields)


@admin.register(Unit)
class UnitAdmin(ServiceAdmin):
    add_form = UnitAddForm
    change_form = UnitChangeForm
    list_display = ["__str__", "letting_code", "area_m2", "rooms", "use_code", "organisation"]
    list_filter = ["letting_code", "use_code", "organisation"]
    search_fields = ["search_text", "=dar_id", "=bbr_unit_id"]
    autocomplete_fields = ["entrance", "letting_reference"]
    list_select_related = ["entrance", "organisation"]
    ordering = ["search_text"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["organisation", "entrance", "dar_id", "change_history"]

    def get_search_results(self, request, queryset, search_term):
        # Addresses are stored normalised ("strandvejen 12 1 tv"): normalise what is typed.
        return super().get_search_results(request, queryset, normalise_search(search_term))

    def has_delete_permission(self, request, obj=None):
        # Units are reported to BBR/the rent register; they are not deleted here.
        return False
