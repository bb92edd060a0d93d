"""Screens of data discovery: the organisation's findings with one-click redact and dismiss,
and starting a scan (organisation administrators)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.excel import Column, xlsx_filename, xlsx_response
from core.pagination import page_of

from ..models import DiscoveryRun, FindingKind, FindingStatus
from . import discovery
from .views import _organisation
from .views_outbound import _is_admin


def _columns() -> list[Column]:
    return [
        Column(_("Senest fundet"), lambda f: f.last_seen, "datetime", width=18),
        Column(_("Type"), lambda f: f.get_kind_display()),
        Column(_("Fundet (maskeret)"), lambda f: f.masked, width=20),
        Column(_("Sted"), lambda f: f.location, width=40),
        Column(_("Sammenhæng"), lambda f: f.context, width=60),
        Column(_("Kendt person"), lambda f: f.person.public_name if f.person else ""),
        Column(_("Status"), lambda f: f.get_status_display()),
        Column(_("Hvad der skete"), lambda f: f.resolution, width=30),
    ]


def _filtered(request, organisation):
    findings = discovery.finding_list(organisation=organisation)
    status = request.GET.get("status", FindingStatus.OPEN)
    kind = request.GET.get("kind", "")
    if status in FindingStatus.values:
        findings = findings.filter(status=status)
    if kind in FindingKind.values:
        findings = findings.filter(kind=kind)
    return findings, status, kind


@login_required
def finding_list(request):
    organisation = _organisation(request)
    findings, status, kind = _filtered(request, organisation)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("persondata-fund"),
            title=_("Fund af persondata"),
            columns=_columns(),
            rows=findings.iterator(),
        )
    run = DiscoveryRun.objects.order_by("-pk").first()
    if request.htmx and run is not None:
        return render(request, "includes/progress.html", {"job": run, "poll_url": request.path})
    return render(
        request,
        "gdpr/disclosure/findings.html",
        {
            "organisation": organisation,
            "page": page_of(request, findings),
            "status": status,
            "kind": kind,
            "statuses": FindingStatus.choices,
            "kinds": FindingKind.choices,
            "run": run,
            "job": run,
            "poll_url": request.path,
            "is_admin": _is_admin(request.user, organisation),
        },
    )


@login_required
@require_POST
def discovery_start(request):
    organisation = _organisation(request)
    if not _is_admin(request.user, organisation):
        raise PermissionDenied(_("Kun organisationsadministratorer kan starte en scanning."))
    discovery.discovery_run_create(actor=request.user)
    messages.success(request, _("Scanningen er startet."))
    return redirect("gdpr:finding_list")


def _finding(request, pk):
    organisation = _organisation(request)
    return get_object_or_404(discovery.finding_list(organisation=organisation), pk=pk)


@login_required
@require_POST
def finding_redact(request, pk):
    finding = _finding(request, pk)
    try:
        discovery.finding_redact(finding=finding, actor=request.user)
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(what)s er fjernet.") % {"what": finding.masked})
    return redirect("gdpr:finding_list")


@login_required
@require_POST
def finding_dismiss(request, pk):
    finding = _finding(request, pk)
    try:
        discovery.finding_dismiss(
            finding=finding, actor=request.user, reason=request.POST.get("reason", "")[:300]
        )
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Fundet er afvist og vises ikke igen."))
    return redirect("gdpr:finding_list")
