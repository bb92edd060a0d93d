"""HLR simulator: a stand-alone stand-in for the national rent register (Huslejeregisteret).

Run it with::

    python -m simulators.hlr [--host 127.0.0.1] [--port 8102] [--data var/hlr-sim.json]
        [--latency-ms 0] [--error-rate 0] [--down false] [--api-key demo-hlr]

Standard library only: it must not import Django or product code, so the product's client
(`rentregister.hlr`) speaks only the wire format and the real service could replace it.

The real web service ("HuslejeregisterV3", run by KMD for Landsbyggefonden) has a
non-public field schema. The JSON below is invented from the domain rules (docs/domain.md)
with the service's entity names: Boligorganisation (CVR), Afdeling (department number), Bolig
(keyed by BBR unit id), Lejekontrakt (lease) and Boligudgift (rent and expense lines, shown
per version).

API (JSON, header ``X-Api-Key`` required on /api/v3/*):

- ``POST /api/v3/lejekontrakter`` create, ``PUT /api/v3/lejekontrakter/{lease_number}``
  update, ``DELETE /api/v3/lejekontrakter/{lease_number}`` delete (body optional, only
  ``effective_date`` is read). Header ``Idempotency-Key`` required: the same key with the
  same operation, lease and body answers the stored receipt again (HTTP 200,
  ``replayed: true``) without a second filing; the same key with anything else → 409
  ``idempotency_conflict``. First filing → 201 with the receipt ``{"receipt_id", "status":
  "accepted", "operation", "lease_number", "version", "filed_at", "warnings",
  "notifications": [ids], "replayed": false}``.
- ``GET /api/v3/lejekontrakter/{lease_number}``: status (active / ended / deleted), the
  current version and the history of every accepted version (timestamp, effective_date).
  ``GET /api/v3/lejekontrakter?bbr_unit_id=&organisation_cvr=`` lists leases.
- ``POST /api/v3/lejekontrakter/validate``: validation only; 200 ``{"valid": true,
  "errors": [], "warnings": [...]}`` or 422 with the errors.
- ``GET /api/v3/boliger/{bbr_unit_id}``, ``GET /api/v3/boligorganisationer/{cvr}``.
- ``GET /api/v3/udk/notifications?since=<id>&limit=1000``: what Udbetaling Danmark learns
  automatically from accepted filings: ``rent`` (field lease.rent or
  lease.special_payments), ``water``, ``drainage``, ``heating`` (any change of the
  included / a conto value), ``lease_end`` (end date set, moved or removed),
  ``lease_created`` and ``lease_deleted``; each with id, timestamp, lease_number,
  bbr_unit_id, kind, field, before, after, effective_date, receipt_id, version. Changes to
  BBR data (area, rooms, address), maintenance duty, heating form, electricity, kitchen,
  garage, accessibility, student room or start date produce **no** notification.

Errors: ``{"errors": [{"field": "lease.rent", "code": "invalid_amount", "message": "..."}]}``
with 422 (validation), 404 (unknown lease on update/delete), 409 (idempotency conflict),
400 (bad JSON or missing Idempotency-Key), 401 (API key), 503 (injected fault / down).

Control plane (no API key; the simulator binds to localhost): ``POST /_sim/config`` with
any of ``latency_ms``, ``error_rate`` (0..1, answers 503 before doing anything), ``down``
(every /api request answers 503, or drops the connection with ``down_mode: "close"``),
``lost_response_rate`` (the filing is stored but the connection is dropped before the
answer); ``GET /_sim/config``; ``GET /_sim/stats``; ``GET /_sim/filings``;
``POST /_sim/reset``.

State survives restarts: a snapshot file plus an append-only journal (see store.py).
Full description: docs/hlr-simulator.md.
"""
