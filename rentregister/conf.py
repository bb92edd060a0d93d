"""Knobs for the rent-register outbox, read from the environment (local defaults)."""

import environ

env = environ.Env()

# Concurrent HTTP requests to the register inside one push run (threads do HTTP only).
RENT_PUSH_WORKERS = env.int("RENT_PUSH_WORKERS", default=16)
# Filings claimed per round of a push run.
RENT_PUSH_BATCH = env.int("RENT_PUSH_BATCH", default=200)
# Transient failures (register down, timeouts) before a filing needs a caseworker.
RENT_PUSH_MAX_ATTEMPTS = env.int("RENT_PUSH_MAX_ATTEMPTS", default=8)
# First back-off after a transient failure, doubled per attempt, capped.
RENT_PUSH_BACKOFF_SECONDS = env.float("RENT_PUSH_BACKOFF_SECONDS", default=30.0)
RENT_PUSH_BACKOFF_MAX_SECONDS = env.float("RENT_PUSH_BACKOFF_MAX_SECONDS", default=3600.0)
# A filing claimed ("sent") longer ago than this is assumed lost (worker died) and re-sent
# with the same idempotency key.
RENT_STUCK_AFTER_SECONDS = env.float("RENT_STUCK_AFTER_SECONDS", default=300.0)
# How often beat runs the sweeper.
RENT_SWEEP_INTERVAL_SECONDS = env.float("RENT_SWEEP_INTERVAL_SECONDS", default=60.0)
# Warn on the dashboard this many days before a payout cut-off.
RENT_DEADLINE_WARN_DAYS = env.int("RENT_DEADLINE_WARN_DAYS", default=5)
# UDK's housing support, for rent corrections dated before 1 June 2014.
UDK_SUPPORT_EMAIL = env.str("UDK_SUPPORT_EMAIL", default="boligsupport@atp.dk")
