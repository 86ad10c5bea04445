"""Settings for communityops, read from the environment (12-factor).

Every variable is listed in `.env.example`. Production needs SECRET_KEY and ALLOWED_HOSTS; with
DJANGO_DEBUG off the security settings default to what `manage.py check --deploy` asks for.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("COMMUNITYOPS_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# bin/demo runs the production settings with DEMO_MODE=1 (plain HTTP on this machine, the filesystem broker);
# "production" below means DEBUG off and not the demo.
DEMO_MODE = env.bool("DEMO_MODE", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
# Without a secret, commands that serve nothing (migrate, makemigrations, imports) still run on a
# throwaway key; the web server refuses to start (wsgi.py) and `check --deploy` reports it.
SECRET_KEY_MISSING = not SECRET_KEY and not DEBUG
if not SECRET_KEY:
    SECRET_KEY = (
        "insecure-local-development-key-not-for-production-use-0123456789"
        if DEBUG
        else __import__("secrets").token_urlsafe(50)
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "axes",
    "csp",
    # Our apps, from the ground floor up (docs/architecture.md); each imports only those listed before it.
    "core",
    "accounts",
    "imports",
    "members",
    "campaigns",
    "outreach",
    "livecodes",
    "community",
    "analytics",
    "demo",
    "communityops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files keep their long cache and carry no policy; everything Django renders does.
    "communityops.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "communityops.middleware.OrganisationLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Last, as axes asks: it turns a login that axes refused into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "communityops.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "communityops.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "communityops.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'communityops.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers proceed during an import, IMMEDIATE
    # transactions take the write lock up front instead of failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# axes first: it refuses a locked-out login before any password is checked (communityops/logins.py).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise's compressed manifest storage, compressing again only what changed (communityops/staticfiles.py).
    "staticfiles": {"BACKEND": "communityops.staticfiles.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
# Uploaded import files can be large (a year of orders); they are streamed to disk, never held in memory.
# No more than IMPORT_MAX_FILE_BYTES of an upload is stored (imports.uploads; gunicorn has no body limit),
# and the import form refuses the file, naming the limit. No form takes more than one file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 1
FILE_UPLOAD_HANDLERS = [
    "imports.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every API error is JSON, whatever the client asked for (communityops/errors.py).
    "EXCEPTION_HANDLER": "communityops.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "communityops API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs describe the whole API: for logged-in users only, like the API itself.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: Redis when CELERY_BROKER_URL names it; otherwise a filesystem broker that needs nothing installed.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
# In production the web server, the worker and beat refuse the filesystem broker (communityops/checks.py):
# kombu's filesystem transport cannot drive Celery's event loop, so the worker runs billiard's blocking pool,
# whose processes take turns on one locked pipe; a pool process killed while it holds the lock (kill -9, the
# out-of-memory killer) leaves the worker receiving tasks it never runs, for good. Redis has no such lock.
BROKER_NOT_FOR_PRODUCTION = CELERY_BROKER_URL.startswith("filesystem://") and not DEBUG and not DEMO_MODE
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        # kombu keeps its exchange tables here; its default is ./control in whatever directory we started in.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 60
if not CELERY_BROKER_URL.startswith("filesystem://"):
    # Redis hands a task whose worker died (acks late) to another worker after the visibility timeout; it must
    # outlast the longest task, or a long import would be handed out a second time while it still runs.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 10 * 60}
# A worker that loses the broker connection cancels its running acks-late tasks: their messages go back to
# the queue and run again once, rather than twice at the same time (Celery's default will be the same).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}
# campaigns: claim and send due reminders (every 30 s), move campaigns draft → live → ended and watch stock.
CELERY_BEAT_SCHEDULE["reminders-sweep"] = {
    "task": "campaigns.reminders_sweep",
    "schedule": env.float("REMINDER_SWEEP_SECONDS", default=30.0),
}
CELERY_BEAT_SCHEDULE["campaigns-tick"] = {
    "task": "campaigns.campaigns_tick",
    "schedule": env.float("CAMPAIGN_TICK_SECONDS", default=60.0),
}
# analytics: absorb imported or changed orders in the worker, so page requests find the numbers fresh.
CELERY_BEAT_SCHEDULE["analytics-refresh"] = {"task": "analytics.refresh", "schedule": 300.0}
# analytics: last week's recap e-mailed to the managers, Monday 09:00 local time (CELERY_TIMEZONE); the hourly
# reruns until 18:00 send only what a restart or an SMTP outage left unsent (analytics/recap/delivery.py).
CELERY_BEAT_SCHEDULE["analytics-weekly-recap"] = {
    "task": "analytics.deliver_weekly_recap",
    "schedule": crontab(minute=0, hour="9-18", day_of_week="mon"),
}
# outreach: refit the expected-value models on the orders up to yesterday and store every buyer's value,
# nightly, local time (CELERY_TIMEZONE), before the agents' day.
CELERY_BEAT_SCHEDULE["outreach-member-values"] = {
    "task": "outreach.refresh_member_values",
    "schedule": crontab(hour=2, minute=30),
}
# imports: requeue or fail import jobs whose worker died, resend lost tasks, delete old uploaded files.
CELERY_BEAT_SCHEDULE["imports-sweep"] = {
    "task": "imports.sweep",
    "schedule": env.float("IMPORT_SWEEP_SECONDS", default=60.0),
}
# members: flash groups close themselves into read-only once their end date (local) has passed.
CELERY_BEAT_SCHEDULE["members-close-flash-groups"] = {
    "task": "members.close_ended_flash_groups",
    "schedule": env.float("FLASH_CLOSE_SECONDS", default=300.0),
}
# livecodes: move the scans counted by the web processes into the database (every 10 s; each process also
# flushes its own that often while it counts), remind owners of expiring QR
# images and pools running out of room.
LIVECODE_FLUSH_SECONDS = env.float("LIVECODE_FLUSH_SECONDS", default=10.0)
CELERY_BEAT_SCHEDULE["livecodes-flush-scans"] = {
    "task": "livecodes.flush_scans",
    "schedule": LIVECODE_FLUSH_SECONDS,
}
CELERY_BEAT_SCHEDULE["livecodes-watch"] = {
    "task": "livecodes.watch",
    "schedule": env.float("LIVECODE_WATCH_SECONDS", default=300.0),
}
# The demo (bin/demo) adds orders to its running flash campaign every minute, so the live page moves.
if DEMO_MODE:
    CELERY_BEAT_SCHEDULE["demo-live-tick"] = {"task": "demo.live_tick", "schedule": 60.0}

# Business thresholds: organisation settings, this is their one home (docs/metrics.md defines them).
CORE_MIN_ORDERS = env.int("CORE_MIN_ORDERS", default=2)  # orders in a period that make a core member
SEGMENT_WINDOW_DAYS = env.int("SEGMENT_WINDOW_DAYS", default=28)  # the segment window W
GRADE_WINDOW_DAYS = env.int("GRADE_WINDOW_DAYS", default=28)  # a group's grade looks at these trailing days
GRADE_A_CORE_GMV = Decimal(env.str("GRADE_A_CORE_GMV", default="20000"))  # grade A: core GMV at least …
GRADE_A_CORE_MEMBERS = env.int("GRADE_A_CORE_MEMBERS", default=30)  # … and this many core members
GRADE_B_CORE_GMV = Decimal(env.str("GRADE_B_CORE_GMV", default="5000"))  # grade B: core GMV at least
# Suggested stage: conversion when potential members are at least this share of the group; acquisition when
# the group is under this share of its capacity with potential members under that share; else retention.
STAGE_CONVERSION_POTENTIAL_SHARE = Decimal(env.str("STAGE_CONVERSION_POTENTIAL_SHARE", default="0.5"))
STAGE_ACQUISITION_CAPACITY_SHARE = Decimal(env.str("STAGE_ACQUISITION_CAPACITY_SHARE", default="0.6"))
STAGE_ACQUISITION_POTENTIAL_SHARE = Decimal(env.str("STAGE_ACQUISITION_POTENTIAL_SHARE", default="0.3"))
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="CN")
# Campaigns (issue 6): the item-mix check, reminder delivery and its channels.
CAMPAIGN_HIGH_UNIT_PRICE = Decimal(env.str("CAMPAIGN_HIGH_UNIT_PRICE", default="200.00"))  # "high-unit-price" item at ≥
CAMPAIGN_CHEAP_PRICE = Decimal(env.str("CAMPAIGN_CHEAP_PRICE", default="30.00"))  # "cheap" item at ≤ …
CAMPAIGN_HIGH_VOLUME_QUANTITY = env.int("CAMPAIGN_HIGH_VOLUME_QUANTITY", default=100)  # … expected to sell ≥
CAMPAIGN_RESTOCK_ALERT_RATIO = Decimal(env.str("CAMPAIGN_RESTOCK_ALERT_RATIO", default="0.80"))
REMINDER_LEASE_SECONDS = env.int("REMINDER_LEASE_SECONDS", default=300)
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=5)
# Outreach (issue 12): a member who does not answer is called again after OUTREACH_RETRY_HOURS, at most
# OUTREACH_MAX_ATTEMPTS calls in all.
OUTREACH_MAX_ATTEMPTS = env.int("OUTREACH_MAX_ATTEMPTS", default=3)
OUTREACH_RETRY_HOURS = env.int("OUTREACH_RETRY_HOURS", default=2)
REMINDER_RETRY_BASE_SECONDS = env.int("REMINDER_RETRY_BASE_SECONDS", default=30)
REMINDER_LATE_AFTER_SECONDS = env.int("REMINDER_LATE_AFTER_SECONDS", default=120)
WECOM_ROBOT_WEBHOOK_URL = env.str("WECOM_ROBOT_WEBHOOK_URL", default="")
WECOM_ROBOT_PER_MINUTE = env.int("WECOM_ROBOT_PER_MINUTE", default=20)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="communityops@localhost")
# Where the file e-mail backend (django.core.mail.backends.filebased.EmailBackend, bin/demo's) writes messages.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
# The app's address as people open it (https://ops.example.com): links in e-mails, such as the Monday recap's.
SITE_URL = env.str("SITE_URL", default="")
# The Monday recap e-mail (issue 14): a run killed while sending leaves its claim; the next run takes it over
# after this long (longer than one SMTP send by far).
RECAP_DELIVERY_LEASE_SECONDS = env.int("RECAP_DELIVERY_LEASE_SECONDS", default=600)
# Live codes (issue 13). WeChat stops admitting by scan at 200 members; a group QR image lives 7 days. A scan
# holds a place in its group for LIVECODE_HOLD_MINUTES (the member is about to join), so scans at once never
# send more people to a group than it has room for. Places are held in Redis (LIVECODE_REDIS_URL; by default
# the Celery broker's Redis); scans are counted in each process's memory-mapped file and flushed to the
# database (livecodes.counting); without Redis each scan is one database write.
LIVECODE_HOLD_MINUTES = env.float("LIVECODE_HOLD_MINUTES", default=10.0)
LIVECODE_IMAGE_DAYS = env.int("LIVECODE_IMAGE_DAYS", default=7)
LIVECODE_IMAGE_MAX_BYTES = env.int("LIVECODE_IMAGE_MAX_BYTES", default=2 * 1024 * 1024)
LIVECODE_IMAGE_MAX_SIDE = env.int("LIVECODE_IMAGE_MAX_SIDE", default=4096)  # pixels, width and height
LIVECODE_EXPIRY_WARNING_HOURS = env.int("LIVECODE_EXPIRY_WARNING_HOURS", default=24)
LIVECODE_RUNOUT_PLACES = env.int("LIVECODE_RUNOUT_PLACES", default=20)  # a pool with this much room or less
LIVECODE_POOL_CACHE_SECONDS = env.float("LIVECODE_POOL_CACHE_SECONDS", default=30.0)
LIVECODE_REFERRAL_REWARD = Decimal(env.str("LIVECODE_REFERRAL_REWARD", default="10.00"))  # per newcomer who joined
LIVECODE_REFERRAL_MATCH_DAYS = env.int("LIVECODE_REFERRAL_MATCH_DAYS", default=30)
# Numbers the public referral form takes from one address per hour (a form without login is a spam target).
LIVECODE_REFERRALS_PER_HOUR = env.int("LIVECODE_REFERRALS_PER_HOUR", default=10)
LIVECODE_REDIS_URL = env.str(
    "LIVECODE_REDIS_URL", default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
)
# bench/livecode.py only: an empty view at /bench/empty/ to measure the live code page against.
BENCH_EMPTY_VIEW = env.bool("BENCH_EMPTY_VIEW", default=False)
# An import larger than this runs as a Celery task with a progress bar instead of inside the request.
IMPORT_INLINE_MAX_BYTES = env.int("IMPORT_INLINE_MAX_BYTES", default=512 * 1024)
# What one import file may hold (docs/imports.md); a file past a limit is refused, naming it. Files are read
# as streams in chunks, so these bound the work a file can ask for, not memory; the defaults admit Excel's
# largest sheets (1,048,576 rows, 16,384 columns, 32,767 characters a cell).
IMPORT_MAX_FILE_BYTES = env.int("IMPORT_MAX_FILE_BYTES", default=256 * 1024 * 1024)  # browser uploads too
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=1_048_576)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=16_384)
IMPORT_MAX_CELL_CHARS = env.int("IMPORT_MAX_CELL_CHARS", default=32_767)
IMPORT_MAX_HEADER_CHARS = env.int("IMPORT_MAX_HEADER_CHARS", default=1_048_576)
# An XLSX part that unpacks to more than this many times its packed size is a decompression bomb (real
# workbooks: 5–20×); and all the parts read together may unpack to at most this many bytes.
IMPORT_XLSX_MAX_RATIO = env.int("IMPORT_XLSX_MAX_RATIO", default=100)
IMPORT_XLSX_MAX_UNPACKED_BYTES = env.int("IMPORT_XLSX_MAX_UNPACKED_BYTES", default=2 * 1024**3)
# Import jobs (imports.sweep): a step renews its job's lease between chunks; the sweep sends again a step
# whose lease ran out (its process died) until it was claimed IMPORT_JOB_MAX_ATTEMPTS times (then the job
# fails), sends again a task nobody picked up after IMPORT_JOB_RETRY_SECONDS, and deletes uploaded files
# (they hold full phone numbers) IMPORT_FILE_KEEP_DAYS after their job ended.
IMPORT_JOB_LEASE_SECONDS = env.int("IMPORT_JOB_LEASE_SECONDS", default=600)
IMPORT_JOB_RETRY_SECONDS = env.int("IMPORT_JOB_RETRY_SECONDS", default=300)
IMPORT_JOB_MAX_ATTEMPTS = env.int("IMPORT_JOB_MAX_ATTEMPTS", default=3)
IMPORT_FILE_KEEP_DAYS = env.float("IMPORT_FILE_KEEP_DAYS", default=3.0)

# Login throttling (django-axes, communityops/logins.py). Failed logins are counted per username and per client
# address over the lockout window; reaching either limit locks that username or address out for the window
# (LOGIN_LOCKOUT_MINUTES; 0 = until an admin resets it: the admin's "access attempts", or `manage.py axes_reset`).
# The per-address limit is higher because a whole office usually shares one address.
LOGIN_FAILURES_PER_USER = env.int("LOGIN_FAILURES_PER_USER", default=5)
LOGIN_FAILURES_PER_IP = env.int("LOGIN_FAILURES_PER_IP", default=20)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=30)
AXES_HANDLER = "communityops.logins.LoginThrottleHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not the pair
AXES_FAILURE_LIMIT = "communityops.logins.failure_limit"  # per user; the handler scales the address's count onto it
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES) if LOGIN_LOCKOUT_MINUTES > 0 else None
AXES_RESET_ON_SUCCESS = True  # LoginThrottleHandler clears only the user's own failures from that address
AXES_CLIENT_IP_CALLABLE = "core.clients.client_ip"
AXES_LOCKOUT_CALLABLE = "communityops.logins.lockout_response"
AXES_VERBOSE = False  # no axes banner at every start; failures and lockouts are still logged (WARNING)

# Content-Security-Policy (django-csp): the pages load only their own scripts, styles, fonts and images and
# have no inline script, style or event handler (tests/communityops/test_security_headers.py looks).
# What the vendored libraries need: Tabler's CSS draws its form controls with data: SVG images (img-src
# data:); htmx runs without its injected <style> (htmx-config in base.html) and without eval (no hx-on,
# no js: values); ECharts draws on a canvas and styles its tooltips through the DOM, which a CSP allows;
# Swagger UI (the API docs) is served as the split view, its script a file, its inline <style> moved to
# static/css/swagger.css; the Django admin needs nothing more.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs each layout step of every PDF (the recap's) at INFO; its warnings still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Behind a TLS-terminating reverse proxy (BEHIND_PROXY=1), trust its X-Forwarded-Proto for "is this HTTPS"
# and its X-Forwarded-For for the client's address (login throttling). Without one, a client could send
# either header itself: X-Forwarded-Proto would pass plain HTTP for HTTPS, X-Forwarded-For dodge the lockout.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
