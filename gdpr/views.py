"""The GDPR screen: the log of full CPR numbers shown (who saw whose number, why, when).

Organisation administrators see the whole organisation's log; everyone else their own."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import render
from django.utils.translation import gettext as _

from core import formatting
from core.excel import Column, xlsx_filename, xlsx_response
from core.pagination import page_of
from tenancy.scope import current_organisation

from . import selectors


def _columns() -> list[Column]:
    return [
        Column(_("Tidspunkt"), lambda r: r.at, "datetime"),
        Column(_("Bruger"), lambda r: formatting.user_name(r.user)),
        Column(_("Person"), lambda r: r.person.public_name),
        Column(_("Formål"), lambda r: r.purpose),
    ]


@login_required
def index(request):
    organisation = current_organisation(request)
    reveals = selectors.cpr_reveal_list(user=request.user, organisation=organisation)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        reveals = reveals.filter(
            Q(purpose__icontains=query)
            | Q(user__username__icontains=query)
            | Q(user__first_name__icontains=query)
            | Q(user__last_name__icontains=query)
        )
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("cpr-visninger"),
            title=_("Visninger af CPR-numre"),
            columns=_columns(),
            rows=reveals.iterator(chunk_size=2000),
        )
    return render(
        request,
        "gdpr/index.html",
        {
            "organisation": organisation,
            "page": page_of(request, reveals),
            "query": query,
            "whole_log": selectors.can_see_reveal_log(user=request.user, organisation=organisation),
        },
    )
