"""Payment-provider simulator with an SMS gateway: a stand-in for a card-payment provider
(hosted payment page, signed webhooks, status API) and an SMS gateway, in one process.

Run it with::

    python -m simulators.payments [--host 127.0.0.1] [--port 8103] [--data var/payments-sim.json]
        [--api-key demo-payments] [--webhook-secret demo-webhook-secret] [--latency-ms 0]
        [--failure-rate 0] [--webhook-loss-rate 0] [--webhook-duplicate-rate 0]

Standard library only: it never imports Django or product code; the product's client
(`waitlist.payments`) speaks only the wire format. The wire format is invented (the shape of
common card-payment providers) and described in docs/payment-simulator.md:

- ``POST /v1/sessions`` (``X-Api-Key``, optional ``Idempotency-Key``) creates a payment
  session ``{"amount": øre, "currency": "DKK", "reference", "description", "return_url",
  "webhook_url", "metadata"}`` and answers it with its ``payment_url``;
  ``GET /v1/sessions/{id}`` is the status API.
- ``/pay/{id}``: the hosted payment page; the applicant pays with a test card and is sent
  back (303) to ``return_url?session_id=...``.
- Webhooks ``payment.succeeded``, ``payment.failed``, ``session.cancelled``: a POST of the
  event JSON with ``Webhook-Id`` and ``Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 over
  "<t>." + raw body>``, retried with the same id and body until a 2xx answer.
- ``POST /sms`` (``X-Api-Key``) ``{"to", "text", "sender", "reference"}`` → ``{"id",
  "status"}``.
- Control plane: ``/_sim/config`` (knobs), ``/_sim/stats``, ``/_sim/queue``, ``/_sim/sessions``,
  ``/_sim/sessions/{id}/pay``, ``/_sim/events``, ``/_sim/events/redeliver``, ``/_sim/sms``,
  ``/_sim/reset``.
"""
