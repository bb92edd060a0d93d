"""Refused webhooks are recorded (what was tried) and purged by the nightly task after
PAYMENT_WEBHOOK_REJECTED_KEEP_DAYS; accepted events are never purged."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from waitlist.models import WebhookEvent
from waitlist.services.payment_inbox import WebhookRejected, webhook_receive
from waitlist.tasks import nightly_run_task

pytestmark = pytest.mark.django_db


def _aged(event_id: str, outcome: str, days: int) -> WebhookEvent:
    event = WebhookEvent.objects.create(event_id=event_id, outcome=outcome)
    WebhookEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(days=days)
    )
    return event


def test_nightly_task_purges_old_refused_webhooks_only(settings):
    settings.PAYMENT_WEBHOOK_REJECTED_KEEP_DAYS = 30
    with pytest.raises(WebhookRejected):  # a forged webhook leaves a record ...
        webhook_receive(raw_body=b"{}", headers={"Webhook-Signature": "t=1,v1=00"})
    fresh = WebhookEvent.objects.get(outcome="rejected")
    old_refused = _aged("rejected-old", "rejected", 31)
    edge = _aged("rejected-edge", "rejected", 29)
    old_applied = _aged("evt_old", "applied", 400)

    result = nightly_run_task()
    assert result["rejected_webhooks_purged"] == 1
    left = set(WebhookEvent.objects.values_list("pk", flat=True))
    assert left == {fresh.pk, edge.pk, old_applied.pk}
    assert old_refused.pk not in left
    assert nightly_run_task()["rejected_webhooks_purged"] == 0


def test_purge_for_a_given_date_counts_whole_danish_days(settings):
    from waitlist.services.payment_inbox import webhook_rejections_purge

    settings.PAYMENT_WEBHOOK_REJECTED_KEEP_DAYS = 10
    event = WebhookEvent.objects.create(event_id="rejected-x", outcome="rejected")
    at = datetime(2025, 3, 20, 23, 30, tzinfo=ZoneInfo("Europe/Copenhagen"))
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=at)
    assert webhook_rejections_purge(today=date(2025, 3, 30)) == 0  # cut-off 20.03 00:00
    assert webhook_rejections_purge(today=date(2025, 3, 31)) == 1  # cut-off 21.03 00:00
