"""Browser forms for CPR lookups. They only collect input: every rule is checked by
`cprlookup.services`, whose DomainError the views show on the form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import CATEGORIES


class LookupForm(forms.Form):
    """Ad-hoc lookup: one of an address (unit or stairwell), a DAR id, or a unit/entrance
    chosen from its page (hidden ids)."""

    KIND_CHOICES = [
        ("address", _("Adresse (enhed eller hel opgang)")),
        ("dar_address", _("DAR adresse-id (én bolig)")),
        ("dar_house", _("DAR husnummer-id (hel opgang)")),
    ]

    kind = forms.ChoiceField(label=_("Søg på"), choices=KIND_CHOICES, initial="address")
    value = forms.CharField(
        label=_("Adresse eller DAR-id"),
        max_length=200,
        required=False,
        help_text=_(
            "Fx »Strandvejen 12, 2. tv« for én bolig, »Strandvejen 12« for hele opgangen, "
            "eller et DAR-id."
        ),
    )
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    entrance = forms.IntegerField(required=False, widget=forms.HiddenInput)
    purpose = forms.CharField(
        label=_("Formål / sagsnummer"),
        max_length=300,
        help_text=_("Hvorfor opslaget gøres, fx sagsnummer eller »Fraflytning, sag 2024-117«."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("unit") and not data.get("entrance") and not data.get("value"):
            self.add_error("value", _("Skriv en adresse eller et DAR-id."))
        return data

    def target_kwargs(self) -> dict:
        """The target as keyword arguments for services.cpr_lookup_perform."""
        data = self.cleaned_data
        if data.get("unit"):
            return {"unit_id": data["unit"]}
        if data.get("entrance"):
            return {"entrance_id": data["entrance"]}
        value = data["value"].strip()
        return {
            "address": {"address": value},
            "dar_address": {"dar_address_id": value},
            "dar_house": {"dar_house_id": value},
        }[data["kind"]]


class ScanSettingForm(forms.Form):
    enabled = forms.BooleanField(label=_("Planlagt natlig scanning"), required=False)


class ReconciliationFilterForm(forms.Form):
    kategori = forms.ChoiceField(
        label=_("Uoverensstemmelse"),
        required=False,
        choices=[("", _("Alle")), *CATEGORIES.items()],
    )
