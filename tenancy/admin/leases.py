"""Leases: created through the service; afterwards only the terms are edited here, and the
change list ends leases with an action (a tenant change is end + new lease)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

from .. import services
from ..models import Lease, normalise_search
from ..terms import LEASE_TERMS
from .base import ServiceAdmin, ServiceForm


class LeaseAddForm(ServiceForm):
    class Meta:
        model = Lease
        fields = ["unit", "parties", "start_date", "rent", *LEASE_TERMS]

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
        fields = LEASE_TERMS

    def run_service(self):
        fields = self.changed_values(LEASE_TERMS)
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
        "status_text",
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
            "rent_periods_table",
            "created_at",
            "change_history",
        ]

    @admin.display(description=_("husleje pr. periode"))
    def rent_periods_table(self, obj):
        """Rent by period, read-only here: changed with 'Ændr husleje' or a correction on
        the lease page (the services keep the lease's current rent in step)."""
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{p.valid_from:%d.%m.%Y}",
                    p.rent,
                    p.special_payments,
                    gettext("Rettelse: %s") % p.reason if p.correction else "",
                )
                for p in obj.rent_periods.order_by("-valid_from")
            ),
        )
        return format_html("<table>{}</table>", rows) if rows else "-"

    @admin.display(description=_("status"), ordering="status")
    def status_text(self, obj):
        return obj.status_label  # "Aktiv til 31.03.2027", "Kommende fra …"

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
