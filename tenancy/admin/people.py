"""People: the CPR number goes in through the service (encrypted) and is shown masked."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.cpr import normalise_cpr
from core.crypto import search_hash

from .. import hooks, services
from ..models import Person
from .base import ServiceAdmin, ServiceForm

PERSON_FIELDS = ["name", "birth_date", "email", "phone", "protected"]


class PersonFormMixin(forms.Form):
    cpr = forms.CharField(
        label=_("CPR-nummer"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Skrives kun ind; gemmes krypteret og vises kun maskeret."),
    )


class CprBasisAdminFields(forms.Form):
    cpr_basis = forms.ChoiceField(
        label=_("Grundlag for at gemme CPR-nummeret"),
        choices=hooks.CPR_BASIS_CHOICES,
        required=False,
    )
    cpr_evidence = forms.CharField(
        label=_("Dokumentation for grundlaget"), max_length=500, required=False
    )


class PersonAddForm(CprBasisAdminFields, PersonFormMixin, ServiceForm):
    class Meta:
        model = Person
        fields = ["organisation", *PERSON_FIELDS]

    def run_service(self):
        data = {k: v for k, v in self.cleaned_data.items() if k != "organisation"}
        basis = hooks.cpr_basis_from(data.pop("cpr_basis", None), data.pop("cpr_evidence", None))
        return services.person_create(
            organisation=self.cleaned_data["organisation"],
            actor=self.actor,
            cpr_basis=basis,
            **data,
        )


class PersonChangeForm(CprBasisAdminFields, PersonFormMixin, ServiceForm):
    remove_cpr = forms.BooleanField(label=_("Fjern CPR-nummeret"), required=False)
    reason = forms.CharField(
        label=_("Begrundelse for rettelse af CPR-nummer"),
        required=False,
        max_length=300,
        help_text=_(
            "Kræves når personen er lejer: rettelsen indberettes igen som en rettelse. En "
            "anden person sættes aldrig på et lejemål her (lejerskifte = afslut + nyt lejemål)."
        ),
    )

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
        return services.person_update(
            person=person,
            actor=self.actor,
            cpr=cpr,
            reason=self.cleaned_data.get("reason", ""),
            cpr_basis=hooks.cpr_basis_from(
                self.cleaned_data.get("cpr_basis"), self.cleaned_data.get("cpr_evidence")
            ),
            **fields,
        )


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
