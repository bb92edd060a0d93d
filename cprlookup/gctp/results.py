"""What a GCTP call returns or raises."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Resident:
    """One registration at the searched address: registered now or moved out within a year.

    ``name`` is '' for protected persons (CPR sends neither name nor address for them), and
    so are ``dar_address_id`` (None), ``floor`` and ``door``.
    """

    cpr: str
    name: str
    move_in: date | None
    move_out: date | None
    protected: bool
    dar_address_id: uuid.UUID | None
    floor: str
    door: str

    def __repr__(self) -> str:  # never print a CPR number or a name by accident
        return f"Resident(cpr=******-****, protected={self.protected}, move_out={self.move_out})"


@dataclass
class SearchResult:
    """The answer to one landlord search."""

    residents: list[Resident]
    reached_service: bool
    attempts: int
    key_kind: str = ""  # DARADR, DARHUS or ADRESSE
    duration_ms: float = 0.0
    service_ts: str = ""  # the ts stamp CPR put on the answer's header


class GctpError(Exception):
    """A GCTP call failed; ``message`` is Danish and fit to show a caseworker."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        reached_service: bool = False,
        attempts: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reached_service = reached_service
        self.attempts = attempts

    def __str__(self) -> str:
        return self.message


class GctpRefused(GctpError):
    """CPR (or the local input check) refused the search: not registered, not the owner,
    address not found, malformed input. Never retried. ``reached_service`` is True when the
    service said it, False when the input was refused locally before any call."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        reached_service: bool = True,
        attempts: int = 0,
    ):
        super().__init__(message, code=code, reached_service=reached_service, attempts=attempts)


class GctpUnavailable(GctpError):
    """A transient failure (timeout, connection, HTTP 5xx, malformed answer) that lasted
    through every retry."""


class Transient(Exception):
    """Internal to the client: a failure worth retrying; ``kind`` is a short Danish
    description."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind
