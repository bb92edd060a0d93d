"""State of the simulated register: leases with history, dwellings, organisations,
idempotency receipts, accepted filings and the UDK notification feed.

Durability: every accepted filing is appended as one JSON line to a journal
(`<data>.journal`, flushed per line) before the receipt is answered; at start-up the
snapshot (`<data>`) is loaded and the journal replayed; at shutdown (and start-up) a new
snapshot is written atomically (temporary file + `os.replace`) and the journal emptied.
Each event carries a sequence number and the snapshot the last one it contains, so a
crash between snapshot and truncation cannot apply an event twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .validation import error, validate_delete, validate_filing

# What UDK learns automatically from an accepted filing (docs/domain.md): rent (incl.
# special payments), whether water/drainage/heating are included or paid a conto, the
# end of the lease, and a lease appearing or disappearing. Everything else in the
# payload (BBR area/rooms, maintenance duty, heating form, electricity, kitchen, ...)
# produces no notification: the organisation must tell UDK itself.
LEARNED_FIELDS = {
    "rent": "rent",
    "special_payments": "rent",
    "water": "water",
    "drainage": "drainage",
    "heating": "heating",
    "end_date": "lease_end",
}
SUMMARY_FIELDS = (
    "rent",
    "special_payments",
    "water",
    "drainage",
    "heating",
    "start_date",
    "end_date",
)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def fingerprint(operation: str, lease_number: str | None, body: Any) -> str:
    """What an idempotency key is bound to: operation, target lease and the exact body."""
    raw = json.dumps([operation, lease_number, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


class Store:
    """Thread-safe register state; all mutations happen under one lock."""

    def __init__(self, path: Path | None) -> None:
        self.lock = threading.RLock()
        self.path = path
        self.journal_path = path.with_name(path.name + ".journal") if path else None
        self._journal = None
        self.counters = {"replays": 0, "conflicts": 0, "rejections": 0}
        self._clear()
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._load()
            self.snapshot()
            self._journal = open(self.journal_path, "a", encoding="utf-8")  # noqa: SIM115

    # -- persistence ---------------------------------------------------------------

    def _clear(self) -> None:
        self.seq = 0
        self.organisations: dict[str, dict] = {}
        self.dwellings: dict[str, dict] = {}
        self.leases: dict[str, dict] = {}
        self.idempotency: dict[str, dict] = {}
        self.filings: list[dict] = []
        self.notifications: list[dict] = []
        # cvr -> {"contacts": [{"name", "email"}], "updated_at"}: who the register notifies
        self.notification_settings: dict[str, dict] = {}

    def _state(self) -> dict:
        return {
            "format": 1,
            "seq": self.seq,
            "organisations": self.organisations,
            "dwellings": self.dwellings,
            "leases": self.leases,
            "idempotency": self.idempotency,
            "filings": self.filings,
            "notifications": self.notifications,
            "notification_settings": self.notification_settings,
        }

    def _load(self) -> None:
        if not self.path or not self.journal_path:
            return
        if self.path.exists() and self.path.stat().st_size:
            state = json.loads(self.path.read_text(encoding="utf-8"))
            self.seq = state["seq"]
            for key in ("organisations", "dwellings", "leases", "idempotency"):
                setattr(self, key, state[key])
            self.filings = state["filings"]
            self.notifications = state["notifications"]
            self.notification_settings = state.get("notification_settings", {})
        if self.journal_path.exists():
            with open(self.journal_path, encoding="utf-8") as journal:
                for line in journal:
                    try:
                        event = json.loads(line)
                    except json.JSONDecodeError:
                        break  # a torn last line from a crash: that filing was never answered
                    if event["seq"] > self.seq:
                        self._apply(event)

    def snapshot(self) -> None:
        """Write the whole state atomically, then empty the journal."""
        if not self.path or not self.journal_path:
            return
        with self.lock:
            tmp = self.path.with_name(self.path.name + ".tmp")
            with open(tmp, "w", encoding="utf-8") as out:
                json.dump(self._state(), out, separators=(",", ":"))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
            if self._journal:
                self._journal.close()
            with open(self.journal_path, "w", encoding="utf-8"):
                pass
            if self._journal:
                self._journal = open(self.journal_path, "a", encoding="utf-8")  # noqa: SIM115

    def close(self) -> None:
        with self.lock:
            self.snapshot()
            if self._journal:
                self._journal.close()
                self._journal = None

    def reset(self) -> None:
        with self.lock:
            self._clear()
            self.counters = dict.fromkeys(self.counters, 0)
            self.snapshot()

    # -- filings -------------------------------------------------------------------

    def file(
        self,
        *,
        operation: str,
        lease_number: str | None,
        body: Any,
        idempotency_key: str,
    ) -> tuple[int, dict]:
        """Create, update or delete a Lejekontrakt; answer (HTTP status, JSON body)."""
        fp = fingerprint(operation, lease_number, body)
        if operation == "delete":
            errors, cleaned = validate_delete(body)
            warnings: list[dict] = []
        else:
            errors, warnings, cleaned = validate_filing(body)
        with self.lock:
            known = self.idempotency.get(idempotency_key)
            if known is not None:
                if known["fingerprint"] != fp:
                    self.counters["conflicts"] += 1
                    return 409, {
                        "errors": [
                            error(
                                None,
                                "idempotency_conflict",
                                "Idempotency-Key er allerede brugt til en anden indberetning.",
                            )
                        ]
                    }
                self.counters["replays"] += 1
                return 200, {**known["receipt"], "replayed": True}
            if not errors:
                errors, status = self._check_target(operation, lease_number, cleaned)
            else:
                status = 422
            if errors:
                self.counters["rejections"] += 1
                return status, {"errors": errors, "warnings": warnings}
            number = lease_number if operation != "create" else cleaned["lease"]["lease_number"]
            event = {
                "seq": self.seq + 1,
                "type": "filing",
                "operation": operation,
                "lease_number": number,
                "idempotency_key": idempotency_key,
                "fingerprint": fp,
                "payload": cleaned,
                "warnings": warnings,
                "receipt_id": str(uuid.uuid4()),
                "filed_at": now_iso(),
            }
            receipt = self._apply(event)
            if self._journal:
                self._journal.write(json.dumps(event, separators=(",", ":")) + "\n")
                self._journal.flush()
            return 201, receipt

    def _check_target(
        self, operation: str, lease_number: str | None, cleaned: dict
    ) -> tuple[list[dict], int]:
        if operation == "create":
            current = self.leases.get(cleaned["lease"]["lease_number"])
            if current and current["status"] != "deleted":
                return [
                    error(
                        "lease.lease_number",
                        "already_exists",
                        "Lejekontrakten findes allerede i registeret; brug opdatering.",
                    )
                ], 422
            return [], 201
        current = self.leases.get(lease_number or "")
        if current is None or current["status"] == "deleted":
            return [
                error("lease_number", "not_found", "Lejekontrakten findes ikke i registeret.")
            ], 404
        if operation == "update" and cleaned["lease"]["lease_number"] != lease_number:
            return [
                error(
                    "lease.lease_number",
                    "mismatch",
                    "Lejemålsnummeret i indholdet svarer ikke til adressen.",
                )
            ], 422
        return [], 200

    def _apply(self, event: dict) -> dict:
        """Apply one accepted filing (live or replayed from the journal); return the receipt."""
        self.seq = event["seq"]
        operation, number, payload = event["operation"], event["lease_number"], event["payload"]
        lease = self.leases.get(number)
        previous = None
        if lease and lease["status"] != "deleted":
            previous = lease["versions"][-1]
        if lease is None:
            lease = {"lease_number": number, "status": "active", "versions": []}
            self.leases[number] = lease
        version_no = len(lease["versions"]) + 1
        effective = payload.get("effective_date") or date.today().isoformat()  # noqa: DTZ011
        if operation == "delete":
            version = {
                **(previous or {}),
                "version": version_no,
                "operation": "delete",
                "receipt_id": event["receipt_id"],
                "filed_at": event["filed_at"],
                "effective_date": effective,
            }
            lease["status"] = "deleted"
        else:
            version = {
                "version": version_no,
                "operation": operation,
                "receipt_id": event["receipt_id"],
                "filed_at": event["filed_at"],
                "effective_date": effective,
                "organisation_cvr": payload["organisation_cvr"],
                "department_number": payload["department_number"],
                "dwelling": payload["dwelling"],
                "lease": payload["lease"],
            }
            lease["status"] = "ended" if payload["lease"]["end_date"] else "active"
            self._upsert_dwelling(payload, number)
        lease["bbr_unit_id"] = version["dwelling"]["bbr_unit_id"]
        lease["versions"].append(version)

        new_notes = self._notify(event, version, previous)
        receipt = {
            "receipt_id": event["receipt_id"],
            "status": "accepted",
            "operation": operation,
            "lease_number": number,
            "version": version_no,
            "filed_at": event["filed_at"],
            "warnings": event["warnings"],
            "notifications": [n["id"] for n in new_notes],
            "replayed": False,
        }
        self.idempotency[event["idempotency_key"]] = {
            "fingerprint": event["fingerprint"],
            "receipt": receipt,
        }
        self.filings.append(
            {
                "receipt_id": event["receipt_id"],
                "operation": operation,
                "lease_number": number,
                "version": version_no,
                "bbr_unit_id": lease["bbr_unit_id"],
                "idempotency_key": event["idempotency_key"],
                "effective_date": effective,
                "filed_at": event["filed_at"],
            }
        )
        return receipt

    def _upsert_dwelling(self, payload: dict, number: str) -> None:
        cvr, dept = payload["organisation_cvr"], payload["department_number"]
        dwelling = payload["dwelling"]
        bbr = dwelling["bbr_unit_id"]
        record = self.dwellings.setdefault(bbr, {"bbr_unit_id": bbr, "lease_numbers": []})
        old = (record.get("organisation_cvr"), record.get("department_number"))
        if old != (cvr, dept):
            # membership tracked through the dwelling record: no list scans per filing
            if old[0] is not None:
                self.organisations[old[0]]["departments"][old[1]]["bbr_unit_ids"].remove(bbr)
            org = self.organisations.setdefault(cvr, {"cvr": cvr, "departments": {}})
            department = org["departments"].setdefault(dept, {"number": dept, "bbr_unit_ids": []})
            department["bbr_unit_ids"].append(bbr)
        record.update(
            address=dwelling["address"],
            area_m2=dwelling["area_m2"],
            rooms=dwelling["rooms"],
            organisation_cvr=cvr,
            department_number=dept,
        )
        if number not in record["lease_numbers"]:
            record["lease_numbers"].append(number)

    def _notify(self, event: dict, version: dict, previous: dict | None) -> list[dict]:
        operation = event["operation"]
        base = {
            "timestamp": event["filed_at"],
            "lease_number": event["lease_number"],
            "bbr_unit_id": version["dwelling"]["bbr_unit_id"],
            "effective_date": version["effective_date"],
            "receipt_id": event["receipt_id"],
            "version": version["version"],
        }
        changes: list[tuple[str, str | None, Any, Any]] = []
        if operation == "delete":
            changes.append(("lease_deleted", None, _summary(previous), None))
        elif previous is None:
            changes.append(("lease_created", None, None, _summary(version)))
        else:
            for key, kind in LEARNED_FIELDS.items():
                before, after = previous["lease"][key], version["lease"][key]
                if before != after:
                    changes.append((kind, f"lease.{key}", before, after))
        notes = []
        for kind, field, before, after in changes:
            note = {
                "id": len(self.notifications) + 1,
                "kind": kind,
                "field": field,
                "before": before,
                "after": after,
                **base,
            }
            self.notifications.append(note)
            notes.append(note)
        return notes

    # -- reads ---------------------------------------------------------------------

    def validate(self, body: Any) -> tuple[int, dict]:
        errors, warnings, _ = validate_filing(body)
        if errors:
            return 422, {"valid": False, "errors": errors, "warnings": warnings}
        return 200, {"valid": True, "errors": [], "warnings": warnings}

    def lease_view(self, number: str) -> dict | None:
        with self.lock:
            lease = self.leases.get(number)
            if lease is None:
                return None
            current = lease["versions"][-1]
            return {
                "lease_number": number,
                "status": lease["status"],
                "version": current["version"],
                "bbr_unit_id": lease["bbr_unit_id"],
                "organisation_cvr": current.get("organisation_cvr"),
                "department_number": current.get("department_number"),
                "current": None if lease["status"] == "deleted" else _version_view(current),
                "history": [_version_view(v) for v in lease["versions"]],
            }

    def notification_settings_put(self, cvr: str, body: Any) -> tuple[int, dict]:
        """Replace who the register notifies for the organisation (its contact persons)."""
        contacts = body.get("contacts") if isinstance(body, dict) else None
        if not isinstance(contacts, list):
            return 422, {"errors": [error("contacts", "required", "contacts skal være en liste.")]}
        errors, clean = [], []
        for i, contact in enumerate(contacts):
            name = str((contact or {}).get("name") or "").strip()
            email = str((contact or {}).get("email") or "").strip()
            if not name or "@" not in email or len(email) > 254:
                errors.append(
                    error(f"contacts[{i}]", "invalid_contact", "Navn og gyldig e-mail kræves.")
                )
            clean.append({"name": name[:200], "email": email})
        if errors:
            return 422, {"errors": errors}
        with self.lock:
            self.notification_settings[cvr] = {"contacts": clean, "updated_at": now_iso()}
            self.snapshot()
            return 200, {"cvr": cvr, **self.notification_settings[cvr]}

    def notification_settings_get(self, cvr: str) -> tuple[int, dict]:
        with self.lock:
            settings = self.notification_settings.get(cvr) or {"contacts": [], "updated_at": None}
            return 200, {"cvr": cvr, **settings}

    def lease_list(
        self, *, bbr_unit_id: str | None, cvr: str | None, full: bool = False
    ) -> list[dict]:
        with self.lock:
            rows = []
            for number, lease in self.leases.items():
                current = lease["versions"][-1]
                if bbr_unit_id and lease["bbr_unit_id"] != bbr_unit_id:
                    continue
                if cvr and current.get("organisation_cvr") != cvr:
                    continue
                rows.append(
                    {
                        "lease_number": number,
                        "status": lease["status"],
                        "version": current["version"],
                        "bbr_unit_id": lease["bbr_unit_id"],
                        # full=1: what the register holds now (read back for comparison)
                        **(
                            {
                                "current": None
                                if lease["status"] == "deleted"
                                else _version_view(current)
                            }
                            if full
                            else {}
                        ),
                    }
                )
            return rows

    def dwelling_view(self, bbr: str) -> dict | None:
        with self.lock:
            record = self.dwellings.get(bbr)
            if record is None:
                return None
            current = [
                n
                for n in record["lease_numbers"]
                if self.leases.get(n, {}).get("status") == "active"
            ]
            return {**record, "lease_numbers": list(record["lease_numbers"]), "active": current}

    def organisation_view(self, cvr: str) -> dict | None:
        with self.lock:
            org = self.organisations.get(cvr)
            if org is None:
                return None
            return {
                "cvr": cvr,
                "afdelinger": [
                    {"number": d["number"], "bbr_unit_ids": list(d["bbr_unit_ids"])}
                    for d in org["departments"].values()
                ],
            }

    def notifications_since(self, since: int, limit: int) -> list[dict]:
        with self.lock:
            # ids are 1..n in list order
            return [dict(n) for n in self.notifications[since : since + limit]]

    def stats(self) -> dict:
        with self.lock:
            return {
                "filings_accepted": len(self.filings),
                "idempotency_keys": len(self.idempotency),
                "leases": len(self.leases),
                "notifications": len(self.notifications),
                **self.counters,
            }


def _summary(version: dict | None) -> dict | None:
    if version is None:
        return None
    return {key: version["lease"][key] for key in SUMMARY_FIELDS}


def _version_view(version: dict) -> dict:
    """One version of a lease, with its expense lines (Boligudgift) spelled out."""
    view = dict(version)
    lease = version.get("lease") or {}
    view["boligudgifter"] = [
        {"type": "husleje", "amount": lease.get("rent")},
        {"type": "saerlige_betalinger", "amount": lease.get("special_payments")},
        *({"type": key, "payment": lease.get(key)} for key in LEARNED_UTILITIES),
    ]
    return view


LEARNED_UTILITIES = ("electricity", "water", "drainage", "heating")
