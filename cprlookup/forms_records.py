"""Forms for the records CPR's rules ask for (cprlookup.views_records). They only collect
input: the rules are in `cprlookup.services.records` and `cprlookup.occupancy_refresh`."""

from django import forms
from django.utils.translation import gettext_lazy as _


class CprDownloadForm(forms.Form):
    purpose = forms.CharField(
        label=_("Formål / sagsnummer"),
        max_length=300,
        help_text=_("Hvorfor skal du se de fulde CPR-numre? Formålet logges med din download."),
    )


class DwellingsEvidenceForm(forms.Form):
    dwellings = forms.IntegerField(
        label=_("Antal ejede og udlejede boliger"), min_value=0, max_value=10_000_000
    )
    document = forms.CharField(
        label=_("Dokument"),
        max_length=200,
        help_text=_("Fx tingbogsattest, BBR-ejermeddelelse eller revisorerklæring med dato."),
    )
    note = forms.CharField(
        label=_("Bemærkning"), required=False, widget=forms.Textarea, max_length=2000
    )


class OwnerUseForm(forms.Form):
    address = forms.CharField(
        label=_("Enhedens adresse"), max_length=200, help_text=_("Fx »Strandvejen 12, 2. tv«.")
    )
    note = forms.CharField(
        label=_("Anvendelse"),
        max_length=200,
        help_text=_("Fx kontor, gæstebolig, ejerens egen bolig."),
    )
