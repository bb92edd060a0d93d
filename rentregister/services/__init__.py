"""Rent register operations, one module per topic:

- filings: the outbox row written with each lease or unit change; retry, cancel, resend
- udk: which changes need a message to Udbetaling Danmark, and the drafted message
- corrections: correcting a wrong filing through the tenancy services
- consent: the tenant's consent to file their CPR number
- enqueue / push / push_outcomes: pushing filings to the register (claiming, thread pool,
  back-off, sweeper)
- rehousing: temporary and permanent rehousing
- contacts: notification contacts

Callers use `from rentregister import services; services.<name>`. Every write is atomic
and raises core.errors.DomainError with a Danish message."""

from .consent import filing_consent_give, filing_consent_withdraw
from .contacts import contact_delete, contact_save
from .corrections import filing_correct, unit_correct
from .enqueue import push_enqueue_suppressed, schedule_push
from .filings import (
    UNIT_FIELDS_FILED,
    filing_cancel,
    filing_record_lease_change,
    filing_record_unit_change,
    filing_resend,
    filing_retry,
)
from .push import FLUSH_SECONDS, filings_push, filings_release_stuck, filings_sweep
from .push_outcomes import PushStats
from .rehousing import rehousing_end, rehousing_permanent, rehousing_start_temporary
from .udk import (
    LEASE_FIELDS_NOT_AUTOMATIC,
    UDK_AUTOMATIC_SINCE,
    UNIT_FIELDS_NOT_AUTOMATIC,
    udk_task_done,
)

__all__ = [
    "FLUSH_SECONDS",
    "LEASE_FIELDS_NOT_AUTOMATIC",
    "UDK_AUTOMATIC_SINCE",
    "UNIT_FIELDS_FILED",
    "UNIT_FIELDS_NOT_AUTOMATIC",
    "PushStats",
    "contact_delete",
    "contact_save",
    "filing_cancel",
    "filing_consent_give",
    "filing_consent_withdraw",
    "filing_correct",
    "filing_record_lease_change",
    "filing_record_unit_change",
    "filing_resend",
    "filing_retry",
    "filings_push",
    "filings_release_stuck",
    "filings_sweep",
    "push_enqueue_suppressed",
    "rehousing_end",
    "rehousing_permanent",
    "rehousing_start_temporary",
    "schedule_push",
    "udk_task_done",
    "unit_correct",
]
