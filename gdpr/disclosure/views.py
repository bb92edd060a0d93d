"""Screens of the disclosure log: the organisation's transfers, one transfer with its
persons, and one person's transfers (docs/disclosures.md). Every list downloads as Excel."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from core import formatting
from core.excel import Column, xlsx_filename, xlsx_response
from core.pagination import page_of
from tenancy.scope import current_organisation
from tenancy.selectors import person_list

from ..models import RecipientKind
from . import log


def _organisation(request):
    organisation = current_organisation(request)
    if organisation is None:
        raise Http404
    return organisation


def _columns() -> list[Column]:
    return [
        Column(_("Tidspunkt"), lambda d: d.at, "datetime", width=18),
        Column(_("Modtager"), lambda d: d.recipient, width=34),
        Column(_("Modtagertype"), lambda d: d.get_recipient_kind_display(), width=20),
        Column(_("Oplysninger"), lambda d: ", ".join(d.category_labels), width=40),
        Column(_("Antal personer"), lambda d: d.person_count, "int"),
        Column(_("Retsgrundlag"), lambda d: d.legal_basis, width=50),
        Column(_("Formål"), lambda d: d.purpose, width=30),
        Column(_("Reference"), lambda d: d.reference, width=24),
        Column(_("Udført af"), lambda d: formatting.user_name(d.actor) if d.actor else ""),
    ]


def _filtered(request, qs):
    query = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("kind", "")
    if query:
        qs = qs.filter(
            Q(recipient__icontains=query) | Q(purpose__icontains=query) | Q(reference=query)
        )
    if kind in RecipientKind.values:
        qs = qs.filter(recipient_kind=kind)
    return qs, query, kind


@login_required
def disclosure_list(request):
    organisation = _organisation(request)
    disclosures, query, kind = _filtered(request, log.disclosure_list(organisation=organisation))
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("videregivelser"),
            title=_("Videregivelser"),
            columns=_columns(),
            rows=disclosures.iterator(chunk_size=2000),
        )
    return render(
        request,
        "gdpr/disclosure/list.html",
        {
            "organisation": organisation,
            "page": page_of(request, disclosures),
            "query": query,
            "kind": kind,
            "kinds": RecipientKind.choices,
        },
    )


@login_required
def disclosure_detail(request, pk):
    organisation = _organisation(request)
    disclosure = get_object_or_404(log.disclosure_list(organisation=organisation), pk=pk)
    people = log.disclosure_people(disclosure=disclosure)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("videregivelse-personer"),
            title=_("Personer i videregivelsen"),
            columns=[
                Column(_("Navn"), lambda p: p.name, width=30),
                Column(_("Beskyttet"), lambda p: p.protected),
            ],
            rows=people.iterator(),
        )
    return render(
        request,
        "gdpr/disclosure/detail.html",
        {"disclosure": disclosure, "page": page_of(request, people)},
    )


@login_required
def person_disclosures(request, person_pk):
    organisation = _organisation(request)
    person = get_object_or_404(
        person_list(user=request.user, organisation=organisation), pk=person_pk
    )
    disclosures = log.person_disclosures(person=person)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("videregivelser-person"),
            title=_("Videregivelser"),
            columns=_columns(),
            rows=disclosures.iterator(),
        )
    return render(
        request,
        "gdpr/disclosure/person.html",
        {"person": person, "page": page_of(request, disclosures)},
    )
