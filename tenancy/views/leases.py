"""The lease page and the lease lifecycle: create, edit terms, end, reinstate, change rent.
A tenant change is never an edit: end the lease and create a new one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.forms import apply_domain_error

from .. import selectors, services
from ..errors import TenantChangeError
from ..forms import LeaseCreateForm, LeaseEditForm, LeaseEndForm, LeaseRentForm
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
        {"object": lease, "parties": list(lease.parties.all()), "history": history_entries(lease)},
    )


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
                {"cpr": "new_party_cpr", "name": "new_party_name", "birth_date": "new_party_cpr"},
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
                actor=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
            lease.refresh_from_db()
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
