"""Caseworker screens for letting (issue 14) at /venteliste/udlejning/...: vacancies with
their rounds, offers and the stored ranking with reasons; answers to register for letter
offers; municipal referrals; holds; "why not me" and the expected wait for an application.
Thin: reads through waitlist.selectors_letting (the current organisation), writes through
waitlist.services.letting; a DomainError becomes a form error or a message."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import apply_domain_error
from core.pagination import ListPaginator
from tenancy.models import Unit
from tenancy.scope import current_organisation

from .. import exports_letting as exports
from .. import selectors, selectors_letting
from ..forms_letting import AnswerForm, VacancyFilterForm, VacancyForm, WithdrawForm
from ..models import Application
from ..models_letting import LettingHold, MunicipalReferral, Offer, OfferRound, Vacancy
from ..services import letting as svc
from ..services.letting_explain import wait_estimates, why_not
from ..services.letting_letters import offer_letter_pdf
from .common import staff_required, xlsx


def _page(request, qs, per_page: int = 50):
    return ListPaginator(qs, per_page).get_page(request.GET.get("page"))


def _vacancy(request, pk) -> Vacancy:
    try:
        return selectors_letting.vacancy_get(
            user=request.user, pk=pk, organisation=current_organisation(request)
        )
    except Vacancy.DoesNotExist:
        raise Http404 from None


def _offer(request, pk) -> Offer:
    try:
        return selectors_letting.offer_get(
            user=request.user, pk=pk, organisation=current_organisation(request)
        )
    except Offer.DoesNotExist:
        raise Http404 from None


@staff_required
def vacancy_list(request):
    form = VacancyFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    qs = selectors_letting.vacancy_list(
        user=request.user, organisation=current_organisation(request), status=status
    )
    if request.GET.get("format") == "xlsx":
        return xlsx(qs, "ledige-boliger", _("Ledige boliger"), exports.vacancy_columns())
    return render(
        request, "waitlist/letting/vacancy_list.html", {"form": form, "page": _page(request, qs)}
    )


@staff_required
def vacancy_create(request):
    organisation = current_organisation(request)
    form = VacancyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = Unit.objects.filter(pk=data["unit"], organisation=organisation).first()
        if unit is None:
            form.add_error("unit", _("Der er ingen enhed med det nummer i organisationen."))
        else:
            try:
                vacancy = svc.vacancy_create(
                    unit=unit,
                    move_in_date=data["move_in_date"],
                    rent=data["rent"],
                    list_type=data["list_type"],
                    pets_allowed=data["pets_allowed"],
                    balcony_or_garden=data["balcony_or_garden"],
                    actor=request.user,
                )
            except ValidationError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Boligen er meldt ledig."))
                return redirect("waitlist:vacancy_detail", pk=vacancy.pk)
    initial_unit = request.GET.get("unit", "")
    if request.method != "POST" and initial_unit.isdigit():
        form = VacancyForm(initial={"unit": int(initial_unit)})
    return render(request, "waitlist/letting/vacancy_form.html", {"form": form})


@staff_required
def vacancy_detail(request, pk: int):
    vacancy = _vacancy(request, pk)
    rounds = list(vacancy.rounds.order_by("-number"))
    offers = list(
        vacancy.offers.select_related("applicant", "application", "round", "answered_by").order_by(
            "round__number", "rank"
        )
    )
    latest = rounds[0] if rounds else None
    entries = (
        list(latest.entries.select_related("application__applicant").order_by("position")[:200])
        if latest
        else []
    )
    return render(
        request,
        "waitlist/letting/vacancy_detail.html",
        {
            "vacancy": vacancy,
            "rounds": rounds,
            "offers": offers,
            "latest": latest,
            "entries": entries,
            "withdraw_form": WithdrawForm(),
            "answer_form": AnswerForm(),
        },
    )


def _do(request, action, success: str):
    try:
        action()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return False
    messages.success(request, success)
    return True


@require_POST
@staff_required
def round_start(request, pk: int):
    vacancy = _vacancy(request, pk)
    _do(
        request,
        lambda: svc.round_start(vacancy=vacancy, actor=request.user),
        _("Tilbudsrunden er startet, og tilbuddene er sendt."),
    )
    return redirect("waitlist:vacancy_detail", pk=vacancy.pk)


@require_POST
@staff_required
def vacancy_withdraw(request, pk: int):
    vacancy = _vacancy(request, pk)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _do(
        request,
        lambda: svc.vacancy_withdraw(vacancy=vacancy, reason=reason, actor=request.user),
        _("Boligen er trukket tilbage."),
    )
    return redirect("waitlist:vacancy_detail", pk=vacancy.pk)


@require_POST
@staff_required
def offer_answer(request, pk: int):
    offer = _offer(request, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vælg ja eller nej."))
    else:
        accept = form.cleaned_data["answer"] == "accept"
        _do(
            request,
            lambda: svc.offer_answer(
                offer=offer, accept=accept, actor=request.user, via=Offer.Via.STAFF
            ),
            _("Svaret er registreret."),
        )
    if request.POST.get("back") == "answers_due":
        return redirect("waitlist:answers_due")
    return redirect("waitlist:vacancy_detail", pk=offer.vacancy_id)


@staff_required
def offer_letter(request, pk: int):
    offer = _offer(request, pk)
    response = HttpResponse(offer_letter_pdf(offer), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="tilbud-{offer.pk}.pdf"'
    return response


@staff_required
def round_ranking(request, pk: int):
    """The stored ranking of one round as Excel."""
    try:
        rnd = selectors_letting.round_get(
            user=request.user, pk=pk, organisation=current_organisation(request)
        )
    except OfferRound.DoesNotExist:
        raise Http404 from None
    return xlsx(
        rnd.entries.order_by("position"),
        f"placeringer-{rnd.vacancy_id}-{rnd.number}",
        _("Placeringer, runde %s") % rnd.number,
        exports.ranking_columns(),
    )


@staff_required
def answers_due(request):
    qs = selectors_letting.answers_due(
        user=request.user, organisation=current_organisation(request)
    )
    if request.GET.get("format") == "xlsx":
        return xlsx(qs, "svar-paa-brevtilbud", _("Svar på brevtilbud"), exports.offer_columns())
    return render(
        request,
        "waitlist/letting/answers_due.html",
        {"page": _page(request, qs), "answer_form": AnswerForm()},
    )


@staff_required
def referral_list(request):
    qs = selectors_letting.referral_list(
        user=request.user, organisation=current_organisation(request)
    )
    if request.GET.get("format") == "xlsx":
        return xlsx(qs, "kommunal-anvisning", _("Kommunal anvisning"), exports.referral_columns())
    return render(request, "waitlist/letting/referral_list.html", {"page": _page(request, qs)})


@require_POST
@staff_required
def referral_close(request, pk: int):
    try:
        referral = selectors_letting.referral_get(
            user=request.user, pk=pk, organisation=current_organisation(request)
        )
    except MunicipalReferral.DoesNotExist:
        raise Http404 from None
    _do(request, lambda: svc.referral_close(referral=referral), _("Anvisningen er afsluttet."))
    return redirect("waitlist:referral_list")


@staff_required
def hold_list(request):
    qs = selectors_letting.hold_list(user=request.user).order_by("-created_at", "-pk")
    if request.GET.get("format") == "xlsx":
        return xlsx(qs, "pauser", _("Pauser for tilbud"), exports.hold_columns())
    return render(request, "waitlist/letting/hold_list.html", {"page": _page(request, qs)})


@require_POST
@staff_required
def hold_lift(request, pk: int):
    try:
        hold = selectors_letting.hold_get(user=request.user, pk=pk)
    except LettingHold.DoesNotExist:
        raise Http404 from None
    _do(request, lambda: svc.hold_lift(hold=hold, actor=request.user), _("Pausen er ophævet."))
    return redirect("waitlist:hold_list")


@staff_required
def application_letting(request, pk: int):
    """ "Why not me" for an application over the recent vacancies of its list, its offers
    and the expected wait."""
    application = (
        Application.objects.filter(
            pk=pk, applicant__cooperation_id__in=selectors.cooperation_ids_for(request.user)
        )
        .select_related("applicant__cooperation")
        .first()
    )
    if application is None:
        raise Http404
    recent = (
        Vacancy.objects.filter(
            cooperation_id=application.applicant.cooperation_id,
            list_type=application.list_type,
            rounds__isnull=False,
        )
        .distinct()
        .select_related("unit__entrance", "assigned_offer")
        .order_by("-created_at", "-pk")[:15]
    )
    offers = selectors_letting.applicant_offers(applicant=application.applicant).filter(
        application=application
    )
    if request.GET.get("format") == "xlsx":
        return xlsx(
            offers, f"tilbud-{application.pk}", _("Tilbud til ansøgningen"), exports.offer_columns()
        )
    rows = [(v, why_not(application=application, vacancy=v)) for v in recent]
    return render(
        request,
        "waitlist/letting/application_letting.html",
        {
            "application": application,
            "rows": rows,
            "offers": offers,
            "estimates": wait_estimates(application=application),
            "current_org_id": getattr(current_organisation(request), "pk", None),
        },
    )


def lease_panel(request, lease) -> str:
    """Letting on tenancy's lease page (tenancy.hooks.lease_panels): the vacancy this ended
    lease made, or the vacancy this lease was let from; tenancy has already scoped the lease
    to the organisation the user works in."""
    from_vacancy = Vacancy.objects.filter(new_lease=lease).select_related("assigned_offer").first()
    made = list(Vacancy.objects.filter(ended_lease=lease).order_by("-pk")[:5])
    if not from_vacancy and not made:
        return ""
    return render_to_string(
        "waitlist/letting/lease_panel.html",
        {"lease": lease, "from_vacancy": from_vacancy, "made": made},
        request=request,
    )
