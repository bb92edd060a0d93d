"""Forms of the GDPR panel, the request screens and the public contact form. Each is a thin
shell around a service in gdpr.subject; the service says what is wrong."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tenancy.models import Organisation

from ..models import BasisKind, ConsentPurpose, ObjectionPurpose, RequestKind, RequestStatus

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ConsentGiveForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Formål"), choices=ConsentPurpose.choices)
    basis = forms.ChoiceField(label=_("Grundlag"), choices=BasisKind.choices)
    evidence = forms.CharField(
        label=_("Dokumentation"),
        max_length=500,
        help_text=_(
            'Hvor samtykket eller grundlaget findes, fx "Underskrevet blanket 01.12.2026".'
        ),
    )


class EvidenceForm(forms.Form):
    evidence = forms.CharField(label=_("Dokumentation"), max_length=500)


class ObjectionForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Indsigelse mod"), choices=ObjectionPurpose.choices)
    note = forms.CharField(label=_("Bemærkning"), max_length=500, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Begrundelse"), max_length=500)


class RequestCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Anmodning om"), choices=RequestKind.choices)
    received_on = forms.DateField(label=_("Modtaget"), widget=DATE_WIDGET, required=False)
    details = forms.CharField(
        label=_("Hvad beder personen om"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RequestCloseForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Udfald"),
        choices=[(RequestStatus.COMPLETED, _("Besvaret")), (RequestStatus.REFUSED, _("Afvist"))],
    )
    outcome = forms.CharField(
        label=_("Svar til personen"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ContactForm(forms.Form):
    """The public form: who wants to view which home. `website` is a honeypot (left empty
    by people, filled by spam robots)."""

    organisation = forms.ModelChoiceField(
        label=_("Udlejer"), queryset=Organisation.objects.order_by("name"), empty_label=None
    )
    name = forms.CharField(label=_("Navn"), max_length=200)
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Telefon"), max_length=20, required=False)
    home = forms.CharField(
        label=_("Hvilken bolig"),
        max_length=200,
        help_text=_("Adresse eller boligannoncens nummer."),
    )
    message = forms.CharField(
        label=_("Besked"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    consent = forms.BooleanField(
        label=_(
            "Jeg giver samtykke til, at mine oplysninger gemmes i 6 måneder, så I kan kontakte "
            "mig om fremvisning. Jeg kan altid trække samtykket tilbage."
        )
    )
    website = forms.CharField(required=False, widget=forms.HiddenInput, label="")
