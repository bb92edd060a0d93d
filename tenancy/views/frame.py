"""The frame around every screen: the dashboard, the organisation switcher, the search."""

import logging
from datetime import date

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import charts

from .. import hooks, selectors
from ..scope import current_organisation, scoped
from ..search import search as search_all

logger = logging.getLogger(__name__)


def _attention_items(request, organisation) -> list[dict]:
    """Items from the apps registered on tenancy.hooks.attention_items. An app that fails
    is logged, not shown as a 500."""
    items: list[dict] = []
    if organisation is None:
        return items
    for provider in hooks.attention_items:
        try:
            items.extend(provider(user=request.user, organisation=organisation) or [])
        except Exception:  # one app's bug must not take the dashboard down
            logger.exception("attention_items failed in %r", provider)
    return items


def _dashboard_panels(request, organisation) -> list[str]:
    """Chart panels from the apps registered on tenancy.hooks.dashboard_panels (a failing
    one is logged and left out)."""
    panels: list[str] = []
    if organisation is None:
        return panels
    for panel in hooks.dashboard_panels:
        try:
            panels.append(panel(request, organisation))
        except Exception:  # one app's bug must not take the dashboard down
            logger.exception("dashboard_panels failed in %r", panel)
    return panels


def _portfolio_charts(counts: dict[str, int], started: list[tuple[date, int]]) -> dict:
    """The dashboard's own pictures: occupancy and leases started per month."""
    let = min(counts["active_leases"], counts["units"])
    return {
        "occupancy": charts.bar_chart(
            [
                charts.Bar(
                    _("Udlejet (aktivt lejemål)"),
                    let,
                    "ok",
                    reverse("tenancy:lease_list") + "?status=active",
                ),
                charts.Bar(
                    _("Uden aktivt lejemål"),
                    counts["units"] - let,
                    "warn",
                    reverse("tenancy:unit_list"),
                ),
            ],
            title=_("Enheder efter udlejning"),
        ),
        "started": charts.column_chart(
            [(date_format(month, "b"), n) for month, n in started],
            title=_("Nye lejemål pr. måned, seneste 12 måneder"),
        ),
    }


def _leases_started_by_month(request) -> list[tuple[date, int]]:
    """Leases started in each of the last 12 months (months without any included)."""
    today = timezone.localdate()
    months = charts.last_months(12, today=today)
    rows = (
        scoped(request, selectors.lease_list)
        .filter(start_date__gte=months[0], start_date__lte=today)
        .annotate(month=TruncMonth("start_date"))
        .order_by()
        .values_list("month")
        .annotate(n=Count("pk"))
    )
    found = dict(rows)
    return [(m, found.get(m, 0)) for m in months]


@login_required
def dashboard(request):
    organisation = current_organisation(request)
    counts = selectors.dashboard_counts(user=request.user, organisation=organisation)
    started = _leases_started_by_month(request) if organisation else []
    return render(
        request,
        "tenancy/dashboard.html",
        {
            "organisation": organisation,
            "counts": counts,
            "attention_items": _attention_items(request, organisation),
            "charts": _portfolio_charts(counts, started),
            "panels": _dashboard_panels(request, organisation),
        },
    )


_SAFE_NEXT_NAMES = {"dashboard", "search"}


@login_required
@require_POST
def organisation_switch(request):
    """Switch the organisation the user works in (only one of their own)."""
    try:
        organisation_id = int(request.POST.get("organisation", ""))
    except ValueError:
        organisation_id = None
    if organisation_id not in selectors.organisation_ids_for(request.user):
        raise Http404(_("Ukendt organisation."))
    request.session["organisation_id"] = organisation_id
    request.__dict__.pop("current_organisation_cached", None)
    # Back to the same list (its records change with the organisation); a detail page of
    # the old organisation would be a 404, so anything else goes to the dashboard.
    target = reverse("tenancy:dashboard")
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        try:
            match = resolve(next_url.split("?")[0])
        except Resolver404:
            match = None
        if (
            match
            and match.namespace == "tenancy"
            and (match.url_name in _SAFE_NEXT_NAMES or match.url_name.endswith("_list"))
        ):
            target = next_url
    return HttpResponseRedirect(target)


@login_required
@require_http_methods(["GET", "POST"])
def search(request):
    """The search page and the live results under the header box (htmx). The header box
    posts, so a CPR number typed into it never lands in a URL or an access log."""
    query = (request.POST.get("q") if request.method == "POST" else request.GET.get("q")) or ""
    groups = search_all(user=request.user, organisation=current_organisation(request), query=query)
    context = {"search_query": query, "groups": groups, "query": query}
    if request.htmx and not request.htmx.boosted:
        return render(request, "tenancy/includes/search_results.html", context)
    return render(request, "tenancy/search.html", context)
