"""Payment endpoints: the provider's webhook and the page the applicant returns to, plus the
staff download of letter print batches.

The webhook is called by the provider, not a browser: no login, no CSRF token (the HMAC
signature over the raw body is the authentication), POST only. A refused webhook answers
400 and applies nothing; an error while applying answers 500 so the provider delivers the
same event again.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .models import PaymentSession, PrintBatch
from .selectors import cooperation_ids_for
from .services import payments as payment_services


@csrf_exempt
@require_POST
def payment_webhook(request: HttpRequest) -> HttpResponse:
    try:
        outcome = payment_services.webhook_receive(
            raw_body=request.body, headers=dict(request.headers)
        )
    except payment_services.WebhookRejected:
        return JsonResponse({"error": "rejected"}, status=400)
    return JsonResponse({"outcome": outcome})


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


@login_required
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
        filename=f"breve-{batch.created_at:%Y%m%d-%H%M}-{batch.pk}.pdf",
        content_type="application/pdf",
    )
