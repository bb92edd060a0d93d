"""Django admin for the tenancy core (superusers administer here, DESIGN.md).

Records with a rule are written through tenancy.services, never by a plain model save: the
admin form calls the service while it validates, so a DomainError becomes a form error and
nothing is half-saved. After creation a lease's unit, parties and start date are read-only
(a tenant change is always end + new lease, DOMAIN.md §3). Every change page shows the
record's change history read-only.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.cpr import normalise_cpr
from core.crypto import search_hash
from core.errors import DomainError
from core.forms import apply_domain_error

from . import services
from .history import history_for
from .models import (
    Building,
    ChangeRecord,
    Department,
    Entrance,
    ExportJob,
    Lease,
    Membership,
    Organisation,
    Person,
    Property,
    Unit,
    normalise_search,
)

User = get_user_model()


# --- shared pieces ------------------------------------------------------------------------


def _history_table(obj) -> str:
    """The record's change history as a small read-only table (newest first)."""
    if obj is None or obj.pk is None:
        return "–"
    records = list(history_for(obj)[:50])
    if not records:
        return gettext("Ingen ændringer registreret.")
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                f"{r.at:%d.%m.%Y %H:%M}",
                r.action,
                r.actor or "–",
                "; ".join(f"{k}: {b} → {a}" for k, b, a in r.changed_fields) or "–",
            )
            for r in records
        ),
    )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        gettext("Tidspunkt"),
        gettext("Handling"),
        gettext("Udført af"),
        gettext("Ændringer"),
        rows,
    )


class HistoryMixin:
    """Adds a read-only "Ændringshistorik" field to the change page."""

    @admin.display(description=_("Ændringshistorik"))
    def change_history(self, obj):
        return _history_table(obj)


class ServiceForm(forms.ModelForm):
    """A model form whose save is a tenancy service call made during validation.

    When the fields are valid, `_post_clean` calls `run_service()` inside a savepoint. A DomainError from the service becomes errors on
    the form (on the field when the form has it, otherwise on the form), so the admin shows
    it like any validation error and nothing is saved.
    """

    request = None  # set per request by ServiceAdmin.get_form

    def run_service(self):  # pragma: no cover - every subclass implements it
        raise NotImplementedError

    @property
    def actor(self):
        return getattr(self.request, "user", None)

    def fresh_instance(self):
        """The stored record, so the service records history from the stored values."""
        return type(self.instance)._default_manager.get(pk=self.instance.pk)

    def changed_values(self, allowed) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in allowed and name in self.cleaned_data
        }

    def _post_clean(self):
        # Deliberately not ModelForm._post_clean: the service validates the model itself
        # (full_clean) and explains a broken rule on the right field, where the model's
        # constraint check would only name the constraint.
        if self.errors:
            return
        try:
            with transaction.atomic():
                self.instance = self.run_service()
        except ValidationError as exc:
            apply_domain_error(self, exc)


class ServiceAdmin(HistoryMixin, admin.ModelAdmin):
    """A ModelAdmin whose add/change forms save through a tenancy service (ServiceForm)."""

    add_form: type[ServiceForm]
    change_form: type[ServiceForm]
    save_as = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = self.change_form if obj is not None else self.add_form
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def save_model(self, request, obj, form, change):
        """Nothing to do: the service saved the record while the form validated."""

    def save_related(self, request, form, formsets, change):
        """Relations (lease parties) were set by the service; only inlines are saved."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


# --- organisations, memberships, users ----------------------------------------------------


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "organisation"]


class OrganisationMembershipInline(MembershipInline):
    fk_name = "organisation"
    autocomplete_fields = ["user"]


class UserMembershipInline(MembershipInline):
    fk_name = "user"
    autocomplete_fields = ["organisation"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "cvr",
        "kind",
        "dwellings_owned",
        "cpr_service_registered",
        "cpr_service_registered_since",
    ]
    list_filter = ["kind", "cpr_service_registered"]
    search_fields = ["name", "=cvr"]
    ordering = ["name"]
    readonly_fields = ["created_at"]
    inlines = [OrganisationMembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role", "organisation"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    list_select_related = ["user", "organisation"]
    ordering = ["organisation__name", "user__username"]


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class BoligkontorUserAdmin(UserAdmin):
    """Django's user admin plus the user's organisation memberships and roles."""

    inlines = [*UserAdmin.inlines, UserMembershipInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["number", "name", "organisation__name"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]
    ordering = ["organisation__name", "number"]


# --- portfolio ----------------------------------------------------------------------------


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


# --- people -------------------------------------------------------------------------------


PERSON_FIELDS = ["name", "birth_date", "email", "phone", "protected"]


class PersonFormMixin(forms.Form):
    cpr = forms.CharField(
        label=_("CPR-nummer"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Skrives kun ind; gemmes krypteret og vises kun maskeret."),
    )


class PersonAddForm(PersonFormMixin, ServiceForm):
    class Meta:
        model = Person
        fields = ["organisation", *PERSON_FIELDS]

    def run_service(self):
        data = {k: v for k, v in self.cleaned_data.items() if k != "organisation"}
        return services.person_create(
            organisation=self.cleaned_data["organisation"], actor=self.actor, **data
        )


class PersonChangeForm(PersonFormMixin, ServiceForm):
    remove_cpr = forms.BooleanField(label=_("Fjern CPR-nummeret"), required=False)

    class Meta:
        model = Person
        fields = PERSON_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cpr"].label = _("Nyt CPR-nummer")
        self.fields["cpr"].help_text = _(
            "Lad feltet stå tomt for at beholde det nuværende. Gemmes krypteret."
        )

    def run_service(self):
        fields = self.changed_values(set(PERSON_FIELDS))
        cpr = self.cleaned_data.get("cpr") or None
        if self.cleaned_data.get("remove_cpr"):
            cpr = ""
        person = self.fresh_instance()
        if not fields and cpr is None:
            return person
        return services.person_update(person=person, actor=self.actor, cpr=cpr, **fields)


@admin.register(Person)
class PersonAdmin(ServiceAdmin):
    """People: the CPR number is entered through the service (encrypted), shown masked,
    and searchable in full through its keyed hash."""

    add_form = PersonAddForm
    change_form = PersonChangeForm
    list_display = ["name", "cpr_masked", "birth_date", "protected", "organisation"]
    list_filter = ["protected", "organisation"]
    search_fields = ["name"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]
    ordering = ["name", "pk"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["organisation", "cpr_masked", "created_at", "change_history"]

    def get_search_results(self, request, queryset, search_term):
        """A full CPR number (with or without dash) is found through the keyed hash;
        anything else searches names."""
        digits = normalise_cpr(search_term)
        if digits.isdigit() and len(digits) == 10:
            return queryset.filter(cpr_hash=search_hash(digits)), False
        return super().get_search_results(request, queryset, search_term)

    def has_delete_permission(self, request, obj=None):
        # People are anonymised by the GDPR erasure, never deleted (lease law).
        return False


# --- leases -------------------------------------------------------------------------------


LEASE_TERM_ORDER = [
    "holder_type",
    "special_payments",
    "heating_aconto",
    "water_aconto",
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
]


class LeaseAddForm(ServiceForm):
    class Meta:
        model = Lease
        fields = ["unit", "parties", "start_date", "rent", *LEASE_TERM_ORDER]

    def run_service(self):
        data = dict(self.cleaned_data)
        return services.lease_create(
            unit=data.pop("unit"),
            parties=data.pop("parties"),
            start_date=data.pop("start_date"),
            rent=data.pop("rent"),
            actor=self.actor,
            **data,
        )


class LeaseChangeForm(ServiceForm):
    """Only the terms are editable: unit, parties and start date are read-only (a tenant
    change is end + new lease), the rent changes through 'Ændr husleje'."""

    class Meta:
        model = Lease
        fields = LEASE_TERM_ORDER

    def run_service(self):
        fields = self.changed_values(services.LEASE_TERMS)
        lease = self.fresh_instance()
        if not fields:
            return lease
        return services.lease_update(lease=lease, actor=self.actor, **fields)


class LeaseEndInput(forms.Form):
    """The inputs of the "Afslut lejemål" action."""

    end_date = forms.DateField(
        label=_("Slutdato"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Årsag"), required=False, max_length=200)


class LeaseActionForm(LeaseEndInput, ActionForm):
    """The change list's action bar with the end date and reason beside the action."""


@admin.register(Lease)
class LeaseAdmin(ServiceAdmin):
    add_form = LeaseAddForm
    change_form = LeaseChangeForm
    action_form = LeaseActionForm
    actions = ["end_leases"]
    list_display = [
        "number",
        "unit",
        "status",
        "start_date",
        "end_date",
        "rent",
        "holder_type",
        "organisation",
    ]
    list_filter = ["status", "holder_type", "organisation", "start_date"]
    search_fields = ["number", "unit__search_text", "parties__name"]
    autocomplete_fields = ["unit", "parties"]
    list_select_related = ["unit__entrance", "organisation"]
    date_hierarchy = "start_date"
    ordering = ["-start_date", "-pk"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "organisation",
            "number",
            "unit",
            "parties",
            "start_date",
            "status",
            "end_date",
            "end_reason",
            "rent",
            "created_at",
            "change_history",
        ]

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normalise_search(search_term))

    def has_delete_permission(self, request, obj=None):
        # Leases are ended, never deleted (rent register, lease law).
        return False

    @admin.action(description=_("Afslut lejemål"))
    def end_leases(self, request, queryset):
        form = LeaseEndInput(request.POST)
        if not form.is_valid() or not form.cleaned_data.get("end_date"):
            self.message_user(
                request, gettext("Angiv en slutdato for at afslutte lejemål."), messages.ERROR
            )
            return
        end_date, reason = form.cleaned_data["end_date"], form.cleaned_data["reason"]
        ended = 0
        for lease in queryset.select_related("unit"):
            try:
                services.lease_end(
                    lease=lease, end_date=end_date, reason=reason, actor=request.user
                )
            except DomainError as exc:
                self.message_user(
                    request, f"{lease.number}: {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                ended += 1
        if ended:
            self.message_user(
                request, gettext("%d lejemål er afsluttet.") % ended, messages.SUCCESS
            )


# --- change history -----------------------------------------------------------------------


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyAdmin):
    """The change history: read-only, nobody adds, edits or deletes records here."""

    list_display = ["at", "action", "content_type", "object_repr", "actor", "organisation"]
    list_filter = ["organisation", "action", "content_type"]
    search_fields = ["object_repr", "=request_id", "actor__username"]
    list_select_related = ["actor", "organisation", "content_type"]
    date_hierarchy = "at"
    ordering = ["-at", "-pk"]
    fields = [
        "at",
        "action",
        "content_type",
        "object_id",
        "object_repr",
        "actor",
        "organisation",
        "request_id",
        "changes",
        "before",
        "after",
    ]
    readonly_fields = fields

    @admin.display(description=_("Ændrede felter"))
    def changes(self, obj):
        return format_html_join(
            "", "<div>{}: {} → {}</div>", ((k, b, a) for k, b, a in obj.changed_fields)
        )


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Background Excel exports: read-only (the owner downloads from the job page)."""

    list_display = ["pk", "kind", "user", "organisation", "status", "done", "total", "created_at"]
    list_filter = ["status", "kind", "organisation"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
