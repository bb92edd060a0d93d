"""The GDPR panel on the person page and its actions, the consent register and the
data-subject request screens (issue 15). Reads through gdpr.selectors (scoped to the
organisation the user works in), writes through the gdpr.subject services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import formatting
from core.errors import DomainError
from core.excel import Column, xlsx_filename, xlsx_response
from core.pagination import page_of
from tenancy.scope import current_organisation, scoped
from tenancy.selectors import person_list

from .. import selectors
from ..disclosure import log as disclosure_log
from ..models import Objection, RequestKind, RequestStatus, Restriction
from . import bundle, erasure, rights
from . import requests as subject_requests
from .forms import (
    ConsentGiveForm,
    EvidenceForm,
    ObjectionForm,
    ReasonForm,
    RequestCloseForm,
    RequestCreateForm,
)


def _person(request, pk):
    return get_object_or_404(scoped(request, person_list), pk=pk)


def _back(person_pk: int):
    return redirect(reverse("tenancy:person_detail", args=[person_pk]) + "#gdpr")


def _error(request, exc: DomainError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _run(request, form, action, success: str) -> None:
    """Validate the form, run the service; put the outcome in the messages."""
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return
    try:
        action(form.cleaned_data)
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(request, success)


# --- the panel on the person page (tenancy.hooks.person_panels) -------------------------------


def person_panel(request, person) -> str:
    """Consents, objections, restriction and requests of the person, with their forms."""
    return render_to_string(
        "gdpr/subject/person_panel.html",
        {
            "person": person,
            **selectors.person_register(person=person),
            "consent_form": ConsentGiveForm(),
            "objection_form": ObjectionForm(),
            "request_form": RequestCreateForm(),
        },
        request=request,
    )


@login_required
@require_POST
def consent_give(request, person_pk):
    person = _person(request, person_pk)
    _run(
        request,
        ConsentGiveForm(request.POST),
        lambda data: rights.consent_give(person=person, actor=request.user, **data),
        _("Samtykket er registreret."),
    )
    return _back(person.pk)


@login_required
@require_POST
def consent_withdraw(request, pk):
    consent = get_object_or_404(
        selectors.consent_list(organisation=current_organisation(request)), pk=pk
    )
    _run(
        request,
        EvidenceForm(request.POST),
        lambda data: rights.consent_withdraw(consent=consent, actor=request.user, **data),
        _("Tilbagekaldelsen er registreret."),
    )
    return _back(consent.person_id)


@login_required
@require_POST
def objection_record(request, person_pk):
    person = _person(request, person_pk)
    _run(
        request,
        ObjectionForm(request.POST),
        lambda data: rights.objection_record(person=person, actor=request.user, **data),
        _("Indsigelsen er registreret."),
    )
    return _back(person.pk)


@login_required
@require_POST
def objection_withdraw(request, pk):
    objection = get_object_or_404(
        Objection.objects.filter(organisation=current_organisation(request)), pk=pk
    )
    try:
        rights.objection_withdraw(objection=objection, actor=request.user)
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Indsigelsen er trukket tilbage."))
    return _back(objection.person_id)


@login_required
@require_POST
def restriction_start(request, person_pk):
    person = _person(request, person_pk)
    _run(
        request,
        ReasonForm(request.POST),
        lambda data: rights.restriction_start(person=person, actor=request.user, **data),
        _("Behandlingen af personens oplysninger er begrænset."),
    )
    return _back(person.pk)


@login_required
@require_POST
def restriction_lift(request, pk):
    restriction = get_object_or_404(
        Restriction.objects.filter(organisation=current_organisation(request)), pk=pk
    )
    _run(
        request,
        ReasonForm(request.POST),
        lambda data: rights.restriction_lift(restriction=restriction, actor=request.user, **data),
        _("Begrænsningen er ophævet."),
    )
    return _back(restriction.person_id)


@login_required
@require_POST
def request_create(request, person_pk):
    person = _person(request, person_pk)
    form = RequestCreateForm(request.POST)
    if not form.is_valid():
        _run(request, form, None, "")
        return _back(person.pk)
    try:
        created = subject_requests.request_create(
            person=person, actor=request.user, **form.cleaned_data
        )
    except DomainError as exc:
        _error(request, exc)
        return _back(person.pk)
    messages.success(
        request,
        _("Anmodningen er registreret. Frist: %s.") % formatting.day(created.deadline),
    )
    return redirect("gdpr:request_detail", pk=created.pk)


# --- the consent register ---------------------------------------------------------------------


def _consent_columns() -> list[Column]:
    return [
        Column(_("Person"), lambda c: c.person.public_name),
        Column(_("Formål"), lambda c: c.get_purpose_display()),
        Column(_("Grundlag"), lambda c: c.get_basis_display()),
        Column(_("Givet"), lambda c: c.given_at, "datetime"),
        Column(_("Registreret af"), lambda c: formatting.user_name(c.given_by)),
        Column(_("Dokumentation"), lambda c: c.evidence),
        Column(_("Trukket tilbage"), lambda c: c.withdrawn_at, "datetime"),
        Column(_("Tilbagekaldelse registreret af"), lambda c: formatting.user_name(c.withdrawn_by)),
        Column(_("Dokumentation for tilbagekaldelse"), lambda c: c.withdrawal_evidence),
    ]


@login_required
def consent_list(request):
    """Every consent and recorded basis of the organisation (?format=xlsx for Excel)."""
    consents = selectors.consent_list(organisation=current_organisation(request))
    state = request.GET.get("status", "")
    if state == "active":
        consents = consents.filter(withdrawn_at__isnull=True)
    elif state == "withdrawn":
        consents = consents.filter(withdrawn_at__isnull=False)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("samtykker"),
            title=_("Samtykker og grundlag"),
            columns=_consent_columns(),
            rows=consents.iterator(chunk_size=2000),
        )
    return render(
        request,
        "gdpr/subject/consent_list.html",
        {"page": page_of(request, consents), "status": state},
    )


# --- data-subject requests --------------------------------------------------------------------


def _request_columns() -> list[Column]:
    return [
        Column(_("Nr."), lambda r: r.pk, "int"),
        Column(_("Type"), lambda r: r.get_kind_display()),
        Column(_("Person"), lambda r: r.person.public_name),
        Column(_("Modtaget"), lambda r: r.received_on, "date"),
        Column(_("Frist"), lambda r: r.deadline, "date"),
        Column(_("Forlænget"), lambda r: _("Ja") if r.extended else _("Nej")),
        Column(_("Begrundelse for forlængelse"), lambda r: r.extension_reason),
        Column(_("Status"), lambda r: r.get_status_display()),
        Column(_("Afsluttet"), lambda r: r.closed_at, "datetime"),
        Column(_("Afsluttet af"), lambda r: formatting.user_name(r.closed_by)),
    ]


@login_required
def request_list(request):
    """The request register with deadlines (?status=, ?kind=, ?format=xlsx)."""
    found = selectors.subject_request_list(organisation=current_organisation(request))
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    if status in RequestStatus.values:
        found = found.filter(status=status)
    if kind in RequestKind.values:
        found = found.filter(kind=kind)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("gdpr-anmodninger"),
            title=_("Anmodninger fra de registrerede"),
            columns=_request_columns(),
            rows=found.iterator(chunk_size=2000),
        )
    return render(
        request,
        "gdpr/subject/request_list.html",
        {
            "page": page_of(request, found),
            "status": status,
            "kind": kind,
            "statuses": RequestStatus.choices,
            "kinds": RequestKind.choices,
            "warn_days": subject_requests.warn_days(),
        },
    )


def _subject_request(request, pk):
    return get_object_or_404(
        selectors.subject_request_list(organisation=current_organisation(request)), pk=pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request, pk):
    """One request: its deadline, what the person asked, the work for its kind, and the
    forms to extend the deadline once and to close it."""
    subject_request = _subject_request(request, pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "extend":
            _run(
                request,
                ReasonForm(request.POST),
                lambda data: subject_requests.request_extend(
                    request=subject_request, actor=request.user, **data
                ),
                _("Fristen er forlænget med to måneder."),
            )
        elif action == "close":
            _run(
                request,
                RequestCloseForm(request.POST),
                lambda data: subject_requests.request_close(
                    request=subject_request, actor=request.user, **data
                ),
                _("Anmodningen er afsluttet."),
            )
        else:
            messages.error(request, _("Ukendt handling."))
        return redirect("gdpr:request_detail", pk=subject_request.pk)
    return render(
        request,
        "gdpr/subject/request_detail.html",
        {
            "object": subject_request,
            "person": subject_request.person,
            "close_form": RequestCloseForm(),
            "work": request_work(subject_request),
            **selectors.person_register(person=subject_request.person),
        },
    )


def request_work(subject_request) -> dict:
    """What the request screen shows for the request's kind: the erasure plan (what goes,
    what stays and why), the recipients to tell of a rectification."""
    kind = subject_request.kind
    if kind == RequestKind.ERASURE:
        return {"plan": erasure.erasure_plan(subject_request.person)}
    if kind == RequestKind.RECTIFICATION:
        person = subject_request.person
        return {
            "recipients": disclosure_log.person_recipients(person=person),
            "disclosures": list(disclosure_log.person_disclosures(person=person)[:50]),
        }
    return {}


def _download(result: bundle.Bundle) -> HttpResponse:
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def request_access(request, pk):
    """The access bundle (ZIP: readable HTML + JSON) for an access request."""
    subject_request = _subject_request(request, pk)
    if subject_request.kind != RequestKind.ACCESS:
        raise Http404(_("Indsigtspakken hører til en anmodning om indsigt."))
    return _download(bundle.access_bundle(request=subject_request, actor=request.user))


@login_required
def request_portability(request, pk, fmt):
    """The data the person gave, as JSON or CSV, for a portability request."""
    subject_request = _subject_request(request, pk)
    if subject_request.kind != RequestKind.PORTABILITY or fmt not in ("json", "csv"):
        raise Http404(_("Dataudtrækket hører til en anmodning om dataportabilitet."))
    return _download(
        bundle.portability_export(request=subject_request, fmt=fmt, actor=request.user)
    )


@login_required
@require_POST
def request_erase(request, pk):
    """Anonymise what can go now (organisation administrators only)."""
    subject_request = _subject_request(request, pk)
    require_admin(request)
    try:
        changed = erasure.erasure_perform(request=subject_request, actor=request.user)
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            _("Personens oplysninger er anonymiseret, hvor intet skal bevares (%d rækker).")
            % sum(changed.values()),
        )
    return redirect("gdpr:request_detail", pk=subject_request.pk)


def require_admin(request) -> None:
    from tenancy.choices import Role
    from tenancy.selectors import role_for

    organisation = current_organisation(request)
    if organisation is None or role_for(user=request.user, organisation=organisation) != (
        Role.ORG_ADMIN
    ):
        raise PermissionDenied(_("Kun organisationens administratorer kan gøre dette."))
