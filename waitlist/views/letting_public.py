"""The applicant's offers in the self-service area (issue 14) at /ansoeger/tilbud/: the
offer letter (PDF), answering online, where they stand and "why not me" in plain Danish.
An applicant only ever reaches their own offers (request.applicant, set by the login)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import selectors_letting
from ..models_letting import Offer, Vacancy
from ..services import letting as svc
from ..services.letting_explain import wait_estimates, why_not
from ..services.letting_letters import offer_letter, offer_letter_pdf
from .public import applicant_required


def _own_offer(request, pk: int) -> Offer:
    offer = selectors_letting.applicant_offers(applicant=request.applicant).filter(pk=pk).first()
    if offer is None:
        raise Http404
    return offer


@applicant_required
def offers(request):
    applicant = request.applicant
    standing = []
    for application in applicant.applications.order_by("list_type"):
        recent = (
            Vacancy.objects.filter(
                cooperation_id=applicant.cooperation_id,
                list_type=application.list_type,
                status=Vacancy.Status.ASSIGNED,
            )
            .select_related("unit__entrance", "assigned_offer")
            .order_by("-assigned_at", "-pk")[:5]
        )
        standing.append(
            {
                "application": application,
                "estimates": wait_estimates(application=application),
                "recent": [(v, why_not(application=application, vacancy=v)) for v in recent],
            }
        )
    return render(
        request,
        "waitlist/public/offers.html",
        {
            "applicant": applicant,
            "offers": selectors_letting.applicant_offers(applicant=applicant)[:50],
            "standing": standing,
        },
    )


@require_http_methods(["GET", "POST"])
@applicant_required
def offer_detail(request, pk: int):
    offer = _own_offer(request, pk)
    if request.method == "POST":
        answer = request.POST.get("answer")
        if offer.channel != "e_offer":
            messages.error(
                request,
                _("Brevtilbud besvares til udlejningskontoret på telefon eller skriftligt."),
            )
        elif answer not in {"accept", "decline"}:
            messages.error(request, _("Vælg ja tak eller nej tak."))
        else:
            try:
                svc.offer_answer(offer=offer, accept=answer == "accept", via=Offer.Via.ONLINE)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(
                    request,
                    _("Tak, du har sagt ja til boligen.")
                    if answer == "accept"
                    else _("Tak, du har sagt nej. Du beholder din plads på listen."),
                )
        return redirect("waitlist_public:offer_detail", pk=offer.pk)
    return render(
        request,
        "waitlist/public/offer_detail.html",
        {"offer": offer, "letter": offer_letter(offer)},
    )


@applicant_required
def offer_pdf(request, pk: int):
    offer = _own_offer(request, pk)
    response = HttpResponse(offer_letter_pdf(offer), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="boligtilbud-{offer.pk}.pdf"'
    return response
