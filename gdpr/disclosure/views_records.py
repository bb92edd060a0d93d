"""Screens for controller and processors: the owner's processors with their agreements, and
the record of processing activities (Art. 30) as a printable Danish document."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.excel import Column, xlsx_filename, xlsx_response
from core.forms import apply_domain_error
from core.pagination import page_of

from . import records
from .forms import ProcessorForm
from .views import _organisation
from .views_outbound import _is_admin


def _columns() -> list[Column]:
    return [
        Column(_("Navn"), lambda p: p.name, width=30),
        Column(_("CVR"), lambda p: p.cvr),
        Column(_("Rolle"), lambda p: p.get_role_display(), width=30),
        Column(
            _("Underdatabehandler for"),
            lambda p: p.sub_processor_of.name if p.sub_processor_of else "",
            width=30,
        ),
        Column(_("Opgave"), lambda p: p.service, width=40),
        Column(_("Land"), lambda p: p.country),
        Column(_("Aftale indgået"), lambda p: p.agreement_date, "date"),
        Column(_("Aftale udløber"), lambda p: p.agreement_ends, "date"),
    ]


@login_required
def processor_list(request):
    organisation = _organisation(request)
    processors = records.processor_list(organisation=organisation)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("databehandlere"),
            title=_("Databehandlere"),
            columns=_columns(),
            rows=processors.iterator(),
        )
    is_admin = _is_admin(request.user, organisation)
    form = ProcessorForm(request.POST or None, organisation=organisation)
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied(
                _("Kun organisationsadministratorer kan registrere databehandlere.")
            )
        if form.is_valid():
            try:
                records.processor_save(
                    organisation=organisation, actor=request.user, **form.cleaned_data
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Databehandleren er registreret."))
                return redirect("gdpr:processor_list")
    return render(
        request,
        "gdpr/disclosure/processors.html",
        {
            "page": page_of(request, processors),
            "form": form,
            "is_admin": is_admin,
            "organisation": organisation,
        },
    )


@login_required
@require_POST
def processor_end(request, pk):
    organisation = _organisation(request)
    processor = get_object_or_404(records.processor_list(organisation=organisation), pk=pk)
    if not _is_admin(request.user, organisation):
        raise PermissionDenied(_("Kun organisationsadministratorer kan afslutte aftaler."))
    try:
        records.processor_end(processor=processor)
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Aftalen med databehandleren er afsluttet i dag."))
    return redirect("gdpr:processor_list")


@login_required
def processing_record(request):
    organisation = _organisation(request)
    record = records.processing_record(organisation=organisation)
    return render(request, "gdpr/disclosure/record.html", {"record": record})
