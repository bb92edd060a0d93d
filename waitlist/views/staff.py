"""Caseworker screens for the joint waiting list (/venteliste/): overview, applicant list
with search, filters and Excel, applicant detail with history, fee ledger, payments,
reminders, deletions, fee schedules. Thin: reads through waitlist.selectors (scoped to the
user's cooperations), writes through waitlist.services; a DomainError becomes a form error
or a message."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import charts
from core.forms import apply_domain_error
from core.pagination import ListPaginator

from .. import exports, selectors
from ..forms import (
    ApplicantFilterForm,
    ApplicantForm,
    BankTransferForm,
    ChannelForm,
    ContactForm,
    FeeScheduleForm,
    InvoiceFilterForm,
    ListTypeForm,
    PaymentFilterForm,
    WishesForm,
)
from ..models import Applicant, Application, Cooperation, FeeSchedule
from ..services import applicants as svc
from ..services.fees import fee_schedule_create
from .common import staff_required, xlsx


def _page(request, qs, per_page: int = 50):
    return ListPaginator(qs, per_page).page_from_request(request)


def _applicant(request, pk) -> Applicant:
    try:
        return selectors.applicant_get(user=request.user, pk=pk)
    except Applicant.DoesNotExist:
        raise Http404 from None


def _application(request, pk) -> Application:
    app = (
        Application.objects.filter(
            pk=pk, applicant__cooperation_id__in=selectors.cooperation_ids_for(request.user)
        )
        .select_related("applicant__cooperation")
        .first()
    )
    if app is None:
        raise Http404
    return app


def _cooperation(request) -> Cooperation | None:
    return selectors.cooperation_list(user=request.user).first()


TONE_BY_STATUS = {
    "active": "ok",
    "reminded": "warn",
    "pending_payment": "info",
    "deleted": "danger",
}


def _overview_charts(statuses, years: list[tuple[int, int]]) -> dict:
    """The overview's pictures: applications per status (each bar links to the list) and
    the family list's seniority years (how long those on the list have waited)."""
    url = reverse("waitlist:applicant_list")
    return {
        "status": charts.bar_chart(
            [
                charts.Bar(str(label), n, TONE_BY_STATUS.get(value, ""), f"{url}?status={value}")
                for value, label, n in statuses
            ],
            title=_("Ansøgninger efter status"),
            width=420,
        ),
        "seniority": charts.column_chart(
            [(str(year), n) for year, n in years],
            title=_("Familieboliger: ansøgere på listen efter anciennitetsår"),
            width=max(360, 56 * len(years)),
        ),
        "seniority_empty": not years,
    }


@staff_required
def index(request):
    counts = dict(
        selectors.application_scope(user=request.user)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    statuses = [(value, label, counts.get(value, 0)) for value, label in Application.Status.choices]
    context = {
        "cooperations": selectors.cooperation_list(user=request.user),
        "counts": statuses,
        "charts": _overview_charts(statuses, selectors.seniority_years(user=request.user)),
        "reminders": selectors.reminders_due(user=request.user, today=timezone.localdate())[:10],
        "open_invoices": selectors.invoice_list(user=request.user, status="open").count(),
    }
    return render(request, "waitlist/index.html", context)


@staff_required
def applicant_list(request):
    form = ApplicantFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.applicant_list(user=request.user, **{k: v for k, v in filters.items() if v})
    if request.GET.get("format") == "xlsx":
        return xlsx(
            qs.prefetch_related("applications"),
            "ansoegere",
            _("Ansøgere"),
            exports.applicant_columns(),
        )
    page = _page(request, qs.prefetch_related("applications"))
    return render(request, "waitlist/applicant_list.html", {"form": form, "page": page})


@staff_required
def applicant_create(request):
    cooperation = _cooperation(request)
    if cooperation is None:
        raise Http404
    form = ApplicantForm(request.POST or None, initial={"channel": "letter"})
    if request.method == "POST" and form.is_valid():
        data = svc.ApplicantData(**form.cleaned_data)
        try:
            applicant = svc.applicant_signup(cooperation=cooperation, data=data, actor=request.user)
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Ansøgeren er oprettet."))
            return redirect("waitlist:applicant_detail", applicant.pk)
    return render(request, "waitlist/applicant_form.html", {"form": form, "title": _("Ny ansøger")})


@staff_required
def applicant_detail(request, pk):
    applicant = _applicant(request, pk)
    applications = applicant.applications.prefetch_related("departments")
    context = {
        "applicant": applicant,
        "applications": applications,
        "invoices": applicant.invoices.select_related("application").order_by("-created_at", "-pk"),
        "payments": applicant.payments.select_related("registered_by").order_by("-paid_on", "-pk"),
        "messages_sent": applicant.messages.order_by("-created_at", "-pk")[:100],
        "history": selectors.applicant_history(applicant=applicant)[:200],
        "bank_form": BankTransferForm(
            applicant=applicant, initial={"paid_on": timezone.localdate()}
        ),
        "channel_form": ChannelForm(
            initial={"channel": applicant.channel, "sms_opt_in": applicant.sms_opt_in}
        ),
        "list_form": ListTypeForm(),
    }
    return render(request, "waitlist/applicant_detail.html", context)


@staff_required
def applicant_edit(request, pk):
    applicant = _applicant(request, pk)
    initial = {name: getattr(applicant, name) for name in ContactForm.base_fields}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            svc.applicant_update(applicant=applicant, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Oplysningerne er gemt."))
            return redirect("waitlist:applicant_detail", applicant.pk)
    return render(
        request,
        "waitlist/applicant_form.html",
        {"form": form, "title": _("Ret oplysninger"), "applicant": applicant},
    )


def _run(request, applicant: Applicant, action, success: str):
    try:
        action()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("waitlist:applicant_detail", applicant.pk)


@require_POST
@staff_required
def applicant_channel(request, pk):
    applicant = _applicant(request, pk)
    form = ChannelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vælg en tilbudsform."))
        return redirect("waitlist:applicant_detail", applicant.pk)
    return _run(
        request,
        applicant,
        lambda: svc.channel_change(applicant=applicant, actor=request.user, **form.cleaned_data),
        _("Tilbudsformen er ændret."),
    )


@require_POST
@staff_required
def application_open(request, pk):
    applicant = _applicant(request, pk)
    form = ListTypeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vælg en venteliste."))
        return redirect("waitlist:applicant_detail", applicant.pk)
    return _run(
        request,
        applicant,
        lambda: svc.application_open(
            applicant=applicant, list_type=form.cleaned_data["list_type"], actor=request.user
        ),
        _("Ansøgeren er tilmeldt ventelisten."),
    )


@require_POST
@staff_required
def application_leave(request, pk):
    app = _application(request, pk)
    return _run(
        request,
        app.applicant,
        lambda: svc.application_leave(application=app, actor=request.user),
        _("Ansøgningen er afsluttet. Ansienniteten er slettet."),
    )


@require_POST
@staff_required
def application_renew(request, pk):
    app = _application(request, pk)
    return _run(
        request,
        app.applicant,
        lambda: svc.student_renew(application=app, actor=request.user),
        _("Ansøgningen er fornyet."),
    )


@staff_required
def application_wishes(request, pk):
    app = _application(request, pk)
    initial = {name: getattr(app, name) for name in svc.WISH_FIELDS}
    initial["departments"] = list(app.departments.all())
    form = WishesForm(request.POST or None, initial=initial, cooperation=app.applicant.cooperation)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        departments = list(data.pop("departments"))
        try:
            svc.wishes_update(application=app, departments=departments, actor=request.user, **data)
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Boligønskerne er gemt."))
            return redirect("waitlist:applicant_detail", app.applicant_id)
    return render(
        request,
        "waitlist/applicant_form.html",
        {
            "form": form,
            "title": _("Boligønsker: %(list)s") % {"list": app.get_list_type_display()},
            "applicant": app.applicant,
        },
    )


@require_POST
@staff_required
def bank_transfer(request, pk):
    from ..services.payments import payment_register_bank_transfer

    applicant = _applicant(request, pk)
    form = BankTransferForm(request.POST, applicant=applicant)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("waitlist:applicant_detail", applicant.pk)
    return _run(
        request,
        applicant,
        lambda: payment_register_bank_transfer(actor=request.user, **form.cleaned_data),
        _("Betalingen er registreret."),
    )


@staff_required
def invoice_list(request):
    form = InvoiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.invoice_list(user=request.user, **{k: v for k, v in filters.items() if v})
    if request.GET.get("format") == "xlsx":
        return xlsx(qs, "gebyrer", _("Gebyrer og opkrævninger"), exports.invoice_columns())
    return render(request, "waitlist/invoice_list.html", {"form": form, "page": _page(request, qs)})


@staff_required
def payment_list(request):
    form = PaymentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.payment_list(user=request.user, **{k: v for k, v in filters.items() if v})
    if request.GET.get("format") == "xlsx":
        return xlsx(qs, "betalinger", _("Betalinger"), exports.payment_columns())
    return render(request, "waitlist/payment_list.html", {"form": form, "page": _page(request, qs)})


@staff_required
def reminder_list(request):
    qs = selectors.reminders_due(user=request.user, today=timezone.localdate())
    students = selectors.student_reminders(user=request.user).order_by("reminder_deadline", "pk")
    if request.GET.get("format") == "xlsx":
        return xlsx(qs, "rykkere", _("Rykkere"), exports.invoice_columns())
    if request.GET.get("format") == "xlsx-student":
        return xlsx(
            students, "rykkere-studie", _("Rykkere, studieboliger"), exports.application_columns()
        )
    return render(
        request,
        "waitlist/reminder_list.html",
        {"page": _page(request, qs), "students": students[:200]},
    )


@staff_required
def deletion_list(request):
    qs = selectors.deletion_list(user=request.user)
    if request.GET.get("format") == "xlsx":
        return xlsx(qs, "sletninger", _("Sletninger og udmeldelser"), exports.application_columns())
    return render(request, "waitlist/deletion_list.html", {"page": _page(request, qs)})


@staff_required
def message_list(request):
    qs = selectors.message_list(user=request.user)
    if request.GET.get("format") == "xlsx":
        return xlsx(qs, "beskeder", _("Beskeder"), exports.message_columns())
    return render(request, "waitlist/message_list.html", {"page": _page(request, qs)})


@staff_required
def fee_schedules(request):
    cooperation = _cooperation(request)
    if cooperation is None:
        raise Http404
    form = FeeScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            schedule = fee_schedule_create(cooperation=cooperation, **form.cleaned_data)
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            from ..tasks import fee_change_announce_task

            transaction.on_commit(lambda: fee_change_announce_task.delay(schedule.pk))
            messages.success(
                request, _("Gebyrsatsen er oprettet. Ansøgerne får varsel om ændringen.")
            )
            return redirect("waitlist:fee_schedules")
    schedules = FeeSchedule.objects.filter(cooperation=cooperation).order_by(
        "channel", "-valid_from"
    )
    return render(
        request,
        "waitlist/fee_schedules.html",
        {"form": form, "schedules": schedules, "cooperation": cooperation},
    )
