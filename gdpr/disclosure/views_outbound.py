"""Screens of the outbound exports: order one, follow its progress, download the file,
and the owner's opt-in to market statistics (docs/disclosures.md)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import formatting
from core.errors import DomainError
from core.excel import Column, xlsx_filename, xlsx_response
from core.forms import apply_domain_error
from core.pagination import page_of
from tenancy.choices import Role
from tenancy.selectors import role_for

from ..models import ExportKind
from . import outbound
from .forms import OptInForm, OutboundExportForm
from .views import _organisation

# Exports that hand over a whole portfolio or property: organisation administrators only.
ADMIN_KINDS = {ExportKind.MARKET_STATISTICS, ExportKind.HANDOVER, ExportKind.FIRST_OFFER}


def _is_admin(user, organisation) -> bool:
    return role_for(user=user, organisation=organisation) == Role.ORG_ADMIN


def _columns() -> list[Column]:
    return [
        Column(_("Oprettet"), lambda e: e.created_at, "datetime", width=18),
        Column(_("Udtræk"), lambda e: e.get_kind_display(), width=34),
        Column(_("Modtager"), lambda e: e.recipient, width=30),
        Column(_("Status"), lambda e: e.get_status_display()),
        Column(_("Rækker"), lambda e: e.total, "int"),
        Column(
            _("Bestilt af"), lambda e: formatting.user_name(e.created_by) if e.created_by else ""
        ),
    ]


@login_required
def export_list(request):
    organisation = _organisation(request)
    exports = outbound.outbound_export_list(organisation=organisation)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("udtraek"),
            title=_("Udtræk til eksterne modtagere"),
            columns=_columns(),
            rows=exports.iterator(),
        )
    form = OutboundExportForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        if kind in ADMIN_KINDS and not _is_admin(request.user, organisation):
            raise PermissionDenied(_("Kun organisationsadministratorer kan lave dette udtræk."))
        try:
            export = outbound.outbound_export_create(
                organisation=organisation,
                kind=kind,
                actor=request.user,
                recipient=form.cleaned_data["recipient"],
                property=form.cleaned_data["property"],
                unit=form.cleaned_data["unit_address"],
                lease=form.cleaned_data["lease_number"],
                description=form.cleaned_data["description"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("gdpr:export_detail", pk=export.pk)
    return render(
        request,
        "gdpr/disclosure/exports.html",
        {
            "organisation": organisation,
            "form": form,
            "page": page_of(request, exports),
            "specs": [(ExportKind(k).label, spec) for k, spec in outbound.SPECS.items()],
            "opted_in": outbound.market_statistics_opted_in(organisation=organisation),
            "is_admin": _is_admin(request.user, organisation),
        },
    )


def _export(request, pk):
    organisation = _organisation(request)
    return get_object_or_404(outbound.outbound_export_list(organisation=organisation), pk=pk)


@login_required
def export_detail(request, pk):
    export = _export(request, pk)
    template = "gdpr/disclosure/export_progress.html" if request.htmx else None
    return render(
        request,
        template or "gdpr/disclosure/export_detail.html",
        {
            "export": export,
            "job": export,
            "poll_url": request.path,
            "spec": outbound.SPECS[export.kind],
        },
    )


@login_required
def export_download(request, pk):
    export = _export(request, pk)
    path = outbound.outbound_export_path(export)
    if path is None:
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True, filename=path.name)


@login_required
@require_POST
def market_opt_in(request):
    organisation = _organisation(request)
    if not _is_admin(request.user, organisation):
        raise PermissionDenied(_("Kun organisationsadministratorer kan tilmelde ejeren."))
    form = OptInForm(request.POST)
    form.is_valid()
    opted_in = bool(form.cleaned_data.get("opted_in"))
    outbound.market_statistics_opt_in_set(
        organisation=organisation, opted_in=opted_in, actor=request.user
    )
    messages.success(
        request,
        _("Ejeren deltager nu i markedsstatistik.")
        if opted_in
        else _("Ejeren deltager ikke længere i markedsstatistik."),
    )
    return redirect("gdpr:export_list")
