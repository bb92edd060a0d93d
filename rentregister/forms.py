"""Forms for the rent-register screens: input only; the rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import validate_plausible_date

from .models import FilingState, RehousingPlacement, UdkTaskStatus


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None, format=None):
        # <input type="date"> takes ISO whatever the display format (config/formats/).
        super().__init__(attrs, format or "%Y-%m-%d")


class FilingFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Alle")), *FilingState.choices]
    )


class TaskFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Alle")), *UdkTaskStatus.choices]
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Hvorfor annulleres indberetningen?"), max_length=500)


class TemporaryRehousingForm(forms.Form):
    lease_number = forms.CharField(label=_("Lejemålsnummer"), max_length=20)
    placement = forms.ChoiceField(label=_("Genhusning i"), choices=RehousingPlacement.choices)
    temporary_unit = forms.ModelChoiceField(
        label=_("Midlertidig bolig"), queryset=None, required=False
    )
    temporary_rent = forms.DecimalField(
        label=_("Husleje i den midlertidige bolig (kr. pr. måned)"),
        required=False,
        min_value=0,
        decimal_places=2,
        help_text=_(
            "Lavere end den nuværende husleje: den lavere husleje indberettes. Højere: der "
            "indberettes intet."
        ),
    )
    start_date = forms.DateField(label=_("Fra"), widget=DateInput)
    end_date = forms.DateField(label=_("Forventet til"), widget=DateInput, required=False)
    note = forms.CharField(label=_("Bemærkning"), max_length=500, required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["temporary_unit"].queryset = units


class PermanentRehousingForm(forms.Form):
    lease_number = forms.CharField(label=_("Lejemålsnummer"), max_length=20)
    new_unit = forms.ModelChoiceField(label=_("Ny bolig"), queryset=None)
    move_date = forms.DateField(
        label=_("Flyttedato"),
        widget=DateInput,
        help_text=_("Det gamle lejemål afsluttes dagen før; det nye starter på flyttedatoen."),
    )
    rent = forms.DecimalField(label=_("Husleje i den nye bolig"), min_value=0, decimal_places=2)
    note = forms.CharField(label=_("Bemærkning"), max_length=500, required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_unit"].queryset = units


class RehousingEndForm(forms.Form):
    end_date = forms.DateField(label=_("Sidste dag i genhusningen"), widget=DateInput)


class RefundForm(forms.Form):
    lease_number = forms.CharField(label=_("Lejemålsnummer"), max_length=20)
    liable_until = forms.DateField(
        label=_("Lejer hæfter for husleje til og med"),
        widget=DateInput,
        required=False,
        help_text=_("Tom: lejemålets slutdato."),
        validators=[validate_plausible_date],
    )
    paid_from = forms.DateField(
        label=_("UDK har udbetalt fra måned"),
        widget=DateInput,
        validators=[validate_plausible_date],
    )
    paid_to = forms.DateField(
        label=_("UDK har udbetalt til og med måned"),
        widget=DateInput,
        validators=[validate_plausible_date],
    )
    monthly_amount = forms.DecimalField(
        label=_("Boligstøtte pr. måned (kr.)"), min_value=0, decimal_places=2
    )

    def clean(self):
        data = super().clean()
        if data.get("paid_from") and data.get("paid_to") and data["paid_to"] < data["paid_from"]:
            self.add_error("paid_to", _("Slutmåneden ligger før startmåneden."))
        return data


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Navn"), max_length=200)
    email = forms.EmailField(label=_("E-mail"))
    active = forms.BooleanField(label=_("Aktiv"), required=False, initial=True)


class ConsentGiveForm(forms.Form):
    confirmed = forms.BooleanField(
        label=_("Lejeren har givet samtykke til, at CPR-nummeret indberettes"),
        error_messages={"required": _("Bekræft, at lejeren har givet samtykke.")},
    )
    note = forms.CharField(
        label=_("Bemærkning"),
        max_length=200,
        required=False,
        help_text=_("Fx hvordan samtykket er givet og hvor det ligger (journalnummer)."),
    )
