"""Forms for the caseworker screens and the applicant self-service (Danish labels)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from tenancy.models import Department

from .models import Application, Channel, Invoice, ListType, Payment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ApplicantFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Søg"),
        required=False,
        max_length=100,
        help_text=_("Navn, adresse, telefon, e-mail, CPR-nummer eller ansøgernummer"),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Alle")), *Application.Status.choices]
    )
    list_type = forms.ChoiceField(
        label=_("Liste"), required=False, choices=[("", _("Alle")), *ListType.choices]
    )
    channel = forms.ChoiceField(
        label=_("Tilbudsform"), required=False, choices=[("", _("Alle")), *Channel.choices]
    )


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Alle")), *Invoice.Status.choices]
    )
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Alle")), *Invoice.Kind.choices]
    )


class PaymentFilterForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Betalingsmåde"),
        required=False,
        choices=[("", _("Alle")), *Payment.Method.choices],
    )


class ApplicantForm(forms.Form):
    """Sign-up data (seed section 3.1) and the offer channel."""

    name = forms.CharField(label=_("Fulde navn"), max_length=200)
    cpr = forms.CharField(
        label=_("CPR-nummer"), max_length=11, help_text=_("DDMMÅÅ-XXXX. Gemmes krypteret.")
    )
    address = forms.CharField(label=_("Adresse"), max_length=200)
    postal_code = forms.CharField(label=_("Postnummer"), max_length=4, min_length=4)
    city = forms.CharField(label=_("By"), max_length=100)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Mobil eller fastnet"), max_length=20)
    spouse_name = forms.CharField(label=_("Ægtefælle/samlever"), max_length=200, required=False)
    children_under_23 = forms.IntegerField(
        label=_("Hjemmeboende børn under 23 år"), min_value=0, max_value=30, initial=0
    )
    channel = forms.ChoiceField(
        label=_("Tilbudsform"),
        choices=Channel.choices,
        initial=Channel.E_OFFER,
        widget=forms.RadioSelect,
        help_text=_("E-tilbud er billigst: tilbud på e-mail og i dit brugerområde."),
    )
    sms_opt_in = forms.BooleanField(label=_("Også SMS ved nye tilbud"), required=False)
    list_types = forms.MultipleChoiceField(
        label=_("Ventelister"),
        choices=ListType.choices,
        initial=[ListType.FAMILY],
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Familieboliger koster gebyr; studieboliger er gratis men skal fornyes årligt."
        ),
    )


class PublicSignupForm(ApplicantForm):
    """The public sign-up also creates the applicant's own login (e-mail + password)."""

    email = forms.EmailField(label=_("E-mail"), help_text=_("Bruges også til at logge ind."))
    password1 = forms.CharField(label=_("Adgangskode"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(
        label=_("Gentag adgangskode"), widget=forms.PasswordInput, strip=False
    )
    accept_terms = forms.BooleanField(
        label=_("Jeg accepterer vilkårene og at oplysningerne deles mellem boligselskaberne")
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(username__iexact=email).exists():
            raise forms.ValidationError(
                _(
                    "Der findes allerede en bruger med denne e-mail. Log ind eller nulstil adgangskoden."
                )
            )
        return email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Adgangskoderne er ikke ens."))
        elif p1:
            try:
                validate_password(p1)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ContactForm(forms.Form):
    address = forms.CharField(label=_("Adresse"), max_length=200)
    postal_code = forms.CharField(label=_("Postnummer"), max_length=4, min_length=4)
    city = forms.CharField(label=_("By"), max_length=100)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Mobil eller fastnet"), max_length=20)
    spouse_name = forms.CharField(label=_("Ægtefælle/samlever"), max_length=200, required=False)
    children_under_23 = forms.IntegerField(
        label=_("Hjemmeboende børn under 23 år"), min_value=0, max_value=30
    )


class ChannelForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Tilbudsform"), choices=Channel.choices, widget=forms.RadioSelect
    )
    sms_opt_in = forms.BooleanField(label=_("Også SMS ved nye tilbud"), required=False)


class WishesForm(forms.Form):
    departments = forms.ModelMultipleChoiceField(
        label=_("Afdelinger"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    areas = forms.CharField(label=_("Områder/byer"), max_length=300, required=False)
    min_rooms = forms.IntegerField(
        label=_("Mindst antal værelser"), min_value=1, max_value=10, required=False
    )
    max_rooms = forms.IntegerField(
        label=_("Højst antal værelser"), min_value=1, max_value=10, required=False
    )
    min_area = forms.IntegerField(
        label=_("Mindst areal (m²)"), min_value=1, max_value=500, required=False
    )
    max_rent = forms.DecimalField(
        label=_("Højeste husleje pr. måned (kr.)"),
        min_value=0,
        max_digits=10,
        decimal_places=2,
        required=False,
        localize=True,
    )
    ground_floor_or_lift = forms.BooleanField(label=_("Stueetage eller elevator"), required=False)
    pets = forms.BooleanField(label=_("Husdyr"), required=False)
    balcony_or_garden = forms.BooleanField(label=_("Altan eller have"), required=False)
    earliest_move_in = forms.DateField(label=_("Tidligst indflytning"), required=False, widget=DATE)

    def __init__(self, *args, cooperation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if cooperation is not None:
            field = self.fields["departments"]
            assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101 - typing
            field.queryset = Department.objects.filter(
                organisation__cooperations=cooperation
            ).order_by("name")


class BankTransferForm(forms.Form):
    invoice = forms.ModelChoiceField(label=_("Opkrævning"), queryset=Invoice.objects.none())
    amount = forms.DecimalField(
        label=_("Beløb (kr.)"), min_value=0, max_digits=10, decimal_places=2, localize=True
    )
    paid_on = forms.DateField(label=_("Betalingsdato"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, applicant=None, **kwargs):
        super().__init__(*args, **kwargs)
        if applicant is not None:
            field = self.fields["invoice"]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - typing
            field.queryset = applicant.invoices.filter(status__in=["open", "reminded"])


class FeeScheduleForm(forms.Form):
    channel = forms.ChoiceField(label=_("Tilbudsform"), choices=Channel.choices)
    valid_from = forms.DateField(label=_("Gælder fra"), widget=DATE)
    announced_at = forms.DateField(label=_("Varslet den"), widget=DATE)
    signup_fee = forms.DecimalField(
        label=_("Opnoteringsgebyr (kr.)"),
        min_value=0,
        max_digits=8,
        decimal_places=2,
        localize=True,
    )
    renewal_fee = forms.DecimalField(
        label=_("Ajourføringsgebyr (kr.)"),
        min_value=0,
        max_digits=8,
        decimal_places=2,
        localize=True,
    )


class ListTypeForm(forms.Form):
    list_type = forms.ChoiceField(label=_("Venteliste"), choices=ListType.choices)
