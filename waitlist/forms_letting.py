"""Forms of the letting screens (issue 14)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import DATE
from .models import ListType
from .models_letting import Vacancy


class VacancyForm(forms.Form):
    unit = forms.IntegerField(
        label=_("Enhed (nr.)"),
        min_value=1,
        max_value=2_147_483_647,
        help_text=_("Enhedens nummer (står på enhedens side)."),
    )
    move_in_date = forms.DateField(label=_("Indflytning"), widget=DATE)
    rent = forms.DecimalField(
        label=_("Husleje pr. måned (kr.)"),
        min_value=1,
        max_digits=10,
        decimal_places=2,
        localize=True,
    )
    list_type = forms.ChoiceField(label=_("Liste"), choices=ListType.choices)
    pets_allowed = forms.BooleanField(label=_("Husdyr tilladt"), required=False)
    balcony_or_garden = forms.BooleanField(label=_("Altan eller have"), required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Årsag"), max_length=300)


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Svar"), choices=[("accept", _("Ja tak")), ("decline", _("Nej tak"))]
    )


class VacancyFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Alle")), ("active", _("Aktive")), *Vacancy.Status.choices],
    )
