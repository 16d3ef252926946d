"""Helpline settings: everything comes from the environment, with safe local defaults.

Local default: SQLite (WAL) under HELPLINE_DATA_DIR, in-memory channel layer, database task
queue. Production: HELPLINE_DEBUG off, which requires SECRET_KEY and HELPLINE_FIELD_KEYS and
refuses to start without them (one line on stderr, exit status 1).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def refuse_to_start(reason: str) -> None:
    """Stop with one readable line instead of a traceback: an operator must see why at once."""
    sys.stderr.write(f"Helpline cannot start: {reason}\n")
    raise SystemExit(1)


if sys.flags.optimize:
    # -O drops assert statements; ours narrow types after a real check, and no code path may change
    # with the interpreter's flags (.ci/bandit.yaml, B101).
    refuse_to_start("Python runs with -O or PYTHONOPTIMIZE set: run it without")

DEBUG = env_bool("HELPLINE_DEBUG", False)
DEMO = env_bool("HELPLINE_DEMO", False)
DATA_DIR = Path(os.environ.get("HELPLINE_DATA_DIR", BASE_DIR / "var")).resolve()

SECRET_KEY = os.environ.get("SECRET_KEY", "")
FIELD_KEYS = [k.strip() for k in os.environ.get("HELPLINE_FIELD_KEYS", "").split(",") if k.strip()]
if not DEBUG:
    if len(SECRET_KEY) < 50:
        refuse_to_start("SECRET_KEY is not set (or shorter than 50 characters) and HELPLINE_DEBUG is off")
    if not FIELD_KEYS:
        refuse_to_start("HELPLINE_FIELD_KEYS (field-encryption key) is not set and HELPLINE_DEBUG is off")
else:
    # Development only: fixed keys so a local checkout runs without set-up. Never used with DEBUG off.
    SECRET_KEY = SECRET_KEY or "django-insecure-helpline-development-only-key-do-not-use-in-production"
    FIELD_KEYS = FIELD_KEYS or ["ZGV2ZWxvcG1lbnQtb25seS1maWVsZC1rZXktMzJieXQ="]
# The key of the keyed hashes that link a caller's contacts and match blocked senders (numbers
# are never stored in clear). It must never change, or every history would split: by default the
# one field key; once field keys are rotated (more than one), it must be named, so that which key
# it is never depends on the order of the list.
IDENTITY_KEY = os.environ.get("HELPLINE_IDENTITY_KEY", "").strip()
if not IDENTITY_KEY:
    if len(FIELD_KEYS) > 1:
        refuse_to_start(
            "HELPLINE_FIELD_KEYS holds more than one key but HELPLINE_IDENTITY_KEY is not set: "
            "set it to the field key used before the first rotation"
        )
    IDENTITY_KEY = FIELD_KEYS[0] if FIELD_KEYS else ""

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "helpline.common",
    "helpline.audit",
    "helpline.accounts",
    "helpline.contacts",
    "helpline.rota",
    "helpline.conversations",
    "helpline.routing",
    "helpline.voice",
    "helpline.cases",
    "helpline.referrals",
    "helpline.people",
    "helpline.feedback",
    "helpline.reports",
    "helpline.operations",
    "helpline.console",
]
if DEMO:
    # Demo data and traffic simulators (seed_demo, simulate): absent from a live helpline.
    INSTALLED_APPS.append("helpline.demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one: every answer gets the policy, a 413 and an error page too.
    "csp.middleware.CSPMiddleware",
    # Before anything reads a body: one over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 in every mode.
    "helpline.common.body_limit.BodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that reads the session or the user: a database outage answers 503.
    "helpline.common.outage.DatabaseUnavailableMiddleware",
    # Inside WhiteNoise, so static files keep their long cache; everything else that a signed-in
    # person or an API caller gets is never stored.
    "helpline.common.cache.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "helpline.accounts.middleware.SessionActivityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "helpline.accounts.middleware.LanguageMiddleware",
    # Inside the language, the user and CommonMiddleware (which then sets its length): an empty 405
    # (a POST-only address opened as a page) becomes a page in the reader's language.
    "helpline.common.not_allowed.NotAllowedPageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last: sees the resolved view and enforces its declared access rule (deny by default).
    "helpline.accounts.access.AccessMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "helpline" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "helpline.console.context_processors.navigation",
                "csp.context_processors.nonce",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # Under ASGI each request runs in a thread of its own with a connection of its own: a pool
    # caps them (a burst waits for a free connection instead of hitting max_connections) and saves
    # a connection set-up per request. Each process has its own pool; size them together below
    # PostgreSQL's max_connections (default 100).
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a pool that lives through a database restart: requests fail at
        # once (503) while the database is away instead of waiting for the pool's timeout, and the
        # pool connects again within seconds of its return (see helpline/common/postgresql).
        DATABASES["default"]["ENGINE"] = "helpline.common.postgresql"
    db_options = DATABASES["default"].setdefault("OPTIONS", {})
    db_options.setdefault("connect_timeout", 5)  # an unreachable host: give up a try after 5 s
    # No JIT: the planner's cost estimate for a join over a large table (the case list, the
    # supervision board) crosses jit_above_cost, and compiling the plan then took over a second on
    # a query that runs in milliseconds (bench/cases.py). Short OLTP queries never gain from it.
    db_options.setdefault("options", "-c jit=off")
    db_options["pool"] = {
        "min_size": 2,
        "max_size": int(os.environ.get("HELPLINE_DB_POOL_SIZE", "16")),
        "timeout": 20,
    }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            # Django's SQLite backend, with a process's writers queued (helpline/common/sqlite3).
            "ENGINE": "helpline.common.sqlite3",
            "NAME": str(DATA_DIR / "helpline.sqlite3"),
            # Kept open by the long-lived threads (sockets' database threads, the worker): opening
            # a SQLite file and running its pragmas cost more than most queries. A request's own
            # thread ends with the request, and its connection with it.
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                # IMMEDIATE: a transaction takes the write lock when it begins, so concurrent writers
                # queue on the busy timeout instead of failing half-way with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=30000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels (websockets) ----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # Room for a burst of events to a busy console before any is dropped.
                "capacity": 1000,
                # redis-py times reads out after 5 s, the same time channels_redis blocks waiting
                # for a message: a quiet socket then crashes. Wait longer; allow mass disconnects.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "max_connections": 1000}],
                "prefix": os.environ.get("HELPLINE_CHANNEL_PREFIX", "asgi"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "helpline.common.layers.ThrottledInMemoryChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }

# --- Background work ----------------------------------------------------------------------
# Two queues (helpline/common/queues.py): replies and emails on "default", report builds on
# "reports", each with its own worker, so a report being built never holds up a child's reply.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "reports"]}}

# --- Authentication -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.Staff"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
OTP_TOTP_ISSUER = os.environ.get("HELPLINE_TOTP_ISSUER", "Helpline 1280")

# Lockout: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env_int("HELPLINE_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = env_int("HELPLINE_LOCKOUT_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # its log lines carry usernames and addresses
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429

# --- Sessions -----------------------------------------------------------------------------
IDLE_MINUTES = env_int("HELPLINE_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = IDLE_MINUTES * 60
# The age counts from the last request (an idle timeout): SessionActivityMiddleware saves the
# session again at most once a minute, not on every request.
SESSION_ACTIVITY_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "helpline_session"
CSRF_COOKIE_NAME = "helpline_csrf"

# --- Security headers ---------------------------------------------------------------------
HTTPS = env_bool("HELPLINE_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS and env_bool("HELPLINE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("HELPLINE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Behind a reverse proxy, `serve` lets uvicorn take the client's address and scheme from
# X-Forwarded-For/-Proto, but only on connections from HELPLINE_TRUSTED_PROXIES. (No
# SECURE_PROXY_SSL_HEADER: Django would believe that header from any client.)
BEHIND_PROXY = env_bool("HELPLINE_BEHIND_PROXY", False)
TRUSTED_PROXIES = [
    h.strip() for h in os.environ.get("HELPLINE_TRUSTED_PROXIES", "127.0.0.1").split(",") if h.strip()
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "helpline.common.errors.csrf_failure"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("HELPLINE_MAX_BODY_BYTES", 1_000_000)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- Internationalisation: Khmer first ----------------------------------------------------
LANGUAGE_CODE = "km"
LANGUAGES = [("km", _("Khmer")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["helpline.formats"]
# Grouping digits is done where figures are shown (intcomma); never inside attributes and form
# values, where "1,000" would read as 1 (a maxlength of 1, a version of 1).
USE_THOUSAND_SEPARATOR = False
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("HELPLINE_TIME_ZONE", "Asia/Phnom_Penh")
LANGUAGE_COOKIE_NAME = "helpline_language"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "helpline" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Stored files (partner documents) -----------------------------------------------------
# Never served as they are, only through the page that checks who asks (helpline.referrals), so
# there is no MEDIA_URL. `manage.py backup` takes them too.
MEDIA_ROOT = Path(os.environ.get("HELPLINE_MEDIA_ROOT", DATA_DIR / "media")).resolve()

# --- Text gateways (read through helpline.channels.config; tests override this mapping) -----
HELPLINE_ENV = os.environ
PUBLIC_URL = os.environ.get("HELPLINE_PUBLIC_URL", "").rstrip("/")
# Websites allowed to embed the chat widget: host names (childhelplinecambodia.org, on the default
# port) or origins with a port (https://partner.example.org:8443); see helpline/common/origins.py.
CHAT_ORIGINS = [h.strip() for h in os.environ.get("HELPLINE_CHAT_ORIGINS", "").split(",") if h.strip()]
# Where quick exit sends the child: a neutral page that replaces the chat in the browser's history.
CHAT_EXIT_URL = os.environ.get("HELPLINE_CHAT_EXIT_URL", "https://www.google.com/search?q=weather")
# Chats one address may start in an hour. Generous: many children share one address (a mobile
# operator's NAT, a school's Wi-Fi), and a refused child may not try again.
CHAT_STARTS_PER_ADDRESS_PER_HOUR = env_int("HELPLINE_CHAT_STARTS_PER_ADDRESS_PER_HOUR", 30)

# --- Email (partners receive their referral links by email) ---------------------------------
# SMTP from the environment; without EMAIL_HOST mail goes to the console (development only).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "1" if EMAIL_PORT == 587 else "0") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "1" if EMAIL_PORT == 465 else "0") == "1"
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "helpline@localhost")
# Partner links one address may get refused in 15 minutes before every link from it is refused
# (429) until the window ends: a partner clicks its link, only a guesser meets this. Counted in
# the cache (per process without a shared cache).
PARTNER_LINK_REFUSALS_PER_ADDRESS = env_int("HELPLINE_PARTNER_LINK_REFUSALS_PER_ADDRESS", 20)

# The public feedback form: how many a single address may send in an hour.
FEEDBACK_FORM_PER_HOUR = env_int("HELPLINE_FEEDBACK_FORM_PER_HOUR", 5)
# ...and how many attempts that keep nothing (refused input, a robot's, a repeat) it may make in the
# hour: several times the messages, counted on their own, so a child's mistakes (or a school's
# shared address) never use up what may be sent, while a flood of junk is still stopped.
FEEDBACK_FORM_REFUSED_PER_HOUR = env_int("HELPLINE_FEEDBACK_FORM_REFUSED_PER_HOUR", 30)
# The inbound feedback mailbox, read over IMAP by the scheduler; no host, no reading.
FEEDBACK_IMAP_HOST = os.environ.get("HELPLINE_FEEDBACK_IMAP_HOST", "")
FEEDBACK_IMAP_PORT = env_int("HELPLINE_FEEDBACK_IMAP_PORT", 993)
FEEDBACK_IMAP_SSL = env_bool("HELPLINE_FEEDBACK_IMAP_SSL", FEEDBACK_IMAP_PORT == 993)
FEEDBACK_IMAP_USER = os.environ.get("HELPLINE_FEEDBACK_IMAP_USER", "")
FEEDBACK_IMAP_PASSWORD = os.environ.get("HELPLINE_FEEDBACK_IMAP_PASSWORD", "")
FEEDBACK_IMAP_FOLDER = os.environ.get("HELPLINE_FEEDBACK_IMAP_FOLDER", "INBOX")

# --- Content-Security-Policy (django-csp) --------------------------------------------------
# Nothing inline without the page's nonce, nothing from anyone else. Pages are framed by nobody,
# except the plain chat page (/chat/), which the websites in HELPLINE_CHAT_ORIGINS may frame
# (see conversations/views_chat.py). The widget script itself runs in those websites' pages,
# under their own policy: README's "Web chat" says what they must allow.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        # Same-origin fetches and sockets (CSP 3 counts ws:/wss: to this host as 'self').
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# --- Helpline policy knobs ----------------------------------------------------------------
POLICE_CHECK_WARNING_DAYS = env_int("HELPLINE_POLICE_CHECK_WARNING_DAYS", 30)
# Risk triage's second scorer (helpline/routing/context.py): "char-ngram", or "off" for keywords alone.
TRIAGE_MODEL = os.environ.get("HELPLINE_TRIAGE_MODEL", "char-ngram")
# Build it in the background on a process's first request (a second or two), not on its first message.
TRIAGE_MODEL_WARM = env_bool("HELPLINE_TRIAGE_WARM", True)
API_TOKEN_TOUCH_SECONDS = 60

# --- Monitoring (helpline/operations/metrics.py) ----------------------------------------------
# /metrics answers a scraper that sends `Authorization: Bearer <token>`, or one whose address is in
# the allow-list (addresses or networks, comma-separated). Neither set: /metrics is off (404).
METRICS_TOKEN = os.environ.get("HELPLINE_METRICS_TOKEN", "").strip()
METRICS_ALLOW = [a.strip() for a in os.environ.get("HELPLINE_METRICS_ALLOW", "").split(",") if a.strip()]
# Retention and erasure (helpline/operations/retention.py): how many contacts one run erases at most.
RETENTION_BATCH = env_int("HELPLINE_RETENTION_BATCH", 5000)

# --- Logging: no bodies, no tokens, no personal data --------------------------------------
# Error reports (mail to ADMINS) carry no POST values and no frame's variables.
DEFAULT_EXCEPTION_REPORTER_FILTER = "helpline.common.logs.NoClientDataReports"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # HELPLINE_LOG_FORMAT=json: one JSON object a line (time, level, logger, message) for a log
        # collector. The same lines as plain: messages carry ids and codes, never personal data.
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "filters": {
        "no_client_address": {"()": "helpline.common.logs.NoClientAddress"},
        "no_partner_link": {"()": "helpline.common.logs.NoPartnerLink"},
        "outage_log_line": {"()": "helpline.common.outage.OutageLogLine"},
        "pool_warnings": {"()": "helpline.common.outage.PoolWarnings"},
        "layer_task_noise": {"()": "helpline.common.layers.LayerTaskNoise"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if os.environ.get("HELPLINE_LOG_FORMAT", "plain") == "json" else "plain",
        },
        # Errors counted by type for /metrics (counts only).
        "error_tally": {"()": "helpline.common.logs.ErrorTally"},
    },
    "root": {"handlers": ["console", "error_tally"], "level": os.environ.get("HELPLINE_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # At DEBUG panoramisk logs every AMI message, callers' numbers included.
        "panoramisk": {"level": "INFO"},
        # At INFO APScheduler logs every tick of every job (one every 2 s): failures are ours to log.
        "apscheduler": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
        # uvicorn writes each websocket's address ("1.2.3.4:5678 - WebSocket /chat/ws/ [accepted]"):
        # for the chat, that is a child's address. Its handlers stay uvicorn's own.
        "uvicorn.error": {"filters": ["no_client_address"]},
        # A request failed because the database is away: one line, not a traceback each.
        "django.request": {"filters": ["outage_log_line", "no_partner_link"]},
        # A partner's link carries its key in the path (see helpline.referrals.views_portal).
        "django.security.csrf": {"filters": ["no_partner_link"]},
        # The pool warns at every failed attempt to connect: the gate logs an outage once instead.
        "psycopg.pool": {"filters": ["pool_warnings"]},
        # Redis away: channels-redis's own tasks fail; one line each instead of a traceback.
        "asyncio": {"filters": ["layer_task_noise"]},
    },
}
