"""Excel downloads of the tenancy lists, and the pages of background export jobs.

Thin views: the rows come from `tenancy.exports` (same selector and FilterSet as the browser
list). Export files live under MEDIA_ROOT/exports/ and are only served here, to the user
who asked for them; they are never public media.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from core.errors import DomainError
from core.excel import xlsx_filename, xlsx_response

from .. import exports
from ..scope import current_organisation


@require_GET
@login_required
def export_download(request, kind: str):
    """The filtered list as .xlsx: directly up to EXPORT_SYNC_LIMIT rows, else a job."""
    spec = exports.export_spec(kind)
    organisation = current_organisation(request)
    if spec is None or organisation is None:
        raise Http404
    try:
        queryset = exports.export_queryset(
            spec=spec, user=request.user, organisation=organisation, query=request.GET
        )
    except DomainError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages), content_type="text/plain")
    total = queryset.count()
    if total <= settings.EXPORT_SYNC_LIMIT:
        return xlsx_response(
            filename=xlsx_filename(spec.stem),
            title=spec.title,
            columns=spec.columns,
            rows=exports.export_rows(spec, queryset),
        )
    job = exports.export_job_create(
        user=request.user,
        organisation=organisation,
        kind=kind,
        query=request.GET.urlencode(),
        total=total,
        language=get_language() or settings.LANGUAGE_CODE,
    )
    return redirect("tenancy:export_job", pk=job.pk)


def _job_or_404(request, pk: int):
    job = exports.export_job_get(user=request.user, pk=pk)
    if job is None:
        raise Http404
    return job


def _job_context(job) -> dict:
    spec = exports.export_spec(job.kind)
    return {
        "job": job,
        "title": spec.title if spec else job.kind,
        "poll_url": reverse("tenancy:export_job_status", args=[job.pk]),
    }


@require_GET
@login_required
def export_job_detail(request, pk: int):
    """A background export: progress bar while it runs, a download link when done."""
    job = _job_or_404(request, pk)
    return render(request, "tenancy/export_job.html", _job_context(job))


@require_GET
@login_required
def export_job_status(request, pk: int):
    """The progress fragment that htmx polls every second until the job is finished."""
    job = _job_or_404(request, pk)
    return render(request, "tenancy/export_job_status.html", _job_context(job))


@require_GET
@login_required
def export_job_file(request, pk: int):
    """The finished file, to its owner only."""
    job = _job_or_404(request, pk)
    if job.status != job.Status.DONE or not job.file:
        raise Http404
    path = exports.export_job_path(job)
    if not path.is_file():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=path.name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
