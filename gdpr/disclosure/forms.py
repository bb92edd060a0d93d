"""Forms of issue 16's screens (Danish labels; rules stay in the services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tenancy.models import Lease, Organisation, Property, Unit, normalise_search

from ..models import BreachRisk, DataCategory, ExportKind, Processor, ProcessorRole


class OutboundExportForm(forms.Form):
    """Order one outbound export. What it needs (property, unit, lease) depends on the kind;
    the service says what is missing."""

    kind = forms.ChoiceField(label=_("Udtræk"), choices=ExportKind.choices)
    recipient = forms.CharField(
        label=_("Modtager"),
        max_length=200,
        required=False,
        help_text=_("Firma eller myndighed. Markedsstatistik går altid til EjendomDanmark."),
    )
    property = forms.ModelChoiceField(
        label=_("Ejendom"), queryset=Property.objects.none(), required=False
    )
    unit_address = forms.CharField(
        label=_("Enhed (adresse)"),
        max_length=200,
        required=False,
        help_text=_("Fx Strandvejen 12 2 tv"),
    )
    lease_number = forms.CharField(label=_("Lejemålsnummer"), max_length=20, required=False)
    description = forms.CharField(
        label=_("Opgave (arbejdsordre)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["property"].queryset = Property.objects.filter(organisation=organisation)

    def clean_unit_address(self) -> Unit | None:
        text = normalise_search(self.cleaned_data.get("unit_address", ""))
        if not text:
            return None
        units = list(Unit.objects.filter(organisation=self.organisation, search_text=text)[:2])
        if len(units) != 1:
            raise forms.ValidationError(_("Ingen entydig enhed med den adresse."))
        return units[0]

    def clean_lease_number(self) -> Lease | None:
        number = self.cleaned_data.get("lease_number", "").strip()
        if not number:
            return None
        lease = Lease.objects.filter(organisation=self.organisation, number=number).first()
        if lease is None:
            raise forms.ValidationError(_("Intet lejemål med det nummer."))
        return lease


class OptInForm(forms.Form):
    opted_in = forms.BooleanField(label=_("Ejeren deltager i markedsstatistik"), required=False)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class BreachForm(forms.Form):
    title = forms.CharField(label=_("Overskrift"), max_length=200)
    description = forms.CharField(
        label=_("Hvad skete der"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    discovered_at = forms.DateTimeField(label=_("Opdaget"), widget=DateTimeInput())
    occurred_at = forms.DateTimeField(
        label=_("Skete (hvis kendt)"), widget=DateTimeInput(), required=False
    )
    risk = forms.ChoiceField(label=_("Risiko for de berørte"), choices=BreachRisk.choices)
    categories = forms.MultipleChoiceField(
        label=_("Berørte oplysninger"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    consequences = forms.CharField(
        label=_("Sandsynlige konsekvenser"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )
    measures = forms.CharField(
        label=_("Trufne og planlagte foranstaltninger"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )


class BreachReportForm(forms.Form):
    reported_at = forms.DateTimeField(label=_("Anmeldt"), widget=DateTimeInput())
    reference = forms.CharField(label=_("Datatilsynets j.nr."), max_length=100, required=False)
    late_reason = forms.CharField(
        label=_("Begrundelse, hvis efter 72 timer"), max_length=500, required=False
    )


class BreachPeopleForm(forms.Form):
    disclosure = forms.IntegerField(
        label=_("Videregivelse nr."),
        required=False,
        min_value=1,
        help_text=_("Alle personer i en videregivelse (se Videregivelser)."),
    )
    property = forms.ModelChoiceField(
        label=_("Lejere i ejendom"), queryset=Property.objects.none(), required=False
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["property"].queryset = Property.objects.filter(organisation=organisation)


class ProcessorForm(forms.Form):
    name = forms.CharField(label=_("Navn"), max_length=200)
    cvr = forms.CharField(label=_("CVR-nummer"), max_length=8, required=False)
    role = forms.ChoiceField(label=_("Rolle"), choices=ProcessorRole.choices)
    sub_processor_of = forms.ModelChoiceField(
        label=_("Underdatabehandler for"), queryset=Processor.objects.none(), required=False
    )
    service = forms.CharField(label=_("Opgave"), max_length=300)
    categories = forms.MultipleChoiceField(
        label=_("Oplysninger"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    country = forms.CharField(label=_("Behandlingssted (land)"), max_length=60, initial="Danmark")
    third_country_basis = forms.CharField(
        label=_("Overførselsgrundlag uden for EU/EØS"), max_length=300, required=False
    )
    agreement_date = forms.DateField(
        label=_("Aftale indgået"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    agreement_ends = forms.DateField(
        label=_("Aftale udløber"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sub_processor_of"].queryset = Processor.objects.filter(
            organisation=organisation
        )
