"""The lease page and the lease lifecycle: create, edit terms, end, reinstate, change rent.
A tenant change is never an edit: end the lease and create a new one."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.forms import apply_domain_error

from .. import hooks, selectors, services
from ..errors import TenantChangeError
from ..forms import (
    LeaseCorrectForm,
    LeaseCreateForm,
    LeaseEditForm,
    LeaseEndForm,
    LeaseRentForm,
)
from ..history import history_entries
from ..scope import scoped
from ..terms import LEASE_TERMS


def _lease(request, pk):
    qs = scoped(request, selectors.lease_list).select_related("unit__entrance")
    return get_object_or_404(qs, pk=pk)


@login_required
def lease_detail(request, pk):
    lease = _lease(request, pk)
    return render(
        request,
        "tenancy/lease_detail.html",
        {
            "object": lease,
            "parties": list(lease.parties.all()),
            "history": history_entries(lease),
            # Other apps' panels (tenancy.hooks.lease_panels): the lease's filings and tasks.
            "panels": [panel(request, lease) for panel in hooks.lease_panels],
            "rent_periods": _rent_periods(lease),
            "documents": lease.documents.select_related("uploaded_by")[:10],
        },
    )


def _rent_periods(lease):
    """The lease's rent periods, newest first, each with its end and whether it is in
    force today or waiting for its date."""
    today = timezone.localdate()
    periods = list(lease.rent_periods.select_related("created_by").order_by("valid_from"))
    reference = max(today, lease.start_date)
    rows = []
    for index, period in enumerate(periods):
        following = periods[index + 1] if index + 1 < len(periods) else None
        until = following.valid_from - timedelta(days=1) if following else lease.end_date
        rows.append(
            {
                "period": period,
                "until": until,
                "current": period.valid_from <= reference
                and (following is None or following.valid_from > reference),
                "waiting": period.valid_from > reference,
            }
        )
    return rows[::-1]


@login_required
@require_http_methods(["GET", "POST"])
def lease_create(request, unit_pk):
    unit = get_object_or_404(scoped(request, selectors.unit_list), pk=unit_pk)
    people = scoped(request, selectors.person_list)
    form = LeaseCreateForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # a new person is not kept if the lease is refused
                parties = list(data["parties"])
                if data["new_party_name"]:
                    parties.append(
                        services.person_create(
                            organisation=unit.organisation,
                            name=data["new_party_name"],
                            cpr=data["new_party_cpr"],
                            cpr_basis=form.cpr_basis_value(),
                            actor=request.user,
                        )
                    )
                lease = services.lease_create(
                    unit=unit,
                    parties=parties,
                    start_date=data["start_date"],
                    rent=data["rent"],
                    actor=request.user,
                    **form.terms(),
                )
        except DomainError as exc:
            apply_domain_error(
                form,
                exc,
                {
                    "cpr": "new_party_cpr",
                    "name": "new_party_name",
                    "birth_date": "new_party_cpr",
                },
            )
        else:
            messages.success(request, _("Lejemål %s er oprettet.") % lease.number)
            return redirect("tenancy:lease_detail", pk=lease.pk)
    selected = list(form.cleaned_data.get("parties") or []) if form.is_bound else []
    return render(
        request,
        "tenancy/lease_form.html",
        {"form": form, "unit": unit, "selected_parties": selected, "mode": "create"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def lease_edit(request, pk):
    lease = _lease(request, pk)
    people = scoped(request, selectors.person_list)
    current_parties = list(lease.parties.all())
    initial = {name: getattr(lease, name) for name in LEASE_TERMS}
    initial.update(parties=current_parties, start_date=lease.start_date)
    form = LeaseEditForm(request.POST or None, people=people, initial=initial)
    selected = current_parties
    tenant_change = False
    if request.method == "POST":
        if form.is_valid():
            # Show what was submitted next to the error (add_error drops it from cleaned_data).
            selected = list(form.cleaned_data["parties"])
            try:
                services.lease_update(
                    lease=lease,
                    actor=request.user,
                    parties=list(form.cleaned_data["parties"]),
                    start_date=form.cleaned_data["start_date"],
                    **form.terms(),
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                tenant_change = isinstance(exc, TenantChangeError)
                lease.refresh_from_db()
            else:
                messages.success(request, _("Lejemålets vilkår er gemt."))
                return redirect("tenancy:lease_detail", pk=lease.pk)
        elif form.cleaned_data.get("parties") is not None:
            selected = list(form.cleaned_data["parties"])
    return render(
        request,
        "tenancy/lease_form.html",
        {
            "form": form,
            "lease": lease,
            "unit": lease.unit,
            "selected_parties": selected,
            "unselected_parties": [p for p in current_parties if p not in selected],
            "tenant_change": tenant_change,
            "mode": "edit",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def lease_end(request, pk):
    lease = _lease(request, pk)
    form = LeaseEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lease_end(
                lease=lease,
                end_date=form.cleaned_data["end_date"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
            lease.refresh_from_db()
        else:
            messages.success(
                request,
                _("Lejemål %(number)s er afsluttet pr. %(date)s.")
                % {"number": lease.number, "date": f"{lease.end_date:%d.%m.%Y}"},
            )
            return redirect("tenancy:lease_detail", pk=lease.pk)
    return render(
        request,
        "tenancy/lease_action.html",
        {
            "form": form,
            "lease": lease,
            "heading": _("Afslut lejemål %s") % lease.number,
            "submit": _("Afslut lejemål"),
            "danger": True,
            "intro": _(
                "Et lejerskifte er altid: afslut det gamle lejemål og opret et nyt. "
                "Afslutningen sendes til Huslejeregisteret, og boligstøtten stopper."
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def lease_reinstate(request, pk):
    lease = _lease(request, pk)
    errors = []
    if request.method == "POST":
        try:
            services.lease_reinstate(lease=lease, actor=request.user)
        except DomainError as exc:
            errors = exc.messages
            lease.refresh_from_db()
        else:
            messages.success(request, _("Lejemål %s er genoptaget.") % lease.number)
            return redirect("tenancy:lease_detail", pk=lease.pk)
    return render(
        request,
        "tenancy/lease_action.html",
        {
            "form": None,
            "errors": errors,
            "lease": lease,
            "heading": _("Genoptag lejemål %s") % lease.number,
            "submit": _("Genoptag lejemål"),
            "intro": _(
                "Brug kun genoptagelse, når lejemålet alligevel ikke ophører (fx en opsigelse "
                "registreret ved en fejl). Lejemålet løber videre uden slutdato."
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def lease_change_rent(request, pk):
    lease = _lease(request, pk)
    form = LeaseRentForm(request.POST or None, initial={"rent": lease.rent})
    if request.method == "POST" and form.is_valid():
        try:
            services.lease_change_rent(
                lease=lease,
                rent=form.cleaned_data["rent"],
                effective_date=form.cleaned_data["effective_date"],
                special_payments=form.cleaned_data["special_payments"],
                confirm_large_drop=form.cleaned_data["confirm_large_drop"],
                actor=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
            lease.refresh_from_db()
        else:
            if form.cleaned_data["effective_date"] > timezone.localdate():
                messages.success(
                    request,
                    _("Den nye husleje gælder fra %s; indtil da gælder den nuværende.")
                    % f"{form.cleaned_data['effective_date']:%d.%m.%Y}",
                )
            else:
                messages.success(request, _("Huslejen er ændret."))
            return redirect("tenancy:lease_detail", pk=lease.pk)
    return render(
        request,
        "tenancy/lease_action.html",
        {
            "form": form,
            "lease": lease,
            "heading": _("Ændr husleje for lejemål %s") % lease.number,
            "submit": _("Gem ny husleje"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def lease_correct(request, pk):
    """Correct wrong data filed earlier (terms and/or the rent of a period), with a reason.
    The rent register decides what UDK must be told (docs/domain.md, "Corrections")."""
    lease = _lease(request, pk)
    initial = {name: getattr(lease, name) for name in LEASE_TERMS}
    form = LeaseCorrectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.lease_correct(
                lease=lease,
                reason=data["reason"],
                rent=data["rent"],
                rent_effective_date=data["rent_effective_date"],
                confirm_large_drop=data["confirm_large_drop"],
                actor=request.user,
                **form.terms(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc, {"effective_date": "rent_effective_date"})
            lease.refresh_from_db()
        else:
            messages.success(request, _("Rettelsen er gemt og indberettes som en rettelse."))
            return redirect("tenancy:lease_detail", pk=lease.pk)
    return render(
        request,
        "tenancy/lease_correct.html",
        {
            "form": form,
            "lease": lease,
            "term_fields": [form[name] for name in LEASE_TERMS],
            "rent_periods": _rent_periods(lease),
        },
    )
