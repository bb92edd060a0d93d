"""gunicorn settings for the web processes (Dockerfile, docker-compose, payments_bench).

Threaded workers (gthread): each process serves several requests at once and keeps the
payment provider's connections alive between webhooks, and webhooks that arrive together in
one process are stored by one INSERT (group commit, waitlist.services.inbox_store). With one
request per process at a time (sync workers) every webhook would pay for its own connection
and commit. Measured with payments_bench (docs/benchmarks.md).

Environment: WEB_CONCURRENCY (processes, default 2), WEB_THREADS (threads per process,
default 8), WEB_BIND (default 0.0.0.0:8000), WEB_ACCESS_LOG ("-" for stdout, the default;
empty for none).
"""

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
# Kept-alive connections (browsers behind a proxy, the payment provider) are closed after this
# many idle seconds (longer than a user's pause: docs/benchmarks.md, load test); requests never
# run longer than `timeout`.
keepalive = 75
timeout = 60
