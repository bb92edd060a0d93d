"""Client for CPR Services (GCTP): the landlord search (udlejersøgning).

    from cprlookup.gctp import GctpClient, GctpRefused, GctpUnavailable, GctpError

    client = GctpClient()
    result = client.landlord_search(cvr="12345678", dar_house_id=entrance.dar_id)
    for resident in result.residents: ...

What it does, so callers need not:

* Signs on once and reuses the token across calls, threads **and worker processes**: the
  token lives in a small JSON file (setting ``GCTP_TOKEN_FILE``, default
  ``var/gctp-token.json``, mode 0600) written under an ``fcntl`` lock, so N workers sign on
  once, not N times (`tokens`). On ``901`` it signs on again (once per call) and repeats the
  call. ``905`` (wrong user id or password) raises :class:`GctpError` at once.
* Timeouts (``settings.GCTP_TIMEOUT``, per socket operation) and retries with exponential
  backoff and full jitter on transient failures only (connection errors, timeouts, HTTP 5xx,
  malformed answers); never on refusals. ``GCTP_MAX_ATTEMPTS`` (default 4) bounds a call.
* Validates input before any call (malformed input is refused locally with code 16 and
  ``reached_service=False``, so it costs nothing) and validates every answer (well-formed
  XML, the ``<root xmlns="http://www.cpr.dk"><Gctp>`` envelope, a Kvit, 10-digit CPR
  numbers, YYYYMMDD dates, UUIDs) (`protocol`).
* ISO-8859-1 on the wire; one keep-alive HTTP connection per thread (standard library
  ``http.client``: neither requests, urllib3 nor httpx is installed and none is needed)
  (`connections`).
* Logs codes, counts and timings only: never CPR numbers, names or addresses.

``reached_service`` is True once the search service itself answered this search with a Kvit
(OK or a refusal) — an HTTP 5xx, a dropped connection, a malformed answer or a 901 token
refusal do not count. The product charges DKK 0.05 once per search with
``reached_service`` True, however many attempts it took.

Knobs (keyword argument, else ``settings.<NAME>``, else the default): ``GCTP_BASE_URL``,
``GCTP_USERID``, ``GCTP_PASSWORD``, ``GCTP_TIMEOUT`` (10 s), ``GCTP_MAX_ATTEMPTS`` (4),
``GCTP_BACKOFF_BASE`` (0.2 s), ``GCTP_BACKOFF_MAX`` (5 s), ``GCTP_TOKEN_FILE``. The wire
format is described in docs/interfaces.md (CPR Services); the UDLEJER field names and Kvit
codes are the invented ones of the simulator (simulators/gctp.py, docs/gctp-simulator.md).
"""

from .client import DEFAULT_TOKEN_LIFETIME, DEFAULTS, GctpClient, knob
from .protocol import (
    ENCODING,
    KVIT_ADDRESS_NOT_FOUND,
    KVIT_CVR_NOT_OWNER,
    KVIT_CVR_NOT_REGISTERED,
    KVIT_MALFORMED,
    KVIT_OK,
    KVIT_SIGNON_AGAIN,
    KVIT_SIGNON_OK,
    KVIT_WRONG_PASSWORD,
    NAMESPACE,
    REFUSAL_MESSAGES,
    parse_answer,
    parse_residents,
    refusal_message,
    search_key,
    search_xml,
    signon_xml,
)
from .results import GctpError, GctpRefused, GctpUnavailable, Resident, SearchResult
from .tokens import TokenStore

# The request body under its former private name (devtools' gctp_bench builds bodies with it).
_search_xml = search_xml

__all__ = [
    "DEFAULTS",
    "DEFAULT_TOKEN_LIFETIME",
    "ENCODING",
    "KVIT_ADDRESS_NOT_FOUND",
    "KVIT_CVR_NOT_OWNER",
    "KVIT_CVR_NOT_REGISTERED",
    "KVIT_MALFORMED",
    "KVIT_OK",
    "KVIT_SIGNON_AGAIN",
    "KVIT_SIGNON_OK",
    "KVIT_WRONG_PASSWORD",
    "NAMESPACE",
    "REFUSAL_MESSAGES",
    "GctpClient",
    "GctpError",
    "GctpRefused",
    "GctpUnavailable",
    "Resident",
    "SearchResult",
    "TokenStore",
    "knob",
    "parse_answer",
    "parse_residents",
    "refusal_message",
    "search_key",
    "search_xml",
    "signon_xml",
]
