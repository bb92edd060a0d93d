"""Payment endpoints: the provider's webhook and the page the applicant returns to, plus the
staff download of letter print batches.

The webhook is called by the provider, not a browser: no login, no CSRF token (the HMAC
signature over the raw body is the authentication), POST only. A verified event is stored in
the inbox and answered 200 at once; a worker applies it (waitlist.services.payment_inbox). A
refused webhook answers 400 and stores nothing but the refusal; an error while storing
answers 500 so the provider delivers the same event again.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from core.excel import Column
from core.pagination import page_of

from .letters import print_batch_create
from .models import Message, PaymentSession, PrintBatch, WebhookEvent
from .selectors import cooperation_ids_for, cooperation_list
from .services import payment_inbox
from .services import payments as payment_services
from .views.common import staff_required, xlsx


@csrf_exempt
@require_POST
def payment_webhook(request: HttpRequest) -> HttpResponse:
    try:
        outcome = payment_inbox.webhook_receive(raw_body=request.body, headers=request.headers)
    except payment_inbox.WebhookRejected:
        return JsonResponse({"error": "rejected"}, status=400)
    # The answer is one of two constant bodies (built once, not serialised per webhook).
    body = _ANSWERS.get(outcome) or json.dumps({"outcome": outcome}).encode()
    return HttpResponse(body, content_type="application/json")


_ANSWERS = {
    outcome: json.dumps({"outcome": outcome}).encode()
    for outcome in (payment_inbox.RECEIVED, WebhookEvent.Outcome.DUPLICATE.value)
}


@never_cache
@require_GET
def payment_return(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the applicant back. The query string is not trusted: the
    status comes from the provider's status API (and a payment found there is applied now,
    exactly once, even if its webhook is still on the way)."""
    session_id = request.GET.get("session_id", "")[:100]
    session = (
        PaymentSession.objects.select_related("invoice__application")
        .filter(provider_session_id=session_id)
        .first()
    )
    if session is None:
        raise Http404
    if session.status != PaymentSession.Status.PAID:
        session = payment_services.payment_session_refresh(session=session)
    return render(
        request,
        "waitlist/payments/return.html",
        {
            "session": session,
            "paid": session.status == PaymentSession.Status.PAID,
            "application": session.invoice.application,
            "cancelled": request.GET.get("status") == "cancelled",
        },
    )


@staff_required
@require_GET
def print_batch_download(request: HttpRequest, pk: int) -> FileResponse:
    batch = get_object_or_404(
        PrintBatch, pk=pk, cooperation_id__in=cooperation_ids_for(request.user)
    )
    if not batch.file:
        raise Http404
    return FileResponse(
        batch.file.open("rb"),
        as_attachment=True,
        filename=f"breve-{timezone.localtime(batch.created_at):%Y%m%d-%H%M}-{batch.pk}.pdf",
        content_type="application/pdf",
    )


BATCH_COLUMNS = [
    Column(_("Dannet"), lambda b: b.created_at, "datetime", 18),
    Column(_("Samarbejde"), lambda b: b.cooperation.name, width=28),
    Column(_("Breve"), lambda b: b.letter_count, "int", 10),
    Column(
        _("Dannet af"),
        lambda b: (b.created_by.get_full_name() or b.created_by.username) if b.created_by else "",
        width=24,
    ),
]


@staff_required
def print_batch_list(request: HttpRequest) -> HttpResponse:
    """Letters waiting for print per cooperation, a button to collect them into a batch,
    and the batches made so far (PDF download; the list as Excel)."""
    cooperations = list(
        cooperation_list(user=request.user).annotate(
            queued=Count(
                "applicants__messages",
                filter=Q(
                    applicants__messages__channel=Message.MessageChannel.LETTER,
                    applicants__messages__status=Message.Status.QUEUED,
                    applicants__messages__print_batch__isnull=True,
                ),
            )
        )
    )
    if request.method == "POST":
        chosen = next(
            (c for c in cooperations if str(c.pk) == request.POST.get("cooperation")), None
        )
        if chosen is None:
            raise Http404
        batch = print_batch_create(cooperation=chosen, actor=request.user)
        if batch is None:
            messages.info(request, _("Der er ingen breve at printe."))
        else:
            messages.success(
                request,
                _("Printbatch med %(count)s breve er dannet.") % {"count": batch.letter_count},
            )
        return redirect("waitlist:print_batch_list")
    batches = (
        PrintBatch.objects.filter(cooperation_id__in=[c.pk for c in cooperations])
        .select_related("cooperation", "created_by")
        .order_by("-created_at", "-pk")
    )
    if request.GET.get("format") == "xlsx":
        return xlsx(batches, "printbatches", _("Printbatches"), BATCH_COLUMNS)
    return render(
        request,
        "waitlist/payments/print_batches.html",
        {"cooperations": cooperations, "page": page_of(request, batches)},
    )
