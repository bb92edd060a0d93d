"""The scan's search thread pool and the GCTP client it shares.

One GCTP client and one search thread pool per worker process, kept across chunks: the
threads keep their keep-alive connections to CPR and the client its token, instead of a new
pool, new connections and a token-file read for every chunk. Keyed by the process (threads
do not survive a fork; Celery's prefork children build their own) and by every setting the
client and the pool are made from, so a changed setting (tests point at another simulator)
gets a fresh client.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings

from ..gctp import GctpClient, knob

_lock = threading.Lock()
_shared: dict[str, Any] = {}

_GCTP_KNOBS = (
    "GCTP_BASE_URL",
    "GCTP_USERID",
    "GCTP_PASSWORD",
    "GCTP_TIMEOUT",
    "GCTP_MAX_ATTEMPTS",
    "GCTP_BACKOFF_BASE",
    "GCTP_BACKOFF_MAX",
    "GCTP_TOKEN_FILE",
)


def scan_resources() -> tuple[GctpClient, ThreadPoolExecutor]:
    """This process's (GctpClient, ThreadPoolExecutor) for scans, made on first use."""
    key = (
        os.getpid(),
        max(1, settings.CPR_SCAN_THREADS),
        *(knob(name) for name in _GCTP_KNOBS),
    )
    with _lock:
        if _shared.get("key") != key:
            # The old pool is not shut down (a concurrent chunk may still submit to it); its
            # idle threads end when it is garbage-collected.
            _shared.update(
                key=key,
                client=GctpClient(),
                pool=ThreadPoolExecutor(max_workers=key[1], thread_name_prefix="cpr-scan"),
            )
        return _shared["client"], _shared["pool"]
