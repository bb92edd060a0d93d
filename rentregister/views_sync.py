"""The register kept in step (issue 12): the comparison with what the register holds, every
difference with one-click refiling (a lease removed by mistake is restored with the UDK
task), and sending the notification contacts to the register's settings. Thin: the rules
are in `rentregister.services.sync`."""

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
from core.pagination import page_of
from tenancy.scope import current_organisation
from tenancy.selectors import role_for

from .models import (
    NotificationContact,
    NotificationSettingsPush,
    RegisterComparison,
    RegisterDifference,
)
from .payload import field_label
from .services import sync


def _organisation(request):
    organisation = current_organisation(request)
    if organisation is None:
        raise Http404
    return organisation


def open_differences(organisation):
    return (
        RegisterDifference.objects.filter(organisation=organisation, refiled_by__isnull=True)
        .select_related("lease")
        .order_by("lease_number", "field", "pk")
    )


def _label(difference) -> str:
    return str(field_label(difference.field)) if difference.field else ""


def differences_xlsx(rows):
    columns = [
        Column(_("Lejemål"), lambda d: d.lease_number, width=14),
        Column(_("Forskel"), lambda d: d.get_kind_display(), width=22),
        Column(_("Felt"), _label, width=28),
        Column(_("Vores værdi"), lambda d: d.ours, width=30),
        Column(_("Registrets værdi"), lambda d: d.theirs, width=30),
        Column(_("Fundet"), lambda d: d.found_at, kind="datetime", width=18),
    ]
    return xlsx_response(
        filename=xlsx_filename("forskelle-huslejeregister"),
        title=_("Forskelle fra huslejeregistret"),
        columns=columns,
        rows=rows,
    )


@login_required
def sync_overview(request):
    organisation = _organisation(request)
    differences = open_differences(organisation)
    if request.GET.get("format") == "xlsx":
        return differences_xlsx(differences.iterator())
    page = page_of(request, differences)
    for difference in page:
        difference.label = _label(difference)
    return render(
        request,
        "rentregister/sync/overview.html",
        {
            "organisation": organisation,
            "last": RegisterComparison.objects.filter(organisation=organisation).first(),
            "page": page,
            "contacts": NotificationContact.objects.filter(
                organisation=organisation, active=True
            ).count(),
            "contacts_push": NotificationSettingsPush.objects.filter(
                organisation=organisation
            ).first(),
            "is_admin": role_for(user=request.user, organisation=organisation) == "org_admin",
        },
    )


@login_required
@require_POST
def sync_compare(request):
    organisation = _organisation(request)
    comparison = sync.register_compare(organisation=organisation)
    if comparison.error:
        messages.error(request, _("Registret kunne ikke læses: %s") % comparison.error)
    else:
        messages.success(
            request,
            _("%(n)d lejemål sammenlignet, %(d)d forskelle fundet.")
            % {"n": comparison.leases_compared, "d": comparison.differences},
        )
    return redirect("rentregister:sync")


@login_required
@require_POST
def sync_refile(request, pk):
    organisation = _organisation(request)
    difference = get_object_or_404(RegisterDifference, pk=pk, organisation=organisation)
    try:
        filing = sync.difference_refile(difference=difference, actor=request.user)
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Lejemål %(n)s er indberettet igen (%(k)s).")
            % {"n": difference.lease_number, "k": filing.get_kind_display()},
        )
    return redirect("rentregister:sync")


@login_required
@require_POST
def sync_contacts_push(request):
    organisation = _organisation(request)
    try:
        sync.check_admin(user=request.user, organisation=organisation)
    except PermissionDenied:
        raise Http404 from None
    push = sync.contacts_push(organisation=organisation)
    if push.error:
        messages.error(request, _("Kontaktpersonerne blev ikke sendt: %s") % push.error)
    else:
        messages.success(request, _("Kontaktpersonerne er sendt til registret."))
    return redirect("rentregister:sync")
