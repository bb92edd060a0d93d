"""Browser screens for the rent register (Danish): filing queue, filing detail with retry,
UDK tasks, rehousing, refund calculator with Excel statement, notification contacts.

Thin: reads through rentregister.selectors (scoped to the user's organisations), writes
through rentregister.services; a DomainError becomes a form error."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import charts
from core.excel import xlsx_filename, xlsx_response
from core.forms import apply_domain_error
from core.pagination import page_of
from tenancy.choices import Role
from tenancy.scope import current_organisation
from tenancy.selectors import person_list, role_for, unit_list

from . import exports, selectors, services
from .forms import (
    CancelForm,
    ConsentGiveForm,
    ContactForm,
    FilingFilterForm,
    PermanentRehousingForm,
    RefundForm,
    RehousingEndForm,
    TaskFilterForm,
    TemporaryRehousingForm,
)
from .models import Filing, NotificationContact, Rehousing, UdkTask, UdkTaskStatus
from .payload import field_label, message_da


def _xlsx(queryset, stem: str, title: str, columns):
    """A list as an Excel download, streamed from the database 2,000 rows at a time."""
    return xlsx_response(
        filename=xlsx_filename(stem),
        title=title,
        columns=columns,
        rows=queryset.iterator(chunk_size=2000),
    )


def _lease_or_error(request, form):
    lease = selectors.lease_for_user(
        user=request.user,
        number=form.cleaned_data["lease_number"],
        organisation=current_organisation(request),
    )
    if lease is None:
        form.add_error(
            "lease_number", _("Lejemålet findes ikke i den organisation, du arbejder i.")
        )
    return lease


_STATE_TONES = {
    "accepted": "ok",
    "rejected": "danger",
    "needs_attention": "danger",
    "pending": "warn",
    "sent": "warn",
}


def _state_chart(counts: dict[str, int]):
    url = reverse("rentregister:filing_list")
    return charts.bar_chart(
        [
            charts.Bar(
                str(label), counts[state], _STATE_TONES.get(state, "info"), f"{url}?state={state}"
            )
            for state, label in Filing._meta.get_field("state").choices
        ],
        title=_("Indberetninger efter status"),
    )


def _filings_by_month_chart(user, organisation):
    """Filings made in each of the last 12 months (changes reaching the register)."""
    months = charts.last_months(12)
    rows = (
        selectors.filing_list(user=user, organisation=organisation)
        .filter(created_at__date__gte=months[0])
        .annotate(month=TruncMonth("created_at"))
        .order_by()
        .values_list("month")
        .annotate(n=Count("pk"))
    )
    found: dict = {}
    for month, n in rows:
        key = month.date() if hasattr(month, "date") else month
        found[key.replace(day=1)] = found.get(key.replace(day=1), 0) + n
    return charts.column_chart(
        [(date_format(m, "b"), found.get(m, 0)) for m in months],
        title=_("Indberetninger pr. måned, seneste 12 måneder"),
    )


def dashboard_panel(request, organisation) -> str:
    """The filings-by-state chart on tenancy's dashboard (tenancy.hooks.dashboard_panels)."""
    counts = selectors.filing_state_counts(user=request.user, organisation=organisation)
    return render_to_string(
        "rentregister/includes/dashboard_panel.html",
        {"chart": _state_chart(counts)},
        request=request,
    )


@login_required
def index(request):
    organisation = current_organisation(request)
    counts = selectors.filing_state_counts(user=request.user, organisation=organisation)
    deadline = selectors.next_deadline()
    at_risk = selectors.filings_missing_payout(
        user=request.user, organisation=organisation, deadline=deadline
    )
    context = {
        "counts": [
            (state, label, counts[state])
            for state, label in Filing._meta.get_field("state").choices
        ],
        "attention": selectors.filing_list(user=request.user, organisation=organisation)
        .filter(state__in=["rejected", "needs_attention"])
        .order_by("pk")[:10],
        "tasks": selectors.udk_task_list(
            user=request.user, organisation=organisation, status=UdkTaskStatus.OPEN
        )[:10],
        "deadline": deadline,
        "state_chart": _state_chart(counts),
        "month_chart": _filings_by_month_chart(request.user, organisation),
        "at_risk": at_risk.count(),
        "attention_items": selectors.attention_items(user=request.user, organisation=organisation),
    }
    return render(request, "rentregister/index.html", context)


@login_required
def filing_list(request):
    organisation = current_organisation(request)
    form = FilingFilterForm(request.GET or None)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    query = request.GET.get("q", "").strip()[:100]
    qs = selectors.filing_list(
        user=request.user, organisation=organisation, state=state or None, query=query
    )
    if request.GET.get("format") == "xlsx":
        return _xlsx(qs, "indberetninger", _("Indberetninger"), exports.filing_columns())
    page = page_of(request, qs)
    return render(
        request,
        "rentregister/filing_list.html",
        {"form": form, "page": page, "state": state, "query": query},
    )


def _get_filing(request, pk) -> Filing:
    try:
        return selectors.filing_get(
            user=request.user, pk=pk, organisation=current_organisation(request)
        )
    except Filing.DoesNotExist:
        raise Http404 from None


@login_required
def filing_detail(request, pk):
    filing = _get_filing(request, pk)
    payload = filing.payload
    tenants = []
    for index, tenant in enumerate(payload.get("lease", {}).get("tenants", [])):
        refs = filing.cpr_person_ids or []
        tenants.append(
            {
                "name": tenant.get("name"),
                "birth_date": tenant.get("birth_date"),
                "cpr": bool(index < len(refs) and refs[index]),
            }
        )
    context = {
        "filing": filing,
        "payload": payload,
        "tenants": tenants,
        "errors": [message_da(e) for e in filing.errors or []],
        "warnings": [message_da(w) for w in filing.warnings or []],
        "cancel_form": CancelForm(),
        "tasks": filing.udk_tasks.all(),
        "deadline": selectors.next_deadline(),
        "field_label": field_label,
    }
    return render(request, "rentregister/filing_detail.html", context)


@login_required
@require_POST
def filing_retry(request, pk):
    filing = _get_filing(request, pk)
    try:
        filing = services.filing_retry(filing=filing, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if filing.state == "pending":
            messages.success(request, _("Indberetningen sendes igen."))
        else:
            messages.error(
                request, _("Indberetningen er stadig ufuldstændig; ret oplysningerne først.")
            )
    return redirect("rentregister:filing_detail", pk=filing.pk)


@login_required
@require_POST
def filing_cancel(request, pk):
    filing = _get_filing(request, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.filing_cancel(
                filing=filing, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Indberetningen er annulleret."))
    else:
        messages.error(request, _("Skriv hvorfor indberetningen annulleres."))
    return redirect("rentregister:filing_detail", pk=filing.pk)


@login_required
def task_list(request):
    organisation = current_organisation(request)
    form = TaskFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    if not request.GET:
        status = UdkTaskStatus.OPEN
    qs = selectors.udk_task_list(
        user=request.user, organisation=organisation, status=status or None
    )
    if request.GET.get("format") == "xlsx":
        return _xlsx(qs, "udk-opgaver", _("UDK-opgaver"), exports.task_columns())
    page = page_of(request, qs)
    return render(
        request,
        "rentregister/task_list.html",
        {"form": form, "page": page, "status": status},
    )


@login_required
def task_detail(request, pk):
    try:
        task = selectors.udk_task_get(
            user=request.user, pk=pk, organisation=current_organisation(request)
        )
    except UdkTask.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        try:
            services.udk_task_done(task=task, actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Opgaven er markeret som udført."))
        return redirect("rentregister:task_detail", pk=task.pk)
    return render(request, "rentregister/task_detail.html", {"task": task})


@login_required
def rehousing_list(request):
    organisation = current_organisation(request)
    qs = selectors.rehousing_list(user=request.user, organisation=organisation)
    if request.GET.get("format") == "xlsx":
        return _xlsx(qs, "genhusninger", _("Genhusning"), exports.rehousing_columns())
    page = page_of(request, qs)
    return render(
        request, "rentregister/rehousing_list.html", {"page": page, "end_form": RehousingEndForm()}
    )


@login_required
def rehousing_create(request):
    organisation = current_organisation(request)
    units = unit_list(user=request.user, organisation=organisation).order_by("search_text")
    kind = request.GET.get("type") or request.POST.get("type") or "temporary"
    form_class = PermanentRehousingForm if kind == "permanent" else TemporaryRehousingForm
    form = form_class(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        lease = _lease_or_error(request, form)
        if lease is not None:
            data = form.cleaned_data
            try:
                if kind == "permanent":
                    services.rehousing_permanent(
                        lease=lease,
                        new_unit=data["new_unit"],
                        move_date=data["move_date"],
                        rent=data["rent"],
                        note=data["note"],
                        actor=request.user,
                    )
                else:
                    services.rehousing_start_temporary(
                        lease=lease,
                        start_date=data["start_date"],
                        end_date=data["end_date"],
                        placement=data["placement"],
                        temporary_unit=data["temporary_unit"],
                        temporary_rent=data["temporary_rent"],
                        note=data["note"],
                        actor=request.user,
                    )
            except ValidationError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Genhusningen er registreret."))
                return redirect("rentregister:rehousing_list")
    return render(request, "rentregister/rehousing_form.html", {"form": form, "kind": kind})


@login_required
@require_POST
def rehousing_end(request, pk):
    organisation = current_organisation(request)
    try:
        rehousing = selectors.rehousing_list(user=request.user, organisation=organisation).get(
            pk=pk
        )
    except Rehousing.DoesNotExist:
        raise Http404 from None
    form = RehousingEndForm(request.POST)
    if form.is_valid():
        try:
            services.rehousing_end(
                rehousing=rehousing, end_date=form.cleaned_data["end_date"], actor=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Genhusningen er afsluttet."))
    else:
        messages.error(request, _("Angiv en gyldig slutdato."))
    return redirect("rentregister:rehousing_list")


@login_required
def refunds(request):
    form = RefundForm(request.GET or None)
    lines = None
    if request.GET and form.is_valid():
        lease = _lease_or_error(request, form)
        if lease is not None:
            liable_until = form.cleaned_data["liable_until"] or lease.end_date
            if liable_until is None:
                form.add_error(
                    "liable_until",
                    _("Lejemålet er ikke afsluttet; angiv hvornår lejeren hæfter til."),
                )
            else:
                lines = selectors.refund_lines(
                    lease=lease,
                    liable_until=liable_until,
                    paid_from=form.cleaned_data["paid_from"],
                    paid_to=form.cleaned_data["paid_to"],
                    monthly_amount=form.cleaned_data["monthly_amount"],
                )
                if request.GET.get("format") == "xlsx":
                    return xlsx_response(
                        filename=xlsx_filename(f"tilbagebetaling-{lease.number}"),
                        title=_("Tilbagebetaling af boligstøtte"),
                        columns=exports.refund_columns(),
                        rows=lines,
                    )
    total = sum((line.amount for line in lines), start=0) if lines else 0
    return render(
        request, "rentregister/refunds.html", {"form": form, "lines": lines, "total": total}
    )


def _is_org_admin(request, organisation) -> bool:
    if organisation is None:
        return False
    return request.user.is_superuser or (
        role_for(user=request.user, organisation=organisation) == Role.ORG_ADMIN
    )


@login_required
def contacts(request):
    organisation = current_organisation(request)
    can_edit = _is_org_admin(request, organisation)
    form = ContactForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            try:
                services.contact_save(
                    organisation=organisation, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Kontaktpersonen er gemt."))
                return redirect("rentregister:contacts")
    return render(
        request,
        "rentregister/contacts.html",
        {
            "contacts": selectors.contact_list(user=request.user, organisation=organisation),
            "form": form,
            "can_edit": can_edit,
        },
    )


@login_required
def contact_edit(request, pk):
    organisation = current_organisation(request)
    try:
        contact = selectors.contact_list(user=request.user, organisation=organisation).get(pk=pk)
    except NotificationContact.DoesNotExist:
        raise Http404 from None
    if not _is_org_admin(request, organisation):
        raise Http404
    initial = {"name": contact.name, "email": contact.email, "active": contact.active}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if request.POST.get("delete"):
            services.contact_delete(contact=contact, actor=request.user)
            messages.success(request, _("Kontaktpersonen er slettet."))
            return redirect("rentregister:contacts")
        if form.is_valid():
            try:
                services.contact_save(
                    organisation=organisation,
                    actor=request.user,
                    contact=contact,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Kontaktpersonen er gemt."))
                return redirect("rentregister:contacts")
    return render(request, "rentregister/contact_form.html", {"form": form, "contact": contact})


# --- consent to file the CPR number (a panel on the person page) --------------------------


def person_panel(request, person) -> str:
    """The consent panel of tenancy's person page (tenancy.views.PERSON_PANELS)."""
    consents = list(selectors.consent_history(person=person))
    return render_to_string(
        "rentregister/includes/person_consent.html",
        {
            "person": person,
            "active": next((c for c in consents if c.withdrawn_at is None), None),
            "consents": consents,
            "consent_form": ConsentGiveForm(),
        },
        request=request,
    )


def lease_panel(request, lease) -> str:
    """The lease's filings and UDK tasks on tenancy's lease page (tenancy.hooks.lease_panels);
    tenancy has already scoped the lease to the organisation the user works in."""
    filings = list(
        Filing.objects.filter(lease=lease).defer("payload").order_by("-created_at", "-pk")[:20]
    )
    tasks = list(UdkTask.objects.filter(lease=lease).order_by("-created_at", "-pk")[:20])
    return render_to_string(
        "rentregister/includes/lease_panel.html",
        {"lease": lease, "filings": filings, "tasks": tasks},
        request=request,
    )


@login_required
@require_POST
def person_consent(request, pk):
    """Record (`action=give`) or withdraw (`action=withdraw`) the tenant's consent; the
    person's active leases are filed again either way."""
    person = get_object_or_404(
        person_list(user=request.user, organisation=current_organisation(request)), pk=pk
    )
    action = request.POST.get("action")
    try:
        if action == "give":
            form = ConsentGiveForm(request.POST)
            if not form.is_valid():
                for errors in form.errors.values():
                    for message in errors:
                        messages.error(request, message)
                return redirect(_consent_anchor(person))
            services.filing_consent_give(
                person=person, actor=request.user, note=form.cleaned_data["note"]
            )
            messages.success(
                request,
                _(
                    "Samtykket er registreret. Personens aktive lejemål indberettes igen "
                    "med CPR-nummer."
                ),
            )
        elif action == "withdraw":
            services.filing_consent_withdraw(person=person, actor=request.user)
            messages.success(
                request,
                _(
                    "Samtykket er trukket tilbage. Personens aktive lejemål indberettes igen "
                    "med navn og fødselsdato."
                ),
            )
        else:
            messages.error(request, _("Ukendt handling."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(_consent_anchor(person))


def _consent_anchor(person) -> str:
    return reverse("tenancy:person_detail", args=[person.pk]) + "#samtykke"
