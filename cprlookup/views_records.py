"""Screens for the records CPR's rules ask for (issue 12): the full-CPR download of a lookup
with a logged purpose, the private landlord's eligibility (dwellings let in the product and
the recorded document for a typed number) and the owner's own record of owner use (the
392-style status). Thin: the rules are in `cprlookup.services.records` and
`cprlookup.occupancy_refresh`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.excel import Column, xlsx_filename, xlsx_response
from core.forms import apply_domain_error
from tenancy.scope import current_organisation
from tenancy.selectors import can_reveal_cpr, role_for

from . import exports, occupancy_refresh, selectors, services
from .forms_records import CprDownloadForm, DwellingsEvidenceForm, OwnerUseForm
from .models import DwellingsEvidence, LookupCprDownload, OwnerUse
from .services.lookup import PRIVATE_MIN_DWELLINGS, documented_dwellings


def _lookup(request, pk):
    lookup = selectors.lookup_get(user=request.user, pk=pk)
    organisation = current_organisation(request)
    if lookup is None or organisation is None or lookup.organisation_id != organisation.pk:
        raise Http404
    return lookup


@login_required
def lookup_cpr_excel(request, pk):
    """A CPR officer's download of a lookup with full CPR numbers: the purpose first, then
    the download, logged as a reveal of every linked person (like the on-screen reveal)."""
    lookup = _lookup(request, pk)
    if not can_reveal_cpr(user=request.user, organisation_id=lookup.organisation_id):
        raise PermissionDenied(_("Kun CPR-ansvarlige kan se fulde CPR-numre."))
    form = CprDownloadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lookup_cpr_download(
                user=request.user, lookup=lookup, purpose=form.cleaned_data["purpose"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            residents = selectors.lookup_residents(lookup=lookup)
            exports.download_disclosed(
                user=request.user,
                organisation_id=lookup.organisation_id,
                person_ids=residents.values_list("person_id", flat=True),
                full_cpr=True,
                reference=_("CPR-opslag %s") % lookup.pk,
            )
            return exports.lookup_result_response(lookup=lookup, residents=residents, full_cpr=True)
    return render(request, "cprlookup/records/cpr_download.html", {"lookup": lookup, "form": form})


def _organisation(request):
    organisation = current_organisation(request)
    if organisation is None:
        raise Http404
    return organisation


def _evidence_xlsx(rows):
    columns = [
        Column(_("Registreret"), lambda r: r.recorded_at, kind="datetime", width=18),
        Column(_("Antal boliger"), lambda r: r.dwellings, kind="int"),
        Column(_("Dokument"), lambda r: r.document, width=40),
        Column(_("Bemærkning"), lambda r: r.note, width=40),
        Column(_("Registreret af"), lambda r: r.recorded_by.get_username(), width=20),
    ]
    return xlsx_response(
        filename=xlsx_filename("dokumentation-boliger"),
        title=_("Dokumentation for antal boliger"),
        columns=columns,
        rows=rows,
    )


def _owner_use_xlsx(rows):
    columns = [
        Column(_("Adresse"), lambda r: r.unit.address, width=40),
        Column(_("Anvendelse"), lambda r: r.note, width=30),
        Column(_("Registreret"), lambda r: r.recorded_at, kind="datetime", width=18),
        Column(_("Registreret af"), lambda r: r.recorded_by.get_username(), width=20),
    ]
    return xlsx_response(
        filename=xlsx_filename("ejerbenyttelse"),
        title=_("Ejerbenyttelse"),
        columns=columns,
        rows=rows,
    )


def _downloads_xlsx(rows):
    columns = [
        Column(_("Tidspunkt"), lambda r: r.at, kind="datetime", width=18),
        Column(_("Bruger"), lambda r: r.user.get_username(), width=20),
        Column(_("Opslag"), lambda r: r.lookup.target_label, width=36),
        Column(_("Formål"), lambda r: r.purpose, width=40),
        Column(_("Antal personer"), lambda r: r.residents, kind="int"),
    ]
    return xlsx_response(
        filename=xlsx_filename("cpr-downloads"),
        title=_("Downloads med fulde CPR-numre"),
        columns=columns,
        rows=rows,
    )


@login_required
def eligibility(request):
    """The organisation's access to CPR's landlord service and its owner-use records."""
    organisation = _organisation(request)
    evidence = DwellingsEvidence.objects.filter(organisation=organisation).select_related(
        "recorded_by"
    )
    owner_uses = OwnerUse.objects.filter(organisation=organisation).select_related(
        "unit__entrance", "recorded_by"
    )
    downloads = LookupCprDownload.objects.filter(organisation=organisation).select_related(
        "user", "lookup"
    )
    exports_by_list = {
        "dokumentation": lambda: _evidence_xlsx(evidence.iterator()),
        "ejerbenyttelse": lambda: _owner_use_xlsx(owner_uses.iterator()),
        "downloads": lambda: _downloads_xlsx(downloads.iterator()),
    }
    if request.GET.get("format") == "xlsx":
        export = exports_by_list.get(request.GET.get("liste", ""))
        if export is None:
            raise Http404
        return export()
    role = role_for(user=request.user, organisation=organisation)
    context = {
        "organisation": organisation,
        "is_private": organisation.kind == "private",
        "minimum": PRIVATE_MIN_DWELLINGS,
        "let_dwellings": services.let_dwellings(organisation, up_to=100_000),
        "documented": documented_dwellings(organisation),
        "problem": services.eligibility_error(organisation),
        "evidence": evidence[:50],
        "owner_uses": owner_uses[:200],
        "downloads": downloads[:50],
        "may_record": role == "org_admin",
        "may_owner_use": role in occupancy_refresh.OWNER_ROLES,
        "evidence_form": DwellingsEvidenceForm(),
        "owner_form": OwnerUseForm(),
    }
    return render(request, "cprlookup/records/eligibility.html", context)


@login_required
@require_POST
def evidence_record(request):
    organisation = _organisation(request)
    form = DwellingsEvidenceForm(request.POST)
    if form.is_valid():
        try:
            services.dwellings_evidence_record(
                user=request.user, organisation=organisation, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Dokumentationen er registreret."))
            return redirect("cprlookup:eligibility")
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect("cprlookup:eligibility")


@login_required
@require_POST
def owner_use_add(request):
    organisation = _organisation(request)
    form = OwnerUseForm(request.POST)
    if form.is_valid():
        try:
            target = services.resolve_target(
                organisation=organisation,
                unit_id=None,
                entrance_id=None,
                dar_address_id=None,
                dar_house_id=None,
                address=form.cleaned_data["address"],
            )
            if target.unit is None:
                raise DomainError(_("Skriv en hel adresse med etage og dør (én enhed)."))
            occupancy_refresh.owner_use_set(
                user=request.user, unit=target.unit, note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Ejerbenyttelsen er registreret."))
        return redirect("cprlookup:eligibility")
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect("cprlookup:eligibility")


@login_required
@require_POST
def owner_use_remove(request, pk):
    organisation = _organisation(request)
    use = get_object_or_404(OwnerUse, pk=pk, organisation=organisation)
    occupancy_refresh.owner_use_clear(user=request.user, unit=use.unit)
    messages.success(request, _("Ejerbenyttelsen er fjernet."))
    return redirect("cprlookup:eligibility")
