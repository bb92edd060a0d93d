"""Screens of the retention schedule (docs/privacy.md): the schedule with what the next run
will do, the preview of who and what, the runs with their progress, and the person page's
"run retention" button. Every list downloads as Excel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import formatting
from core.errors import DomainError
from core.excel import Column, xlsx_filename, xlsx_response
from core.pagination import page_of
from tenancy.scope import current_organisation
from tenancy.selectors import person_list

from . import selectors, services, tasks


def _organisation(request):
    organisation = current_organisation(request)
    if organisation is None:
        raise Http404
    return organisation


def _rule_columns() -> list[Column]:
    return [
        Column(_("Kategori"), lambda r: r.title, width=36),
        Column(_("Oplysninger"), lambda r: r.description, width=50),
        Column(_("Periode"), lambda r: r.period_label, width=12),
        Column(_("Regnes fra"), lambda r: r.starts, width=30),
        Column(_("Handling"), lambda r: r.get_action_display(), width=26),
        Column(_("Retsgrundlag og begrundelse"), lambda r: r.legal_basis, width=80),
        Column(_("Aktiv"), lambda r: _("Ja") if r.enabled else _("Nej")),
    ]


@login_required
def schedule(request):
    """The schedule (sletteguide) and, per rule, what the next run will do."""
    organisation = _organisation(request)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("sletteguide"),
            title=_("Sletteguide"),
            columns=_rule_columns(),
            rows=services.rules(),
        )
    return render(
        request,
        "gdpr/retention/schedule.html",
        {
            "organisation": organisation,
            "rows": services.preview(organisation=organisation, sample=0),
            "disabled": services.rules().filter(enabled=False),
            "runs": selectors.run_list(user=request.user, organisation=organisation)[:5],
            "open_run": services.run_unfinished(organisation=organisation),
        },
    )


def _preview_columns() -> list[Column]:
    return [
        Column(_("Kategori"), lambda p: p[0].rule.title, width=30),
        Column(_("Person"), lambda p: p[1].label, width=30),
        Column(_("Oplysning"), lambda p: p[1].detail, width=30),
        Column(_("Periode udløbet"), lambda p: timezone.localtime(p[0].cutoff).date(), "date"),
        Column(
            _("Bevares fordi"),
            lambda p: " ".join(k.reason for k in p[1].keep if k.blocks),
            width=60,
        ),
    ]


@login_required
def preview(request):
    """Who and what the next run will anonymise or delete in the organisation."""
    organisation = _organisation(request)
    sample = 2000 if request.GET.get("format") == "xlsx" else services.PREVIEW_PEOPLE
    rows = services.preview(organisation=organisation, sample=sample)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("sletning-forhaandsvisning"),
            title=_("Næste sletningskørsel"),
            columns=_preview_columns(),
            rows=[(row, person) for row in rows for person in row.people],
        )
    return render(
        request,
        "gdpr/retention/preview.html",
        {
            "organisation": organisation,
            "rows": rows,
            "open_run": services.run_unfinished(organisation=organisation),
        },
    )


def _run_columns() -> list[Column]:
    return [
        Column(_("Oprettet"), lambda r: r.created_at, "datetime", width=18),
        Column(_("Omfang"), lambda r: r.organisation.name if r.organisation else _("Alle")),
        Column(_("Startet af"), lambda r: formatting.user_name(r.started_by, system=_("Planlagt"))),
        Column(_("Status"), lambda r: r.get_status_display()),
        Column(_("I alt"), lambda r: r.total, "int"),
        Column(_("Udført"), lambda r: r.done, "int"),
        Column(_("Bevaret"), lambda r: r.failed, "int"),
        Column(_("Afsluttet"), lambda r: r.finished_at, "datetime", width=18),
    ]


@login_required
def run_list(request):
    organisation = _organisation(request)
    runs = selectors.run_list(user=request.user, organisation=organisation)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("sletningskoersler"),
            title=_("Sletningskørsler"),
            columns=_run_columns(),
            rows=runs.iterator(chunk_size=2000),
        )
    return render(
        request,
        "gdpr/retention/runs.html",
        {"organisation": organisation, "page": page_of(request, runs)},
    )


def _run(request, pk):
    organisation = _organisation(request)
    return get_object_or_404(
        selectors.run_list(user=request.user, organisation=organisation), pk=pk
    )


def _counts(run) -> list[tuple[str, int]]:
    titles = {r.key: r.title for r in services.rules()}
    return [(titles.get(key, key), count) for key, count in run.counts.items()]


@login_required
def run_detail(request, pk):
    run = _run(request, pk)
    kept = selectors.kept_list(run=run)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("sletning-bevaret"),
            title=_("Bevaret ved sletningskørsel"),
            columns=[
                Column(_("Kategori"), lambda k: k.key),
                Column(_("Person-id"), lambda k: k.person_id or ""),
                Column(_("Ansøger-id"), lambda k: k.applicant_id or ""),
                Column(_("Begrundelse"), lambda k: k.reason, width=80),
            ],
            rows=kept.iterator(chunk_size=2000),
        )
    return render(
        request,
        "gdpr/retention/run_detail.html",
        {
            "run": run,
            "counts": _counts(run),
            "kept": page_of(request, kept),
            "poll_url": reverse("gdpr:retention_run_progress", args=[run.pk]),
        },
    )


@login_required
def run_progress(request, pk):
    """The progress bar alone (htmx polls it while the run works)."""
    run = _run(request, pk)
    response = render(
        request,
        "gdpr/retention/run_progress.html",
        {"job": run, "poll_url": reverse("gdpr:retention_run_progress", args=[run.pk])},
    )
    if run.is_finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def run_start(request):
    organisation = _organisation(request)
    try:
        run = services.run_create(organisation=organisation, user=request.user)
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("gdpr:retention_preview")
    tasks.run_dispatch(run.pk)
    messages.success(request, _("Sletningskørslen er startet."))
    return redirect("gdpr:retention_run_detail", pk=run.pk)


@login_required
@require_POST
def run_resume(request, pk):
    run = _run(request, pk)
    try:
        services.run_resume(run=run)
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        tasks.run_dispatch(run.pk)
        messages.success(request, _("Kørslen fortsætter, hvor den slap."))
    return redirect("gdpr:retention_run_detail", pk=run.pk)


@login_required
@require_POST
def person_anonymise(request, pk):
    """Run retention for one former tenant (the person page's button)."""
    organisation = _organisation(request)
    person = get_object_or_404(person_list(user=request.user, organisation=organisation), pk=pk)
    try:
        services.person_anonymise_due(person=person, user=request.user)
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Personen er anonymiseret. Lejedokumenterne er bevaret."))
    return redirect("tenancy:person_detail", pk=person.pk)
