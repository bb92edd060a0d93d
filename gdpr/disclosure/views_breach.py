"""Screens of the breach register: the list, recording a breach, and one breach with its
deadline, persons affected, drafted notices and the report to Datatilsynet."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.excel import Column, xlsx_filename, xlsx_response
from core.forms import apply_domain_error
from core.pagination import page_of

from . import breaches, log
from .forms import BreachForm, BreachPeopleForm, BreachReportForm
from .views import _organisation


def _columns() -> list[Column]:
    return [
        Column(_("Opdaget"), lambda b: b.discovered_at, "datetime", width=18),
        Column(_("Overskrift"), lambda b: b.title, width=40),
        Column(_("Risiko"), lambda b: b.get_risk_display(), width=30),
        Column(_("Frist for anmeldelse"), lambda b: b.deadline, "datetime", width=18),
        Column(_("Anmeldt"), lambda b: b.reported_at, "datetime", width=18),
        Column(_("Datatilsynets j.nr."), lambda b: b.authority_reference),
        Column(_("Afsluttet"), lambda b: b.closed_at, "datetime", width=18),
    ]


@login_required
def breach_list(request):
    organisation = _organisation(request)
    items = breaches.breach_list(organisation=organisation)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("sikkerhedsbrud"),
            title=_("Brud på persondatasikkerheden"),
            columns=_columns(),
            rows=items.iterator(),
        )
    form = BreachForm(request.POST or None, initial={"discovered_at": timezone.localtime()})
    if request.method == "POST" and form.is_valid():
        try:
            breach = breaches.breach_create(
                organisation=organisation, actor=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("gdpr:breach_detail", pk=breach.pk)
    return render(
        request,
        "gdpr/disclosure/breaches.html",
        {"page": page_of(request, items), "form": form, "now": timezone.now()},
    )


def _breach(request, pk):
    return get_object_or_404(breaches.breach_list(organisation=_organisation(request)), pk=pk)


@login_required
def breach_detail(request, pk):
    breach = _breach(request, pk)
    people = breaches.breach_people(breach=breach)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("sikkerhedsbrud-berorte"),
            title=_("Berørte personer"),
            columns=[
                Column(_("Navn"), lambda link: link.person.name, width=30),
                Column(_("E-mail"), lambda link: link.person.email, width=30),
                Column(_("Fundet via"), lambda link: link.source, width=30),
                Column(_("Underrettet"), lambda link: link.notified_at, "datetime", width=18),
            ],
            rows=people.iterator(),
        )
    return render(
        request,
        "gdpr/disclosure/breach_detail.html",
        {
            "breach": breach,
            "page": page_of(request, people),
            "drafts": breaches.notification_drafts(breach=breach)[:3],
            "report_form": BreachReportForm(initial={"reported_at": timezone.localtime()}),
            "people_form": BreachPeopleForm(organisation=breach.organisation),
            "overdue": breach.reported_at is None and breach.deadline < timezone.now(),
        },
    )


def _done(request, breach, text):
    messages.success(request, text)
    return redirect("gdpr:breach_detail", pk=breach.pk)


def _failed(request, breach, exc):
    messages.error(request, " ".join(exc.messages))
    return redirect("gdpr:breach_detail", pk=breach.pk)


@login_required
@require_POST
def breach_people_add(request, pk):
    breach = _breach(request, pk)
    form = BreachPeopleForm(request.POST, organisation=breach.organisation)
    if not form.is_valid():
        return _failed(request, breach, DomainError(_("Vælg en videregivelse eller en ejendom.")))
    added = 0
    try:
        number = form.cleaned_data["disclosure"]
        if number:
            disclosure = (
                log.disclosure_list(organisation=breach.organisation).filter(pk=number).first()
            )
            if disclosure is None:
                raise DomainError(_("Ingen videregivelse med det nummer."))
            added += breaches.breach_add_from_disclosure(breach=breach, disclosure=disclosure)
        if form.cleaned_data["property"]:
            added += breaches.breach_add_from_property(
                breach=breach, property=form.cleaned_data["property"]
            )
    except DomainError as exc:
        return _failed(request, breach, exc)
    return _done(request, breach, _("%d berørte tilføjet.") % added)


@login_required
@require_POST
def breach_report(request, pk):
    breach = _breach(request, pk)
    form = BreachReportForm(request.POST)
    if not form.is_valid():
        return _failed(request, breach, DomainError(_("Angiv tidspunktet for anmeldelsen.")))
    try:
        breaches.breach_report(
            breach=breach,
            reported_at=form.cleaned_data["reported_at"],
            reference=form.cleaned_data["reference"],
            late_reason=form.cleaned_data["late_reason"],
        )
    except DomainError as exc:
        return _failed(request, breach, exc)
    return _done(request, breach, _("Anmeldelsen til Datatilsynet er registreret."))


@login_required
@require_POST
def breach_notify(request, pk):
    breach = _breach(request, pk)
    try:
        counts = breaches.breach_notify(breach=breach)
    except DomainError as exc:
        return _failed(request, breach, exc)
    return _done(
        request,
        breach,
        _("%(emailed)d underrettet pr. e-mail; %(letters)d skal have brev.") % counts,
    )


@login_required
@require_POST
def breach_close(request, pk):
    breach = _breach(request, pk)
    try:
        breaches.breach_close(breach=breach)
    except DomainError as exc:
        return _failed(request, breach, exc)
    return _done(request, breach, _("Sagen er afsluttet."))
