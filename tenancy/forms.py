"""Forms for the lease lifecycle. They only collect input: every rule is in tenancy.services,
and the views turn its DomainError into errors on these forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.cpr import normalise_cpr
from core.filters import MAX_ID
from core.validators import validate_plausible_date

from . import hooks
from .choices import HeatingForm, HolderType, UtilityPayment
from .documents import LeaseDocumentKind
from .terms import LEASE_TERMS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": 0}


class CprBasisFields(forms.Form):
    """The recorded basis for storing a CPR number (issue 15): a consent or another basis,
    and where it is documented. Required by the service whenever a new number is stored
    for a person without a basis already recorded."""

    cpr_basis = forms.ChoiceField(
        label=_("Grundlag for at gemme CPR-nummeret"),
        choices=hooks.CPR_BASIS_CHOICES,
        required=False,
    )
    cpr_evidence = forms.CharField(
        label=_("Dokumentation for grundlaget"),
        max_length=500,
        required=False,
        help_text=_(
            'Fx "Underskrevet samtykke i lejesagen 12.03.2026". Kræves med et nyt CPR-nummer.'
        ),
    )

    def cpr_basis_value(self):
        return hooks.cpr_basis_from(
            self.cleaned_data.get("cpr_basis"), self.cleaned_data.get("cpr_evidence")
        )


class PartiesField(forms.ModelMultipleChoiceField):
    """Lease parties chosen among the organisation's people (rendered by the person picker,
    so 600,000 people never end up in one <select>)."""

    widget = forms.MultipleHiddenInput

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.cpr_masked})" if obj.cpr_masked else obj.name

    def clean(self, value):
        # A posted id that is not a whole number within the id column's range is refused
        # here: the database would overflow on it (a 500), not just find nothing.
        for pk in value or ():
            text = str(pk)
            if not text.isdigit() or len(text) > len(str(MAX_ID)) or int(text) > MAX_ID:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super().clean(value)


class LeaseTermsMixin(forms.Form):
    """The lease terms (tenancy.terms): one form field per term, declared in that order
    (a test holds the two together); the labels are the form's own wording."""

    holder_type = forms.ChoiceField(
        label=_("Lejer eller andelshaver"), choices=HolderType.choices, initial=HolderType.TENANT
    )
    special_payments = forms.DecimalField(
        label=_("Særlige ydelser pr. måned (kr.)"), initial=0, **MONEY
    )
    heating_aconto = forms.DecimalField(label=_("Aconto varme pr. måned (kr.)"), initial=0, **MONEY)
    water_aconto = forms.DecimalField(label=_("Aconto vand pr. måned (kr.)"), initial=0, **MONEY)
    electricity = forms.ChoiceField(
        label=_("El"), choices=UtilityPayment.choices, initial=UtilityPayment.ACONTO_UTILITY
    )
    water = forms.ChoiceField(
        label=_("Vand"), choices=UtilityPayment.choices, initial=UtilityPayment.ACONTO_ORGANISATION
    )
    drainage = forms.ChoiceField(
        label=_("Vandafledning"), choices=UtilityPayment.choices, initial=UtilityPayment.INCLUDED
    )
    heating = forms.ChoiceField(
        label=_("Varme"),
        choices=UtilityPayment.choices,
        initial=UtilityPayment.ACONTO_ORGANISATION,
    )
    heating_form = forms.ChoiceField(
        label=_("Opvarmningsform"), choices=HeatingForm.choices, initial=HeatingForm.DISTRICT
    )
    tenant_maintains = forms.BooleanField(
        label=_("Lejer har vedligeholdelsespligt"), required=False
    )
    private_kitchen = forms.BooleanField(label=_("Eget køkken"), required=False, initial=True)
    garage_carport = forms.BooleanField(label=_("Garage/carport"), required=False)
    accessible = forms.BooleanField(label=_("Egnet for bevægelseshæmmede"), required=False)
    student_room = forms.BooleanField(label=_("Ungdoms-/kollegieværelse"), required=False)

    def terms(self) -> dict:
        return {name: self.cleaned_data[name] for name in LEASE_TERMS}


class LeaseCreateForm(CprBasisFields, LeaseTermsMixin):
    """A new lease on a unit: parties from the organisation's people and/or one new person."""

    parties = PartiesField(queryset=None, label=_("Lejere"), required=False)
    new_party_name = forms.CharField(label=_("Ny lejer: navn"), max_length=200, required=False)
    new_party_cpr = forms.CharField(
        label=_("Ny lejer: CPR-nummer"),
        max_length=11,
        required=False,
        help_text=_("DDMMÅÅ-SSSS. Kun med lejerens samtykke; vises herefter maskeret."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    start_date = forms.DateField(label=_("Startdato"), widget=DATE_WIDGET)
    rent = forms.DecimalField(label=_("Husleje pr. måned (kr.)"), **MONEY)

    field_order = [
        "parties",
        "new_party_name",
        "new_party_cpr",
        "cpr_basis",
        "cpr_evidence",
        "start_date",
        "rent",
    ]

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parties"].queryset = people

    def clean_new_party_cpr(self):
        return normalise_cpr(self.cleaned_data["new_party_cpr"])

    def clean(self):
        data = super().clean()
        if data.get("new_party_cpr") and not data.get("new_party_name"):
            self.add_error("new_party_name", _("Skriv navnet på den nye lejer."))
        if not data.get("parties") and not data.get("new_party_name") and not self.errors:
            raise ValidationError(
                _("Vælg mindst én lejer blandt personerne, eller opret en ny lejer.")
            )
        return data


class LeaseEditForm(LeaseTermsMixin):
    """Edit the terms of a lease. The parties and start date are on the form so the
    service can explain why a tenant change is refused (end + new lease instead)."""

    parties = PartiesField(queryset=None, label=_("Lejere"))
    start_date = forms.DateField(label=_("Startdato"), widget=DATE_WIDGET)

    field_order = ["parties", "start_date"]

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parties"].queryset = people


class LeaseEndForm(forms.Form):
    end_date = forms.DateField(
        label=_("Slutdato"),
        widget=DATE_WIDGET,
        validators=[validate_plausible_date],
        help_text=_("Sidste dag i lejeforholdet."),
    )
    reason = forms.CharField(label=_("Årsag"), max_length=200, required=False)


CONFIRM_DROP_HELP = _(
    "Kræves når huslejen falder meget: en fejlagtig nedsættelse stopper lejerens boligstøtte."
)


class LeaseRentForm(forms.Form):
    rent = forms.DecimalField(label=_("Ny husleje pr. måned (kr.)"), **MONEY)
    effective_date = forms.DateField(
        label=_("Gælder fra"),
        widget=DATE_WIDGET,
        help_text=_(
            "En dato frem i tiden venter: den nuværende husleje gælder indtil da. Skal en "
            "husleje tilbage i tiden rettes, så brug 'Ret fejlindberetning'."
        ),
    )
    special_payments = forms.DecimalField(
        label=_("Særlige ydelser pr. måned (kr.)"),
        required=False,
        help_text=_("Lad feltet stå tomt for at beholde beløbet."),
        **MONEY,
    )
    confirm_large_drop = forms.BooleanField(
        label=_("Jeg bekræfter den store nedsættelse af huslejen"),
        required=False,
        help_text=CONFIRM_DROP_HELP,
    )


class LeaseCorrectForm(LeaseTermsMixin):
    """Correct wrong data filed earlier: the terms as they should have been and/or the
    rent from a date, with the reason (tenancy.services.lease_correct)."""

    reason = forms.CharField(
        label=_("Hvad rettes, og hvorfor?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Fx: huslejen blev indberettet med en tastefejl. Gemmes i historikken."),
    )
    rent = forms.DecimalField(
        label=_("Rigtig husleje pr. måned (kr.)"),
        required=False,
        help_text=_("Kun hvis huslejen skal rettes. Lad feltet stå tomt ellers."),
        **MONEY,
    )
    rent_effective_date = forms.DateField(
        label=_("Huslejen gælder fra"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Rettelsen erstatter kun perioden fra denne dato; senere huslejer bevares."),
    )
    confirm_large_drop = forms.BooleanField(
        label=_("Jeg bekræfter den store nedsættelse af huslejen"),
        required=False,
        help_text=CONFIRM_DROP_HELP,
    )

    field_order = ["reason", "rent", "rent_effective_date", "confirm_large_drop"]


class PersonEditForm(CprBasisFields):
    """Change a person (tenancy.services.person_update). A new CPR number for a lease
    party is a correction with a reason, never a way to put another person on the lease."""

    name = forms.CharField(label=_("Navn"), max_length=200)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Telefon"), max_length=20, required=False)
    protected = forms.BooleanField(label=_("Navne- og adressebeskyttelse"), required=False)
    cpr = forms.CharField(
        label=_("Nyt CPR-nummer"),
        max_length=11,
        required=False,
        help_text=_("DDMMÅÅ-SSSS. Lad feltet stå tomt for at beholde det nuværende."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    reason = forms.CharField(
        label=_("Begrundelse for rettelse af CPR-nummer"),
        max_length=300,
        required=False,
        help_text=_(
            "Kræves for en lejer: rettelsen indberettes igen til Huslejeregisteret som en "
            "rettelse. En ny lejer er altid et lejerskifte (afslut og opret lejemål)."
        ),
    )

    def clean_cpr(self):
        return normalise_cpr(self.cleaned_data["cpr"])


class CprRevealForm(forms.Form):
    purpose = forms.CharField(
        label=_("Formål"),
        max_length=200,
        help_text=_("Hvorfor skal du se CPR-nummeret? Visningen logges med formålet."),
    )


class LeaseDocumentForm(forms.Form):
    """Upload a lease document (tenancy.services.lease_document_upload checks the content)."""

    kind = forms.ChoiceField(label=_("Type"), choices=LeaseDocumentKind.choices)
    title = forms.CharField(label=_("Titel"), max_length=200)
    document_date = forms.DateField(label=_("Dokumentets dato"), required=False, widget=DATE_WIDGET)
    file = forms.FileField(
        label=_("Fil"),
        help_text=_("PDF, JPEG eller PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
