"""Browser screens for CPR lookups: overview with the ad-hoc form, lookup result, log,
ledger, scans with progress, reconciliation. Thin: selectors read, services write, a
DomainError becomes a form error or a message."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import charts
from core.errors import DomainError
from core.forms import apply_domain_error
from core.pagination import page_of
from tenancy.models import Entrance, Unit
from tenancy.scope import current_organisation
from tenancy.selectors import person_list, role_for

from . import exports, selectors, services
from .forms import LookupForm, ReconciliationFilterForm, ScanSettingForm
from .models import ScanJob


def _organisation(request):
    organisation = current_organisation(request)
    if organisation is None:
        raise PermissionDenied(_("Du er ikke medlem af nogen organisation."))
    return organisation


def _can_scan(user, organisation) -> bool:
    return role_for(user=user, organisation=organisation) in ("org_admin", "cpr_officer")


def _has_scanned(user, organisation) -> bool:
    """Whether a scan of the organisation has finished: before that the reconciliation has
    nothing to compare, and its zeros must not read as "all clear"."""
    return (
        selectors.scan_job_list(user=user, organisation=organisation)
        .filter(finished_at__isnull=False)
        .exists()
    )


def _disagreement_chart(disagreements):
    url = reverse("cprlookup:reconciliation")
    return charts.bar_chart(
        [
            charts.Bar(str(label), n, "warn", f"{url}?kategori={key}")
            for key, label, n in disagreements
        ],
        title=_("Uoverensstemmelser mellem lejemål og CPR"),
    )


def _cost_chart(user, organisation):
    """CPR cost per month, the last 12 months (months without cost included)."""
    months = charts.last_months(12)
    rows = (
        selectors.charge_list(user=user, organisation=organisation)
        .filter(month__gte=months[0])
        .order_by()
        .values_list("month")
        .annotate(total=Sum("amount"))
    )
    found = dict(rows)
    return charts.column_chart(
        [(date_format(m, "b"), found.get(m, 0)) for m in months],
        title=_("CPR-omkostninger pr. måned, seneste 12 måneder"),
        money=True,
    )


def _disagreement_rows_for(user, organisation):
    counts = selectors.disagreement_counts(user=user, organisation=organisation)
    return [(key, selectors.category_label(key), counts[key]) for key in selectors.CATEGORIES]


def dashboard_panel(request, organisation) -> str:
    """The CPR pictures on tenancy's dashboard (tenancy.hooks.dashboard_panels)."""
    scanned = _has_scanned(request.user, organisation)
    return render_to_string(
        "cprlookup/includes/dashboard_panel.html",
        {
            "scanned": scanned,
            "disagreement_chart": _disagreement_chart(
                _disagreement_rows_for(request.user, organisation)
            )
            if scanned
            else "",
            "cost_chart": _cost_chart(request.user, organisation),
        },
        request=request,
    )


def person_panel(request, person) -> str:
    """The CPR lookups whose answer included the person, on tenancy's person page
    (tenancy.hooks.person_panels): the latest five and a link to all of them."""
    lookups = selectors.lookups_touching_person(user=request.user, person=person)
    return render_to_string(
        "cprlookup/includes/person_panel.html",
        {"person": person, "lookups": list(lookups[:5]), "count": lookups.count()},
        request=request,
    )


@login_required
def index(request):
    """Overview: ad-hoc lookup form, recent lookups, scans, this month's cost and the
    reconciliation counts. POST performs a lookup and shows its result."""
    organisation = _organisation(request)
    initial = {}
    for name in ("unit", "entrance"):
        if request.GET.get(name, "").isdigit():
            initial[name] = int(request.GET[name])
    form = LookupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            lookup = services.cpr_lookup_perform(
                user=request.user,
                organisation=organisation,
                purpose=form.cleaned_data["purpose"],
                **form.target_kwargs(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc, _LOOKUP_FIELD_MAP)
        else:
            return redirect("cprlookup:lookup_detail", pk=lookup.pk)
    target_label = ""
    if initial.get("unit"):
        unit = Unit.objects.filter(organisation=organisation, pk=initial["unit"]).first()
        target_label = unit.address if unit else ""
    elif initial.get("entrance"):
        entrance = Entrance.objects.filter(
            organisation=organisation, pk=initial["entrance"]
        ).first()
        target_label = _("Hele opgangen %s") % entrance.address if entrance else ""
    disagreements = _disagreement_rows_for(request.user, organisation)
    scanned = _has_scanned(request.user, organisation)
    context = {
        "organisation": organisation,
        "price": settings.CPR_SEARCH_PRICE,
        "form": form,
        "target_label": target_label,
        "eligibility_problem": services.eligibility_error(organisation),
        "lookups": selectors.lookup_list(user=request.user, organisation=organisation)[:10],
        "jobs": selectors.scan_job_list(user=request.user, organisation=organisation)[:5],
        "month_total": selectors.charge_month_total(user=request.user, organisation=organisation),
        "disagreements": disagreements,
        "scanned": scanned,
        "disagreement_chart": _disagreement_chart(disagreements) if scanned else "",
        "cost_chart": _cost_chart(request.user, organisation),
        "events": selectors.event_list(user=request.user, organisation=organisation)[:10],
        "can_scan": _can_scan(request.user, organisation),
    }
    return render(request, "cprlookup/index.html", context)


# Where a lookup's errors belong on the form (the address fields are all typed in "value").
_LOOKUP_FIELD_MAP = {
    "dar_address_id": "value",
    "dar_house_id": "value",
    "address": "value",
    "unit_id": None,
    "entrance_id": None,
}


def _lookup(request, pk):
    lookup = selectors.lookup_get(user=request.user, pk=pk)
    organisation = current_organisation(request)
    # One scope per browser session: the organisation the user works in (architecture.md).
    if lookup is None or organisation is None or lookup.organisation_id != organisation.pk:
        raise Http404
    return lookup


@login_required
def lookup_detail(request, pk):
    lookup = _lookup(request, pk)
    return render(
        request,
        "cprlookup/lookup_detail.html",
        {
            "lookup": lookup,
            "residents": list(selectors.lookup_residents(lookup=lookup)),
        },
    )


@login_required
def lookup_excel(request, pk):
    lookup = _lookup(request, pk)
    # Masked here; full CPR numbers only with a logged purpose (views_records, issue 12).
    residents = selectors.lookup_residents(lookup=lookup)
    exports.download_disclosed(
        user=request.user,
        organisation_id=lookup.organisation_id,
        person_ids=residents.values_list("person_id", flat=True),
        full_cpr=False,
        reference=_("CPR-opslag %s") % lookup.pk,
    )
    return exports.lookup_result_response(lookup=lookup, residents=residents, full_cpr=False)


@login_required
def log(request):
    organisation = _organisation(request)
    lookups = selectors.lookup_list(user=request.user, organisation=organisation)
    if request.GET.get("format") == "xlsx":
        return exports.lookup_log_response(lookups=lookups.iterator())
    return render(
        request,
        "cprlookup/log.html",
        {"page": page_of(request, lookups), "organisation": organisation},
    )


@login_required
def log_person(request, person_pk):
    """The lookups that touched one person (for an access request), as Excel."""
    organisation = _organisation(request)
    person = get_object_or_404(
        person_list(user=request.user, organisation=organisation), pk=person_pk
    )
    lookups = selectors.lookups_touching_person(user=request.user, person=person)
    if request.GET.get("format") == "xlsx":
        return exports.lookup_log_response(lookups=lookups.iterator(), stem="cpr-opslag-person")
    return render(
        request,
        "cprlookup/log.html",
        {"page": page_of(request, lookups), "organisation": organisation, "person": person},
    )


@login_required
def ledger(request):
    organisation = _organisation(request)
    if request.GET.get("format") == "xlsx":
        charges = selectors.charge_list(user=request.user, organisation=organisation)
        return exports.charges_response(charges=charges.iterator())
    return render(
        request,
        "cprlookup/ledger.html",
        {
            "organisation": organisation,
            "summary": selectors.charge_summary(user=request.user, organisation=organisation),
            "month_total": selectors.charge_month_total(
                user=request.user, organisation=organisation
            ),
        },
    )


@login_required
def scans(request):
    organisation = _organisation(request)
    if request.GET.get("format") == "xlsx":
        jobs = selectors.scan_job_list(user=request.user, organisation=organisation)
        return exports.scan_jobs_response(jobs=jobs.iterator())
    setting = selectors.scan_setting_for(organisation=organisation)
    return render(
        request,
        "cprlookup/scans.html",
        {
            "organisation": organisation,
            "page": page_of(
                request, selectors.scan_job_list(user=request.user, organisation=organisation)
            ),
            "setting_form": ScanSettingForm(initial={"enabled": bool(setting and setting.enabled)}),
            "can_scan": _can_scan(request.user, organisation),
            "eligibility_problem": services.eligibility_error(organisation),
            # One search per stairwell: the estimate is shown before a scan is started.
            "entrance_count": (
                entrances := Entrance.objects.filter(organisation=organisation).count()
            ),
            "scan_estimate": entrances * settings.CPR_SEARCH_PRICE,
            "price": settings.CPR_SEARCH_PRICE,
        },
    )


@login_required
@require_POST
def scan_setting(request):
    organisation = _organisation(request)
    form = ScanSettingForm(request.POST)
    if form.is_valid():
        try:
            setting = services.scan_setting_set(
                user=request.user, organisation=organisation, enabled=form.cleaned_data["enabled"]
            )
        except (DomainError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(
                request,
                _("Planlagt scanning er slået til.")
                if setting.enabled
                else _("Planlagt scanning er slået fra."),
            )
    return redirect("cprlookup:scans")


@login_required
@require_POST
def scan_start(request):
    organisation = _organisation(request)
    try:
        job = services.scan_start(organisation=organisation, user=request.user)
    except (DomainError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("cprlookup:scans")
    messages.success(request, _("Scanningen er startet."))
    return redirect("cprlookup:scan_detail", pk=job.pk)


def _job(request, pk) -> ScanJob:
    return get_object_or_404(
        selectors.scan_job_list(user=request.user, organisation=_organisation(request)), pk=pk
    )


@login_required
def scan_detail(request, pk):
    job = _job(request, pk)
    return render(
        request,
        "cprlookup/scan_detail.html",
        {
            "job": job,
            "failed_items": selectors.scan_failed_items(job=job)[:200],
            "can_scan": _can_scan(request.user, job.organisation),
        },
    )


@login_required
def scan_progress(request, pk):
    """The progress bar alone (htmx polls it every second while the job runs).

    The fragment carries its own poll URL: without it the next poll's `hx-get=""` fetched
    the whole page into the box. When the job has finished, the page reloads once (HX-Refresh)
    so the finish time, the failed stairwells and the resume button appear."""
    job = _job(request, pk)
    response = render(
        request,
        "cprlookup/includes/scan_progress.html",
        {"job": job, "poll_url": reverse("cprlookup:scan_progress", args=[job.pk])},
    )
    if job.is_finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def scan_resume(request, pk):
    job = _job(request, pk)
    try:
        services.scan_resume(job=job, user=request.user)
    except (DomainError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("De fejlede opgange slås op igen."))
    return redirect("cprlookup:scan_detail", pk=job.pk)


@login_required
def reconciliation(request):
    organisation = _organisation(request)
    form = ReconciliationFilterForm(request.GET or None)
    category = form.cleaned_data["kategori"] if form.is_valid() else None
    if request.GET.get("format") == "xlsx":
        units = selectors.disagreement_list(
            user=request.user, organisation=organisation, category=category or None
        )
        return exports.reconciliation_response(rows=_disagreement_rows(units, category))
    ids = selectors.disagreement_ids(user=request.user, organisation=organisation)
    counts = selectors.disagreement_counts(user=request.user, ids=ids)
    units = selectors.disagreement_list(
        user=request.user, organisation=organisation, category=category or None, ids=ids
    )
    # counted with the rest
    page = page_of(request, units, count=counts[category or selectors.ANY_CATEGORY])
    leases = selectors.active_leases_by_unit(u.pk for u in page.object_list)
    rows = []
    for unit in page.object_list:
        lease = leases.get(unit.pk)
        problems = []
        for key in selectors.unit_categories(unit):
            label, url = selectors.resolution(category=key, unit=unit, lease=lease)
            problems.append(
                {"key": key, "title": selectors.category_label(key), "action": label, "url": url}
            )
        rows.append({"unit": unit, "lease": lease, "problems": problems})
    return render(
        request,
        "cprlookup/reconciliation.html",
        {
            "organisation": organisation,
            "form": form,
            "page": page,
            "rows": rows,
            "counts": [
                (key, selectors.category_label(key), counts[key]) for key in selectors.CATEGORIES
            ],
            "scanned": _has_scanned(request.user, organisation),
        },
    )


def _disagreement_rows(units, category, chunk: int = 2000):
    """(unit, active lease, disagreement label) for every disagreement of `units`, a chunk
    of units (and one lease query) at a time."""
    batch = []
    for unit in units.iterator(chunk_size=chunk):
        batch.append(unit)
        if len(batch) == chunk:
            yield from _disagreements_of(batch, category)
            batch = []
    yield from _disagreements_of(batch, category)


def _disagreements_of(units, category):
    leases = selectors.active_leases_by_unit(u.pk for u in units)
    for unit in units:
        for key in selectors.unit_categories(unit):
            if not category or key == category:
                yield unit, leases.get(unit.pk), selectors.category_label(key)


@login_required
def events(request):
    organisation = _organisation(request)
    if request.GET.get("format") == "xlsx":
        found = selectors.event_list(user=request.user, organisation=organisation)
        exports.download_disclosed(
            user=request.user,
            organisation_id=organisation.pk,
            person_ids=found.values_list("person_id", flat=True),
            full_cpr=False,
            reference=_("Flytninger fra CPR"),
        )
        return exports.events_response(events=found.order_by("-detected_at", "-pk").iterator())
    return render(
        request,
        "cprlookup/events.html",
        {
            "organisation": organisation,
            "page": page_of(
                request, selectors.event_list(user=request.user, organisation=organisation)
            ),
        },
    )
