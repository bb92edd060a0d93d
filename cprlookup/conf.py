"""Knobs for CPR lookups, read from the environment (defaults for local use)."""

from decimal import Decimal

import environ

env = environ.Env()

#: Price per search that reached CPR's landlord service (DKK, 2024 price list).
SEARCH_PRICE = Decimal(env.str("CPR_SEARCH_PRICE", default="0.05"))

#: Local time (Europe/Copenhagen) of the nightly scan, "HH:MM".
SCAN_TIME = env.str("CPR_SCAN_TIME", default="02:00")

#: Entrances per worker task (the last chunks of a run smaller, see services._chunked);
#: each task runs its searches on SCAN_THREADS threads and records the answers in batches
#: of at least SCAN_RECORD_BATCH (larger when recording is slower than searching) while the
#: next searches run. Big chunks keep the threads busy: a chunk's end, with its threads
#: falling idle one by one and the next task's set-up, cost about 5 % of a scan at 200
#: stairwells a chunk (cpr_bench).
SCAN_CHUNK_SIZE = env.int("CPR_SCAN_CHUNK_SIZE", default=2000)
SCAN_THREADS = env.int("CPR_SCAN_THREADS", default=8)
SCAN_RECORD_BATCH = env.int("CPR_SCAN_RECORD_BATCH", default=50)

#: An item "running" longer than this is considered abandoned (its worker died); and a job
#: without progress for this long gets its pending items queued again.
SCAN_STUCK_SECONDS = env.int("CPR_SCAN_STUCK_SECONDS", default=600)

#: How often the sweeper looks for stuck work.
SWEEP_INTERVAL_SECONDS = env.int("CPR_SWEEP_INTERVAL_SECONDS", default=60)

#: Private landlords need more than this many dwellings (CPR Act §39).
PRIVATE_MIN_DWELLINGS = 10


def scan_hour_minute() -> tuple[int, int]:
    """SCAN_TIME as (hour, minute); a malformed value falls back to 02:00."""
    try:
        hour, minute = (int(part) for part in SCAN_TIME.split(":"))
    except ValueError:
        return 2, 0
    if not (0 <= hour < 24 and 0 <= minute < 60):
        return 2, 0
    return hour, minute


# GCTP client knobs that settings.py does not read from the environment (cprlookup.gctp
# looks here after settings). None = the client's default.
GCTP_TOKEN_FILE = env.str("GCTP_TOKEN_FILE", default=None)
GCTP_MAX_ATTEMPTS = env.int("GCTP_MAX_ATTEMPTS", default=None)
GCTP_BACKOFF_BASE = env.float("GCTP_BACKOFF_BASE", default=None)
GCTP_BACKOFF_MAX = env.float("GCTP_BACKOFF_MAX", default=None)
