"""/healthz: database and broker status as JSON; 503 when either is down."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - a health check reports any failure
        return f"error: {type(exc).__name__}"
    return "ok"


def _broker() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:  # noqa: BLE001 - a health check reports any failure
        return f"error: {type(exc).__name__}"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    status = {"database": _database(), "broker": _broker()}
    healthy = all(v == "ok" for v in status.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **status}, status=200 if healthy else 503
    )
