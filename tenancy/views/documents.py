"""Lease documents on the lease page: upload, list (with Excel) and download. Only the
organisation's staff reach them (the lease is found through the scoped selector); a file is
streamed from storage by this view, never from a public media URL."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core import formatting
from core.errors import DomainError
from core.excel import Column, xlsx_filename, xlsx_response
from core.forms import apply_domain_error

from .. import selectors, services
from ..forms import LeaseDocumentForm
from ..models import LeaseDocument
from ..scope import scoped


def _lease(request, pk):
    return get_object_or_404(scoped(request, selectors.lease_list), pk=pk)


def document_columns() -> list[Column]:
    return [
        Column(_("Type"), lambda d: d.get_kind_display()),
        Column(_("Titel"), lambda d: d.title),
        Column(_("Dokumentets dato"), lambda d: d.document_date, "date"),
        Column(_("Filnavn"), lambda d: d.original_name),
        Column(_("Filtype"), lambda d: d.content_type),
        Column(_("Størrelse (bytes)"), lambda d: d.size, "int"),
        Column(_("Uploadet"), lambda d: d.uploaded_at, "datetime"),
        Column(_("Uploadet af"), lambda d: formatting.user_name(d.uploaded_by)),
    ]


@login_required
@require_http_methods(["GET", "POST"])
def lease_documents(request, pk):
    """The lease's documents (?format=xlsx for Excel) and the upload form."""
    lease = _lease(request, pk)
    documents = LeaseDocument.objects.filter(lease=lease).select_related("uploaded_by")
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename(f"dokumenter-{lease.number}"),
            title=_("Dokumenter på lejemål %s") % lease.number,
            columns=document_columns(),
            rows=documents,
        )
    form = LeaseDocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lease_document_upload(
                lease=lease,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                document_date=form.cleaned_data["document_date"],
                upload=form.cleaned_data["file"],
                actor=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Dokumentet er gemt på lejemålet."))
            return redirect("tenancy:lease_documents", pk=lease.pk)
    return render(
        request,
        "tenancy/lease_documents.html",
        {
            "object": lease,
            "documents": documents,
            "form": form,
            "max_mb": settings.LEASE_DOCUMENT_MAX_MB,
        },
    )


@login_required
def lease_document_download(request, pk, document_pk):
    """Stream one document to a member of the lease's organisation."""
    lease = _lease(request, pk)
    document = get_object_or_404(LeaseDocument, lease=lease, pk=document_pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("Filen findes ikke længere i arkivet.")) from exc
    response = FileResponse(
        handle,
        content_type=document.content_type,
        as_attachment=request.GET.get("vis") != "1",
        filename=document.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
