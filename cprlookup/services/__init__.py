"""CPR landlord lookups that write: ad-hoc lookups, scans, the opt-in (docs/domain.md: CPR
lookups, Scheduled scans, Occupancy reconciliation).

By topic:

- `lookup`: who may look up (membership, eligibility) and the ad-hoc lookup;
- `targets`: the unit or stairwell a lookup is about, checked before the paid call;
- `answers`: asking CPR (`search`) and recording answers: log, residents, cost ledger and
  the occupancy picture (`cprlookup.occupancy`);
- `scans`: the opt-in, starting and resuming scans, chunking, the sweeper;
- `scan_work`: what a worker does with a chunk (claiming, searching in the pool);
- `scan_recording`: recording a scan's batches and the job's counters;
- `pool`: the per-process search thread pool and shared GCTP client.

Every rule that can be checked without CPR is checked before the (paid) call; GCTP is called
outside any database transaction (a slow service must not hold a database lock), and the
outcome is recorded in one transaction.
"""

from .answers import (
    CHARGE_FIELDS,
    LOOKUP_FIELDS,
    REFUSAL_TEXTS,
    RESIDENT_FIELDS,
    Answer,
    record_answers,
    refusal_text,
    search,
    unavailable_text,
    write_answers,
)
from .lookup import (
    PRIVATE_MIN_DWELLINGS,
    PURPOSE_MAX_LENGTH,
    CprServiceUnavailable,
    check_member,
    cpr_lookup_perform,
    eligibility_error,
    let_dwellings,
)
from .pool import scan_resources
from .records import dwellings_evidence_record, lookup_cpr_download
from .scan_recording import record_scan_batch, statistics_grown
from .scan_work import ClaimedItem, scan_chunk_process
from .scans import (
    chunked,
    refresh_job_counts,
    require_scan_role,
    scan_pending_chunks,
    scan_resume,
    scan_setting_set,
    scan_start,
    scan_sweep,
    scheduled_scans_start,
)
from .targets import Target, resolve_target, scan_target

__all__ = [
    "CHARGE_FIELDS",
    "LOOKUP_FIELDS",
    "PRIVATE_MIN_DWELLINGS",
    "PURPOSE_MAX_LENGTH",
    "REFUSAL_TEXTS",
    "RESIDENT_FIELDS",
    "Answer",
    "ClaimedItem",
    "CprServiceUnavailable",
    "Target",
    "check_member",
    "chunked",
    "cpr_lookup_perform",
    "dwellings_evidence_record",
    "eligibility_error",
    "let_dwellings",
    "lookup_cpr_download",
    "record_answers",
    "record_scan_batch",
    "refresh_job_counts",
    "refusal_text",
    "require_scan_role",
    "resolve_target",
    "scan_chunk_process",
    "scan_pending_chunks",
    "scan_resources",
    "scan_resume",
    "scan_setting_set",
    "scan_start",
    "scan_sweep",
    "scan_target",
    "scheduled_scans_start",
    "search",
    "statistics_grown",
    "unavailable_text",
    "write_answers",
]
