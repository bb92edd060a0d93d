"""Boligkontor settings: one module, every machine-specific value from the environment.

Production secrets (SECRET_KEY, FIELD_ENCRYPTION_KEY) have no default, so a missing one fails
loudly. `make` writes a local `.env` with generated keys for development and tests.
"""

from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # existing environment variables win

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY")
# --- CPR search hash key (issue 17, hardening): its own secret, so rotating
# FIELD_ENCRYPTION_KEY changes no hash. Empty: derived from the first encryption key (how
# installations before this setting hashed). After changing it, list the old value in
# CPR_HASH_KEY_PREVIOUS and run `manage.py rotate_cpr_keys`.
CPR_HASH_KEY = env.str("CPR_HASH_KEY", default="")
CPR_HASH_KEY_PREVIOUS = env.list("CPR_HASH_KEY_PREVIOUS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served locally, no CDN
    "django_filters",
    "django_htmx",
    "csp",  # Content-Security-Policy (issue 17, hardening)
    # --- login protection and two-factor (issue 17, authz) ---
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "core",
    "tenancy",
    "cprlookup",
    "rentregister",
    "waitlist",
    "gdpr",
]
# Benchmarks, scale seeders and the GCTP simulator's register builder (bench, seed_scale,
# cpr_bench, gctp_bench, gctp_sim_build, rent_bench, hlr_bench): development only.
DEVTOOLS = env.bool("DEVTOOLS", default=DEBUG)
if DEVTOOLS:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # --- hardening (issue 17): the Content-Security-Policy header, no-store on every response
    # a view makes (static files are answered above), 503 while the database is down ---
    "csp.middleware.CSPMiddleware",
    "core.middleware.NoStoreMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.RequestActorMiddleware",
    # --- login protection and two-factor (issue 17, authz): OTP state on request.user, then
    # idle time-outs, the two-factor gate and the 403 log; axes last (its docs) ---
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.SecurityMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Endpoints called by other systems, never a browser (they authenticate each request
# themselves), served by core.wsgi's lean handler with only MACHINE_MIDDLEWARE: no session,
# login, CSRF, language, messages, two-factor or CSP work per request (docs/architecture.md).
MACHINE_ROUTES = ["waitlist:payment_webhook"]
MACHINE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.NoStoreMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "tenancy.context_processors.current_organisation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'boligkontor.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default is shared by web, worker and beat processes: WAL lets readers
    # run beside one writer, IMMEDIATE transactions avoid lock-upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not :memory:) so a real worker process can see the test database.
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("SQLITE_TEST_DB", default=str(VAR_DIR / "test.sqlite3"))
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tenancy:dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- Sessions, API tokens, lock-out and two-factor (issue 17, authz; docs/architecture.md,
# "Security") ---
# A staff session ends after a working day without a request, and when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Members with these roles (and superusers) are logged out sooner when idle ...
SHORT_SESSION_ROLES = ["cpr_officer"]
SHORT_SESSION_IDLE_SECONDS = env.int("SHORT_SESSION_IDLE_SECONDS", default=30 * 60)
# ... and must confirm every login with a TOTP code; other users may enrol (then it is asked).
TWO_FACTOR_REQUIRED_ROLES = ["cpr_officer", "org_admin"]
# Off only in tests that do not test it (tests/conftest.py); never switch it off in production.
TWO_FACTOR_ENFORCED = env.bool("TWO_FACTOR_ENFORCED", default=True)
OTP_TOTP_ISSUER = "Boligkontor"
# Pages a logged-in user without any membership (an applicant's self-service account) may use;
# every other page and API answers such a user 403 (core.auth_policy.member_gate).
NON_MEMBER_PATH_PREFIXES = ["/ansoeger/", "/venteliste/betaling/", "/gdpr/kontakt/"]
# API tokens expire this many hours after they were issued (core.api.ExpiringTokenAuthentication).
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=8)
# django-axes: after LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that
# pair is locked for LOGIN_LOCKOUT_MINUTES (staff login, admin login, API token endpoint).
AUTHENTICATION_BACKENDS = [
    "core.auth_backends.LoginProtectionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("LOGIN_LOCKOUT_MINUTES", default=30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# (issue 17, hardening) an overlong username is a failed login, not a 500 (core.validators)
AXES_USERNAME_CALLABLE = "core.validators.axes_username"

LANGUAGE_CODE = "da"
LANGUAGES = [("da", "Dansk"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True
# --- Danish formats (issue 11): dd.mm.yyyy and 7.808,00 everywhere (config/formats/). Grouping
# is applied by core.formatting (money, areas, counts), not to every integer: a year or an id
# in a template must not become "2.026".
FORMAT_MODULE_PATH = ["config.formats"]
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Lease documents (issue 15): kept through Django's storage API, never at a public URL (the
# download view serves them to the organisation's staff). File system under MEDIA_ROOT by
# default; in production an S3-compatible backend, e.g. django-storages'
# "storages.backends.s3.S3Storage" with its options as JSON in LEASE_DOCUMENTS_STORAGE_OPTIONS.
STORAGES["lease_documents"] = {
    "BACKEND": env.str(
        "LEASE_DOCUMENTS_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
    ),
    "OPTIONS": env.json(
        "LEASE_DOCUMENTS_STORAGE_OPTIONS",
        default={"location": str(MEDIA_ROOT / "lease-documents"), "base_url": "/ikke-offentlig/"},
    ),
}
# The largest lease document accepted, in megabytes.
LEASE_DOCUMENT_MAX_MB = env.int("LEASE_DOCUMENT_MAX_MB", default=20)
# Data-subject requests: the dashboard warns this many days before a deadline.
GDPR_REQUEST_WARN_DAYS = env.int("GDPR_REQUEST_WARN_DAYS", default=7)
# The public contact form: submissions per address (django-ratelimit style "n/period").
CONTACT_FORM_RATE = env.str("CONTACT_FORM_RATE", default="5/h")

# Security: secure by default, relaxed only by an explicit environment value (local HTTP).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# --- Content-Security-Policy (issue 17, hardening): everything from our own origin, no inline
# script or style (JS and CSS live in static/; htmx's indicator styles are in static/css/
# csp.css, switched off in htmx by the meta tag in templates/base.html). ---
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Celery. The embedded default is kombu's filesystem transport: no broker server needed.
BROKER_DIR = Path(env.str("CELERY_FS_BROKER_DIR", default=str(VAR_DIR / "broker"))).resolve()
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True  # progress lives in database rows, not the result backend
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 30
CELERY_TASK_SOFT_TIME_LIMIT = 60 * 25
CELERY_TIMEZONE = TIME_ZONE
# Celery's Django fix-up closes every database connection before and after each task unless
# this is set; a new PostgreSQL backend per task then spends its CPU warming catalog caches
# (a scan runs one task per 200 stairwells). Connections instead follow Django's own rules
# (CONN_MAX_AGE, CONN_HEALTH_CHECKS) through close_old_connections around each task, as for
# a web request: see config/celery.py.
CELERY_DB_REUSE_MAX = 1_000_000_000
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "core.authentication.ExpiringTokenAuthentication",  # issue 17: tokens expire (API_TOKEN_TTL_HOURS)
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # ?page_size= up to 500 (issue 11, ux: the API honours the page size it is asked for).
    "DEFAULT_PAGINATION_CLASS": "core.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # --- throttles (issue 17, authz): per user / per address, and the token endpoint's own ---
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
        "token": env.str("API_THROTTLE_TOKEN", default="10/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Boligkontor API",
    "DESCRIPTION": (
        "REST API for the Boligkontor back office: portfolio, people and leases. Every object "
        "is scoped to the organisations of the authenticated user. CPR numbers are always "
        "masked (DDMMYY-xxxx). Lease lifecycle changes are explicit actions (end, reinstate, "
        "change rent); a tenant change is always end + new lease."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # issue 17 (authz): the schema and Swagger UI are for logged-in users, like the API itself
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # issue 11 (ux): a Danish summary on every operation (core.openapi), after the enum hook.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.danish_summaries",
    ],
    "REDOC_DIST": "SIDECAR",
    # One schema name per shared choice set (several lease fields use the same choices).
    "ENUM_NAME_OVERRIDES": {
        "UtilityPaymentEnum": "tenancy.choices.UtilityPayment",
        "HeatingFormEnum": "tenancy.choices.HeatingForm",
        "LettingCodeEnum": "tenancy.choices.LettingCode",
        "LeaseStatusEnum": "tenancy.choices.LeaseStatus",
        "HolderTypeEnum": "tenancy.choices.HolderType",
        "RoleEnum": "tenancy.choices.Role",
        "OrganisationKindEnum": "tenancy.choices.OrganisationKind",
        "FilingKindEnum": "rentregister.models.FilingKind",
        "ListTypeEnum": "waitlist.models.ListType",
        "OfferChannelEnum": "waitlist.models.Channel",
        # issue 15 (data-subject rights)
        "ConsentPurposeEnum": "gdpr.models.rights.ConsentPurpose",
        "ObjectionPurposeEnum": "gdpr.models.rights.ObjectionPurpose",
        "SubjectRequestKindEnum": "gdpr.models.rights.RequestKind",
        "SubjectRequestStatusEnum": "gdpr.models.rights.RequestStatus",
        "SubjectRequestCloseEnum": "gdpr.subject.api.CLOSE_CHOICES",
        # queued/running/done/failed (outbound exports, retention runs): one name for both
        "JobStatusEnum": "gdpr.models.outbound.ExportStatus",
    },
}

# External services (local simulators by default; the real services can be configured).


def _service_secret(name: str, url: str, demo: str) -> str:
    """A credential for an external service: required from the environment, except for a
    local simulator (127.0.0.1/localhost), whose demo credential is no secret."""
    from urllib.parse import urlsplit

    if name in env.ENVIRON:
        return env.str(name)
    if urlsplit(url).hostname in {"127.0.0.1", "localhost", "::1"}:
        return demo
    raise ImproperlyConfigured(f"{name} must be set for {url}")


GCTP_BASE_URL = env("GCTP_BASE_URL", default="http://127.0.0.1:8101/cpr-online-gctp/gctp")
GCTP_USERID = env("GCTP_USERID", default="boligkontor")
GCTP_PASSWORD = _service_secret("GCTP_PASSWORD", GCTP_BASE_URL, "demo-gctp")
GCTP_TIMEOUT = env.float("GCTP_TIMEOUT", default=10.0)
# Retries of a transient GCTP failure (timeout, 5xx) with exponential back-off, in seconds.
GCTP_MAX_ATTEMPTS = env.int("GCTP_MAX_ATTEMPTS", default=4)
GCTP_BACKOFF_BASE = env.float("GCTP_BACKOFF_BASE", default=0.2)
GCTP_BACKOFF_MAX = env.float("GCTP_BACKOFF_MAX", default=5.0)
# The sign-on token shared by every process on the machine (default var/gctp-token.json).
GCTP_TOKEN_FILE = env.str("GCTP_TOKEN_FILE", default=None)
HLR_BASE_URL = env("HLR_BASE_URL", default="http://127.0.0.1:8102")
HLR_API_KEY = _service_secret("HLR_API_KEY", HLR_BASE_URL, "demo-hlr")
HLR_TIMEOUT = env.float("HLR_TIMEOUT", default=10.0)

# --- Payments, mail and SMS (issue 13, waitlist; docs/payment-simulator.md) ---
# The payment provider (default: python -m simulators.payments, started by make run).
PAYMENT_PROVIDER_URL = env("PAYMENT_PROVIDER_URL", default="http://127.0.0.1:8103")
PAYMENT_PROVIDER_API_KEY = _service_secret(
    "PAYMENT_PROVIDER_API_KEY", PAYMENT_PROVIDER_URL, "demo-payments"
)
PAYMENT_PROVIDER_TIMEOUT = env.float("PAYMENT_PROVIDER_TIMEOUT", default=10.0)
# Shared secret of the webhook signatures, and how old (seconds) a signed webhook may be.
PAYMENT_WEBHOOK_SECRET = _service_secret(
    "PAYMENT_WEBHOOK_SECRET", PAYMENT_PROVIDER_URL, "demo-webhook-secret"
)
PAYMENT_WEBHOOK_TOLERANCE_SECONDS = env.int("PAYMENT_WEBHOOK_TOLERANCE_SECONDS", default=300)
# Where the provider sends the applicant back and posts its webhooks: this site's address.
PAYMENT_CALLBACK_BASE_URL = env("PAYMENT_CALLBACK_BASE_URL", default="http://127.0.0.1:8000")
# Where the provider posts webhooks, if not the browser's address (docker compose: http://web:8000).
PAYMENT_WEBHOOK_BASE_URL = env("PAYMENT_WEBHOOK_BASE_URL", default="")
# A stored webhook is applied by a worker; each web process asks for that at most once
# (plus one delayed request) per this many seconds (waitlist.services.payment_inbox).
PAYMENT_INBOX_KICK_SECONDS = env.float("PAYMENT_INBOX_KICK_SECONDS", default=0.5)
# On PostgreSQL, webhooks arriving together in one web process are stored by one INSERT and
# one commit (group commit, waitlist.services.inbox_store); off: one INSERT per request.
PAYMENT_INBOX_GROUP_COMMIT = env.bool("PAYMENT_INBOX_GROUP_COMMIT", default=True)


# The hosted payment page's origin as browsers reach it: the "pay" form's redirect goes there,
# so the CSP's form-action allows it (default: the origin of PAYMENT_PROVIDER_URL).
def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


PAYMENT_CHECKOUT_ORIGIN = env("PAYMENT_CHECKOUT_ORIGIN", default=_origin(PAYMENT_PROVIDER_URL))
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] = [
    *CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"],
    PAYMENT_CHECKOUT_ORIGIN,
]
# Sessions without a webhook for this long are asked about (payments_reconcile), every
# PAYMENT_RECONCILE_INTERVAL_SECONDS, for at most PAYMENT_RECONCILE_MAX_AGE_DAYS.
PAYMENT_RECONCILE_AFTER_SECONDS = env.int("PAYMENT_RECONCILE_AFTER_SECONDS", default=300)
PAYMENT_RECONCILE_INTERVAL_SECONDS = env.float("PAYMENT_RECONCILE_INTERVAL_SECONDS", default=300.0)
# Records of refused webhooks (forged, stale, malformed) are deleted by the nightly run after
# this many days; accepted events are kept.
PAYMENT_WEBHOOK_REJECTED_KEEP_DAYS = env.int("PAYMENT_WEBHOOK_REJECTED_KEEP_DAYS", default=30)
PAYMENT_RECONCILE_MAX_AGE_DAYS = env.int("PAYMENT_RECONCILE_MAX_AGE_DAYS", default=7)
# SMS gateway (default: the same simulator process).
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="http://127.0.0.1:8103/sms")
SMS_GATEWAY_API_KEY = env("SMS_GATEWAY_API_KEY", default="demo-payments")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=10.0)
SMS_SENDER = env("SMS_SENDER", default="Boligkontor")
# How often beat settles offer rounds past their deadline (issue 14, letting).
LETTING_ROUNDS_INTERVAL_SECONDS = env.float("LETTING_ROUNDS_INTERVAL_SECONDS", default=300.0)
# How often beat sends queued e-mail and SMS (waitlist.messaging.messages_send_queued).
MESSAGE_SEND_INTERVAL_SECONDS = env.float("MESSAGE_SEND_INTERVAL_SECONDS", default=60.0)
# The nightly waiting-list run works in chunks of this many rows, one transaction each
# (waitlist.services.nightly): a killed run keeps every finished chunk and redoes the rest.
WAITLIST_NIGHTLY_CHUNK = env.int("WAITLIST_NIGHTLY_CHUNK", default=1000)
# E-mail: real SMTP; default the local mail sink (python -m simulators.mailsink, make run).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=8025)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Boligkontor <venteliste@boligkontor.local>")

# --- CPR lookups (cprlookup) ---
# Price per search that reached CPR's landlord service (DKK, 2024 price list).
CPR_SEARCH_PRICE = Decimal(env.str("CPR_SEARCH_PRICE", default="0.05"))
# Local time (Europe/Copenhagen) of the nightly scan, "HH:MM".
CPR_SCAN_TIME = env.str("CPR_SCAN_TIME", default="02:00")
# Entrances per worker task (the last chunks of a run smaller); each task runs its searches
# on CPR_SCAN_THREADS threads and records answers in batches of at least
# CPR_SCAN_RECORD_BATCH while the next searches run. Big chunks keep the threads busy: a
# chunk's end costs about 5 % of a scan at 200 stairwells a chunk (docs/benchmarks.md).
CPR_SCAN_CHUNK_SIZE = env.int("CPR_SCAN_CHUNK_SIZE", default=2000)
CPR_SCAN_THREADS = env.int("CPR_SCAN_THREADS", default=8)
CPR_SCAN_RECORD_BATCH = env.int("CPR_SCAN_RECORD_BATCH", default=50)
# An item "running" longer than this is abandoned (its worker died); a job without progress
# for this long gets its pending items queued again.
CPR_SCAN_STUCK_SECONDS = env.int("CPR_SCAN_STUCK_SECONDS", default=600)
# How often the scan sweeper looks for stuck work.
CPR_SWEEP_INTERVAL_SECONDS = env.int("CPR_SWEEP_INTERVAL_SECONDS", default=60)
# --- issue 12 (fidelity): a unit's 392-style status counts as stale when CPR's answer
# behind it is this many days old (BBR's own field 392 is refreshed twice a year).
CPR_OCCUPANCY_STALE_DAYS = env.int("CPR_OCCUPANCY_STALE_DAYS", default=90)

# --- Rent register outbox (rentregister) ---
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
# How often beat runs the filing sweeper.
RENT_SWEEP_INTERVAL_SECONDS = env.float("RENT_SWEEP_INTERVAL_SECONDS", default=60.0)
# issue 12 (fidelity): the hour (Danish time) of the nightly comparison with the register.
RENT_COMPARE_HOUR = env.int("RENT_COMPARE_HOUR", default=4)
# Warn on the dashboard this many days before a housing-benefit payout cut-off.
RENT_DEADLINE_WARN_DAYS = env.int("RENT_DEADLINE_WARN_DAYS", default=5)
# issue 12 (domain): a rent drop of more than this many per cent must be confirmed by the
# caseworker (a mistaken cut stops housing benefit).
RENT_DROP_CONFIRM_PERCENT = env.float("RENT_DROP_CONFIRM_PERCENT", default=30.0)
# UDK's housing support, for rent corrections dated before 1 June 2014.
UDK_SUPPORT_EMAIL = env.str("UDK_SUPPORT_EMAIL", default="boligsupport@atp.dk")


def _hour_minute(value: str, name: str = "CPR_SCAN_TIME") -> tuple[int, int]:
    """ "HH:MM" as (hour, minute); a malformed value fails at start-up, not at 2 a.m."""
    try:
        hour, minute = (int(part) for part in value.split(":"))
    except ValueError:
        hour = minute = -1
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ImproperlyConfigured(f"{name} must be HH:MM, not {value!r}")
    return hour, minute


_scan_hour, _scan_minute = _hour_minute(CPR_SCAN_TIME)
# When the nightly retention run starts (HH:MM, Danish time; issue 15, docs/privacy.md).
GDPR_RETENTION_TIME = env.str("GDPR_RETENTION_TIME", default="02:30")
_retention_hour, _retention_minute = _hour_minute(GDPR_RETENTION_TIME, "GDPR_RETENTION_TIME")

# Every periodic task, in one place (celery beat reads this).
CELERY_BEAT_SCHEDULE = {
    "cpr-nightly-scan": {
        "task": "cprlookup.tasks.scan_schedule",
        "schedule": crontab(hour=_scan_hour, minute=_scan_minute),
    },
    "cpr-scan-sweeper": {
        "task": "cprlookup.tasks.scan_sweep",
        "schedule": float(CPR_SWEEP_INTERVAL_SECONDS),
    },
    "rentregister-sweep-filings": {
        "task": "rentregister.sweep_filings",
        "schedule": RENT_SWEEP_INTERVAL_SECONDS,
    },
    # issue 12 (fidelity): read the register back and list every difference from ours.
    "rentregister-compare-register": {
        "task": "rentregister.compare_register",
        "schedule": crontab(hour=RENT_COMPARE_HOUR, minute=40),
    },
    # issue 12 (domain): lease statuses and waiting rent periods follow the calendar.
    "tenancy-apply-lease-dates": {
        "task": "tenancy.leases_apply_dates",
        "schedule": crontab(hour=0, minute=5),
    },
    "tenancy-purge-old-exports": {
        "task": "tenancy.export_jobs_purge",
        "schedule": crontab(hour=3, minute=17),
    },
    # issue 13 (waitlist): renewal invoices, reminders with a deadline, deletions.
    "waitlist-nightly": {
        "task": "waitlist.nightly_run",
        "schedule": crontab(hour=1, minute=15),
    },
    # Payment sessions whose webhook never came (issue 13, payments).
    "waitlist-payments-reconcile": {
        "task": "waitlist.payments_reconcile",
        "schedule": PAYMENT_RECONCILE_INTERVAL_SECONDS,
    },
    # Queued e-mail and SMS (the nightly run queues them; issue 13, messaging).
    "waitlist-messages-send": {
        "task": "waitlist.messages_send",
        "schedule": MESSAGE_SEND_INTERVAL_SECONDS,
    },
    # issue 15 (retention): the retention schedule carried out (docs/privacy.md).
    "gdpr-retention-nightly": {
        "task": "gdpr.retention_nightly",
        "schedule": crontab(hour=_retention_hour, minute=_retention_minute),
    },
    # issue 16: data discovery (CPR numbers, e-mails, phones in free text, documents, files).
    "gdpr-data-discovery": {
        "task": "gdpr.discovery_run",
        "schedule": crontab(hour=2, minute=40),
    },
    # Offer rounds past their answer deadline (issue 14, letting; docs/letting.md).
    "waitlist-letting-rounds": {
        "task": "waitlist.letting_rounds_due",
        "schedule": LETTING_ROUNDS_INTERVAL_SECONDS,
    },
}

# Exports above this many rows run as a background job with a progress bar.
EXPORT_SYNC_LIMIT = env.int("EXPORT_SYNC_LIMIT", default=10_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
