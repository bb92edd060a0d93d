"""Tenancy's hook registries: where higher apps plug in their reactions to the portfolio.

Tenancy imports no business app. An app that must react to a tenancy change, or add to a
tenancy screen, registers a function here in its `AppConfig.ready()`:

- `lease_changed`, `unit_changed`: called by the tenancy services inside the transaction
  of the change, so what the reaction writes (the rent register's outbox) commits or rolls
  back with it. `correction` says the change corrects an error in earlier data rather than
  being a new fact (the caseworker says which).
- `person_panels`: extra panels on the person page (HTML rendered by the other app).
- `lease_panels`: extra panels on the lease page (the same, for a lease).
- `dashboard_panels`: other apps' charts on the dashboard (isolated like attention_items).
- `attention_items`: the dashboard's "needs action" items.
- `cpr_reveal_loggers`: record that a full CPR number was shown; the reveal is refused
  when none is registered, so no number is ever shown unlogged.
- `personal_data_disclosed`: record that personal data left the organisation (the
  disclosure log, issue 16).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol, TypedDict

from core.hooks import Hook

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import ChangeRecord, Lease, Organisation, Person, Unit


@dataclass(frozen=True)
class LeaseChange:
    """A lease was created or changed; `record` is its change record (before/after).
    When a lease party's name or CPR number changed, the lease is filed again and
    `record` is the person's change record."""

    record: "ChangeRecord"
    lease: "Lease"
    correction: bool = False
    # The caseworker's reason for a correction (also on the change record).
    reason: str = ""


@dataclass(frozen=True)
class UnitChange:
    """A unit's BBR data or letting code changed."""

    record: "ChangeRecord"
    unit: "Unit"
    correction: bool = False
    reason: str = ""


class AttentionItem(TypedDict):
    """One line of the dashboard's "needs action" box."""

    title: str
    url: str
    count: int
    level: str  # "danger" or "warn"


class AttentionProvider(Protocol):
    def __call__(self, *, user: object, organisation: "Organisation") -> list[AttentionItem]: ...


class CprRevealLogger(Protocol):
    def __call__(self, *, user: object, person: "Person", purpose: str) -> None: ...


lease_changed: Hook[Callable[[LeaseChange], None]] = Hook("lease_changed")
unit_changed: Hook[Callable[[UnitChange], None]] = Hook("unit_changed")
person_panels: Hook[Callable[["HttpRequest", "Person"], str]] = Hook("person_panels")
# Extra panels on the lease page (HTML rendered by another app: the rent register's filings
# and UDK tasks of the lease).
lease_panels: Hook[Callable[["HttpRequest", "Lease"], str]] = Hook("lease_panels")
# Other apps' chart panels on the dashboard (HTML; `organisation` is the one worked in).
dashboard_panels: Hook[Callable[["HttpRequest", "Organisation"], str]] = Hook("dashboard_panels")
attention_items: Hook[AttentionProvider] = Hook("attention_items")
cpr_reveal_loggers: Hook[CprRevealLogger] = Hook("cpr_reveal_loggers")


# --- issue 12 (fidelity): a CPR move of a known person --------------------------------------


@dataclass(frozen=True)
class PersonMove:
    """CPR registered a move of one of the organisation's people at one of its units."""

    person_id: int
    unit_id: int
    kind: str  # "moved_in" or "moved_out"
    date: date | None


# Called by cprlookup (inside the transaction that records the moves) with the moves of one
# batch; filled by rentregister (a move during a temporary rehousing: the "contact UDK" task).
person_moved: Hook[Callable[[list[PersonMove]], None]] = Hook("person_moved")


# --- issue 16 (personal data part 2): the disclosure log --------------------------------------


class DataCategory:
    """The categories of personal data a disclosure names (codes stored in the log; the
    Danish labels are gdpr's). Plain strings so a lower app can name them without gdpr."""

    NAME = "name"
    CPR = "cpr"
    BIRTH_DATE = "birth_date"
    ADDRESS = "address"
    CONTACT = "contact"  # e-mail and phone
    LEASE = "lease"  # lease terms: number, dates, area, rooms
    RENT = "rent"  # rent, a-conto payments, special payments
    MOVES = "moves"  # move-in and move-out dates from CPR
    PROTECTION = "protection"  # that a person has name and address protection
    DOCUMENTS = "documents"  # lease documents (contracts, rulings)


class RecipientKind:
    AUTHORITY = "authority"  # a public authority (rent register, rent tribunal, CPR)
    PRIVATE = "private"  # a private party (buyer, craftsman, meter firm, statistics)
    PROCESSOR = "processor"  # a data processor acting for the organisation
    DOWNLOAD = "download"  # a file downloaded by a member of staff (may leave the house)


@dataclass(frozen=True)
class Disclosure:
    """Personal data about `person_ids` left (or was handed to a member of staff to take out
    of) the organisation: to whom, which categories, on which legal basis, by whom, when.

    `source` is the app's short code ("rentregister.filing", "cprlookup.export"), `reference`
    what a caseworker can look up (the filing number, the lookup), `at` None means now."""

    organisation_id: int
    recipient: str
    recipient_kind: str
    categories: tuple[str, ...]
    person_ids: tuple[int, ...]
    legal_basis: str
    purpose: str
    source: str
    reference: str = ""
    actor_id: int | None = None
    at: datetime | None = None


# Called by every app that sends personal data out (rent-register filings when the register
# has received them, CPR lookup downloads, gdpr's own exports) with the disclosures of one
# batch, inside the transaction that records the send; filled by gdpr (the disclosure log).
personal_data_disclosed: Hook[Callable[[list[Disclosure]], None]] = Hook("personal_data_disclosed")
