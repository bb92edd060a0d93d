"""Caseworker screens: dashboard, search, lists, detail pages and the lease lifecycle forms.

Views stay thin: reads go through tenancy.selectors (scoped to the organisation chosen in
the switcher), writes through tenancy.services; a DomainError becomes a form error.
"""

import logging
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.crypto import search_hash
from core.errors import DomainError
from core.forms import apply_domain_error
from core.pagination import PAGE_SIZE, ListPaginator, page_of

from . import hooks, selectors, services
from .choices import LeaseStatus
from .errors import TenantChangeError
from .filters import (
    EntranceFilter,
    LeaseFilter,
    PersonFilter,
    PropertyFilter,
    UnitFilter,
    full_cpr,
)
from .forms import CprRevealForm, LeaseCreateForm, LeaseEditForm, LeaseEndForm, LeaseRentForm
from .history import history_for
from .scope import current_organisation
from .search import search as search_all

logger = logging.getLogger(__name__)


# --- helpers ----------------------------------------------------------------------------


def _scoped(request, selector):
    return selector(user=request.user, organisation=current_organisation(request))


# --- frame ------------------------------------------------------------------------------


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


@login_required
def dashboard(request):
    organisation = current_organisation(request)
    counts = selectors.dashboard_counts(user=request.user, organisation=organisation)
    return render(
        request,
        "tenancy/dashboard.html",
        {
            "organisation": organisation,
            "counts": counts,
            "attention_items": _attention_items(request, organisation),
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
    request.__dict__.pop("_current_organisation", None)
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


# --- search -----------------------------------------------------------------------------


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


# --- lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListConfig:
    """What differs between the five lists."""

    kind: str  # the export kind as well
    title: object
    selector: object
    filterset: type
    sorts: dict  # whitelisted sort key -> model fields
    default_sort: str
    template: str
    post_filters: bool = False  # the filter form posts (the people list: CPR numbers)


LISTS = {
    "properties": ListConfig(
        "properties",
        gettext_lazy("Ejendomme"),
        selectors.property_list,
        PropertyFilter,
        {
            "navn": ("name",),
            "afdeling": ("department__number",),
            "kommune": ("municipality_code",),
            "bfe": ("bfe_number",),
        },
        "navn",
        "tenancy/property_list.html",
    ),
    "entrances": ListConfig(
        "entrances",
        gettext_lazy("Opgange"),
        selectors.entrance_list,
        EntranceFilter,
        {
            "adresse": ("street_name", "house_number"),
            "postnummer": ("postcode",),
            "ejendom": ("building__property__name",),
        },
        "adresse",
        "tenancy/entrance_list.html",
    ),
    "units": ListConfig(
        "units",
        gettext_lazy("Enheder"),
        selectors.unit_list,
        UnitFilter,
        {
            "adresse": ("search_text",),
            "postnummer": ("entrance__postcode",),
            "vaerelser": ("rooms",),
            "areal": ("area_m2",),
            "udlejning": ("letting_code",),
        },
        "adresse",
        "tenancy/unit_list.html",
    ),
    "people": ListConfig(
        "people",
        gettext_lazy("Personer"),
        selectors.person_list,
        PersonFilter,
        {"navn": ("name",), "foedselsdato": ("birth_date",)},
        "navn",
        "tenancy/person_list.html",
        post_filters=True,
    ),
    "leases": ListConfig(
        "leases",
        pgettext_lazy("flertal", "Lejemål"),
        selectors.lease_list,
        LeaseFilter,
        {
            "nummer": ("number",),
            "start": ("start_date",),
            "slut": ("end_date",),
            "status": ("status",),
            "husleje": ("rent",),
        },
        # Lease number (indexed, unique) by default: sorting 600,000 leases by an
        # unindexed start date costs ~1 s. The other columns sort on request.
        "nummer",
        "tenancy/lease_list.html",
    ),
}


def _ordering(config: ListConfig, requested: str) -> tuple[str, list[str]]:
    key = requested.lstrip("-")
    if key not in config.sorts:
        requested, key = config.default_sort, config.default_sort.lstrip("-")
    desc = requested.startswith("-")
    fields = [f"-{f}" if desc else f for f in config.sorts[key]]
    return requested, [*fields, "-pk" if desc else "pk"]


# Filters by id that links from detail pages set (a property's units, a person's leases):
# carried as hidden inputs, not typed by hand.
LINK_FILTERS = {"department", "property", "entrance", "unit", "person", "cpr_ref"}


def _link_scope(request, filterset) -> str:
    """A readable note for an id filter set by a link, e.g. 'Ejendom: Strandparken'."""
    if not filterset.is_bound or not filterset.is_valid():
        return ""
    data = filterset.form.cleaned_data
    lookups = {
        "property": (selectors.property_list, _("Ejendom")),
        "entrance": (selectors.entrance_list, _("Opgang")),
        "unit": (selectors.unit_list, _("Enhed")),
        "person": (selectors.person_list, _("Person")),
    }
    notes = []
    for name, (selector, label) in lookups.items():
        if data.get(name):
            obj = _scoped(request, selector).filter(pk=data[name]).first()
            if obj is not None:
                notes.append(f"{label}: {obj}")
    if data.get("cpr_ref"):
        person = _people(request).filter(cpr_hash=data["cpr_ref"].lower()).first()
        notes.append(_("CPR-nummer: %s") % (person.cpr_masked if person else "–"))
    return " · ".join(notes)


def _cpr_out_of_url(request, config: ListConfig):
    """The people list's filter form posts; its values come back as a GET URL with a whole
    CPR number replaced by its keyed hash (`cpr_ref`), so the number never stands in a URL:
    not in access logs, browser history or Referer headers. A GET with a CPR number in `q`
    (a typed or old URL) is sent on the same way. None when there is nothing to move."""
    if not config.post_filters:
        return None
    source = request.POST if request.method == "POST" else request.GET
    digits = full_cpr(source.get("q"))
    if request.method != "POST" and not digits:
        return None
    params = QueryDict(mutable=True)
    for key, values in source.lists():
        if key in {"csrfmiddlewaretoken", "page"}:
            continue
        # Empty fields and the yes/no filters' "no filter" choice say nothing.
        kept = [v for v in values if v.strip() and v != "unknown"]
        if kept:
            params.setlist(key, kept)
    if params.get("q"):
        params.pop("cpr_ref", None)  # a new search replaces the CPR number searched before
    if digits:
        params.pop("q")
        params["cpr_ref"] = search_hash(digits)
    query = params.urlencode()
    return redirect(f"{request.path}?{query}" if query else request.path, permanent=False)


def _list(request, config: ListConfig):
    moved = _cpr_out_of_url(request, config)
    if moved is not None:
        return moved
    queryset = _scoped(request, config.selector)
    filterset = config.filterset(request.GET or None, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    if filterset.is_bound and not filterset.is_valid():
        rows = queryset.none()
    sort, order_by = _ordering(config, request.GET.get("sort", ""))
    paginator = ListPaginator(rows.order_by(*order_by), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    try:  # the Excel export view (tenancy.export_urls) may not be wired yet
        export_url = reverse("tenancy:export", args=[config.kind])
    except NoReverseMatch:
        export_url = ""
    return render(
        request,
        config.template,
        {
            "title": config.title,
            "kind": config.kind,
            "filter": filterset,
            "form": filterset.form,
            "page": page,
            "rows": page.object_list,
            "sort": sort,
            "export_url": export_url,
            "link_filters": LINK_FILTERS,
            "link_scope": _link_scope(request, filterset),
            "filtered": bool(request.GET.dict().keys() - {"sort", "page"}),
            "post_filters": config.post_filters,
        },
    )


@login_required
def property_list(request):
    return _list(request, LISTS["properties"])


@login_required
def entrance_list(request):
    return _list(request, LISTS["entrances"])


@login_required
def unit_list(request):
    return _list(request, LISTS["units"])


@login_required
@require_http_methods(["GET", "POST"])
def person_list(request):
    return _list(request, LISTS["people"])


@login_required
def lease_list(request):
    return _list(request, LISTS["leases"])


# --- detail pages -----------------------------------------------------------------------


ACTION_LABELS = {
    "create": gettext_lazy("Oprettet"),
    "update": gettext_lazy("Ændret"),
    "end": gettext_lazy("Afsluttet"),
    "reinstate": gettext_lazy("Genoptaget"),
    "rent_change": gettext_lazy("Huslejeændring"),
}


def _display(field, value):
    """A snapshot value as a caseworker reads it (Danish labels, dates, yes/no)."""
    if value is None or value == "":
        return value
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    choices = dict(getattr(field, "choices", None) or ())
    if value in choices:
        return choices[value]
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return f"{value[8:10]}.{value[5:7]}.{value[0:4]}"
    return value


def _history(instance):
    """Change records with readable field names and values for 'before → after'."""
    model = type(instance)
    fields = {f.name: f for f in model._meta.get_fields() if hasattr(f, "verbose_name")}
    labels = {name: f.verbose_name for name, f in fields.items()}
    labels["rent_effective_date"] = gettext_lazy("gælder fra")
    hidden = {"id", "organisation", "unit", "entrance", "building", "letting_reference"}
    records = []
    for record in history_for(instance)[:100]:
        changes = []
        if record.action != "create":
            changes = [
                (
                    labels.get(name, name),
                    _display(fields.get(name), before),
                    _display(fields.get(name), after),
                )
                for name, before, after in record.changed_fields
                if name not in hidden
            ]
        records.append(
            {
                "record": record,
                "action_label": ACTION_LABELS.get(record.action, record.action),
                "changes": changes,
            }
        )
    return records


@login_required
def property_detail(request, pk):
    prop = get_object_or_404(_scoped(request, selectors.property_list), pk=pk)
    entrances = (
        _scoped(request, selectors.entrance_list)
        .filter(building__property=prop)
        .order_by("street_name", "house_number", "pk")
    )
    return render(
        request,
        "tenancy/property_detail.html",
        {
            "object": prop,
            "entrances": page_of(request, entrances),
            "history": _history(prop),
        },
    )


@login_required
def entrance_detail(request, pk):
    entrance = get_object_or_404(_scoped(request, selectors.entrance_list), pk=pk)
    units = _scoped(request, selectors.unit_list).filter(entrance=entrance).order_by("search_text")
    return render(
        request,
        "tenancy/entrance_detail.html",
        {"object": entrance, "units": units[:500], "history": _history(entrance)},
    )


@login_required
def unit_detail(request, pk):
    unit = get_object_or_404(
        _scoped(request, selectors.unit_list).select_related(
            "entrance__building__property", "letting_reference__entrance"
        ),
        pk=pk,
    )
    leases = _scoped(request, selectors.lease_list).filter(unit=unit).order_by("-start_date")
    return render(
        request,
        "tenancy/unit_detail.html",
        {
            "object": unit,
            "leases": leases,
            "has_active_lease": any(lease.status == LeaseStatus.ACTIVE for lease in leases),
            "history": _history(unit),
        },
    )


def _person_panels(request, person) -> list[str]:
    return [panel(request, person) for panel in hooks.person_panels]


def _person_context(request, person, **extra):
    leases = _scoped(request, selectors.lease_list).filter(parties=person).order_by("-start_date")
    return {
        "object": person,
        "leases": leases,
        "history": _history(person),
        "can_reveal": selectors.can_reveal_cpr(
            user=request.user, organisation_id=person.organisation_id
        ),
        "panels": _person_panels(request, person),
        **extra,
    }


@login_required
def person_detail(request, pk):
    person = get_object_or_404(_scoped(request, selectors.person_list), pk=pk)
    context = _person_context(request, person, reveal_form=CprRevealForm())
    return render(request, "tenancy/person_detail.html", context)


@login_required
@require_POST
def person_reveal_cpr(request, pk):
    """Show the full CPR number once, for a CPR officer, with a logged purpose."""
    person = get_object_or_404(_scoped(request, selectors.person_list), pk=pk)
    if not selectors.can_reveal_cpr(user=request.user, organisation_id=person.organisation_id):
        raise PermissionDenied(_("Kun CPR-ansvarlige kan se CPR-numre."))
    form = CprRevealForm(request.POST)
    revealed = ""
    if form.is_valid():
        try:
            revealed = services.person_cpr_reveal(
                user=request.user, person=person, purpose=form.cleaned_data["purpose"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
    response = render(
        request,
        "tenancy/person_detail.html",
        _person_context(request, person, reveal_form=form, revealed_cpr=revealed),
    )
    # The number is shown once: never cached, never stored in the session.
    response["Cache-Control"] = "no-store"
    return response


def _lease(request, pk, *, for_update=False):
    qs = _scoped(request, selectors.lease_list).select_related("unit__entrance")
    return get_object_or_404(qs, pk=pk)


@login_required
def lease_detail(request, pk):
    lease = _lease(request, pk)
    return render(
        request,
        "tenancy/lease_detail.html",
        {"object": lease, "parties": list(lease.parties.all()), "history": _history(lease)},
    )


def _people(request):
    return _scoped(request, selectors.person_list)


@login_required
@require_http_methods(["GET", "POST"])
def person_picker(request):
    """Live person search for the lease forms: checkboxes named `parties`. Posted (from
    htmx) so a CPR number typed in it stays out of URLs; people already chosen are left out."""
    data = request.POST if request.method == "POST" else request.GET
    text = data.get("party_q", "").strip()
    chosen = [v for v in data.getlist("parties") if v.isdigit()]
    people = []
    if len(text) >= 2:
        qs = PersonFilter({"q": text}, queryset=_people(request)).qs.exclude(pk__in=chosen)
        people = list(qs.order_by("name", "pk")[:20])
    return render(
        request, "tenancy/includes/person_picker_results.html", {"people": people, "query": text}
    )


@login_required
@require_http_methods(["GET", "POST"])
def lease_create(request, unit_pk):
    unit = get_object_or_404(_scoped(request, selectors.unit_list), pk=unit_pk)
    people = _people(request)
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
    people = _people(request)
    current_parties = list(lease.parties.all())
    initial = {name: getattr(lease, name) for name in LeaseEditForm.TERM_FIELDS}
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
