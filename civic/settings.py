"""Civic's one settings module: everything that differs between machines comes from the environment."""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CIVIC_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=()):
    value = os.environ.get(name)
    if not value:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# How many reverse proxies in front of the portal append to X-Forwarded-For: 0 trusts no
# header and counts clients by the socket's address (core.client_ip).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

INSTALLED_APPS = [
    # API tokens (core.tokens); before civic, whose admin takes knox's token admin away.
    "knox",
    "communities",
    "deliberation",
    "surveys",
    "notifications",
    "information",
    "civic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "csp",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A lost database answers 503 with a short page (or JSON under /api/), not a traceback.
    "civic.middleware.DatabaseUnavailableMiddleware",
    # A NUL byte in a query parameter answers 400, before it can reach PostgreSQL.
    "civic.middleware.UnreadableQueryMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "civic.urls"
WSGI_APPLICATION = "civic.wsgi.application"

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
            ],
            # Template libraries of the kernel, which is no installed app.
            "libraries": {"html_time": "core.templatetags.html_time"},
        },
    },
]

# Databases: SQLite under var/ unless DATABASE_URL names another.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'civic.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The web server, the worker and beat share one file: wait for locks, take the write
    # lock up front (no deadlocking upgrades) and let readers run beside a writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is the broker, the cache and the rate-limit store when it is configured. While it is
# down the cache serves from each process's memory (core/cache.py); short timeouts keep a
# dead Redis from stalling requests.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "civic",
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "civic"}}
# Beat recomputes the city's and each district's dashboard before it goes stale; worth it
# only when the web processes read the cache the workers write (Redis).
DASHBOARD_KEEP_WARM = env_bool("DASHBOARD_KEEP_WARM", bool(REDIS_URL))
# Seconds between runs; a view is recomputed once 140 s old, so officials never meet one past 300.
DASHBOARD_KEEP_WARM_EVERY = 100

AUTH_USER_MODEL = "communities.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "communities.backends.IdentifierBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "civic.validators.PersonalDataSimilarityValidator"},
    {"NAME": "civic.validators.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-axes: after AXES_FAILURE_LIMIT wrong passwords for one account from one address,
# that pair may not log in for AXES_COOLOFF_MINUTES, on every password path (site, admin,
# API token). Counting the pair, not the address alone, keeps one address (a community
# office, a carrier's shared NAT) from locking every resident out; counting the pair, not
# the account alone, keeps a stranger from locking a resident out at will. Guessing one
# account from many addresses still costs each address its own lockout, and the password
# validators leave nothing five guesses would find; an address trying many accounts is
# held by the per-address login throttle. The identifier is resolved to its account
# (communities.backends.lockout_username), so username, phone and e-mail count as one.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "communities.backends.lockout_username"
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True
# A locked-out person who tries again does not push their own wait further.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "communities.lockout.lockout_response"
# The records hold residents' addresses and are no staff business: operators list and clear
# them with `manage.py axes_list_attempts` and `axes_reset_username <name>`.
AXES_ENABLE_ADMIN = False
# Its start-up line ("AXES: BEGIN ...") from every process buries `make run`'s banner.
AXES_VERBOSE = env_bool("AXES_VERBOSE", not DEBUG)

# django-guardian: permissions live in direct foreign-key tables; no anonymous user row.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = True

# Internationalisation: Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format and one date-time format per language (civic/formats/).
FORMAT_MODULE_PATH = ["civic.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Uploads (core.uploads): documents and photos up to this size; a reverse proxy in front
# should allow request bodies a little above it (nginx client_max_body_size).
CIVIC_UPLOAD_MAX_BYTES = int(os.environ.get("CIVIC_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
# Django's own defaults hold form fields to 2.5 MB and keep files above 2.5 MB on disk, not
# in memory; an announcement takes at most five files, so no request needs more than ten.
DATA_UPLOAD_MAX_NUMBER_FILES = 10
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "civic.storage.StaticStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# Mail: a real server through EMAIL_* in production, files under var/mail otherwise.
# Files (civic.mail, each 0600) are for development: `check --deploy` fails them with DEBUG off.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "civic.mail.PrivateFileBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "civic@localhost")

NOTICE_LEAD_DAYS = int(os.environ.get("NOTICE_LEAD_DAYS", "5"))
# The day-before reminder of a meeting (hours before it), and the nudge before a survey
# closes, a rating window ends or a publicity period ends (deliberation/reminders.py).
MEETING_REMINDER_HOURS = int(os.environ.get("MEETING_REMINDER_HOURS", "24"))
NOTICE_NUDGE_HOURS = int(os.environ.get("NOTICE_NUDGE_HOURS", "48"))
# Notices: how often the dispatcher runs, how long a hand-off to the broker or a send to a
# provider may take before it is tried again, and the back-off between failed attempts.
NOTICE_DISPATCH_INTERVAL = float(os.environ.get("NOTICE_DISPATCH_INTERVAL", "60"))
NOTICE_HANDOFF_LEASE_SECONDS = int(os.environ.get("NOTICE_HANDOFF_LEASE_SECONDS", "300"))
NOTICE_HANDOFF_LIMIT = int(os.environ.get("NOTICE_HANDOFF_LIMIT", "200000"))
NOTICE_SEND_LEASE_SECONDS = int(os.environ.get("NOTICE_SEND_LEASE_SECONDS", "120"))
NOTICE_MAX_ATTEMPTS = int(os.environ.get("NOTICE_MAX_ATTEMPTS", "6"))
NOTICE_RETRY_BASE_SECONDS = float(os.environ.get("NOTICE_RETRY_BASE_SECONDS", "30"))
NOTICE_RETRY_MAX_SECONDS = float(os.environ.get("NOTICE_RETRY_MAX_SECONDS", "300"))


def served_site_url(addr):
    """The address `make run` serves (CIVIC_ADDR, "HOST:PORT") as a link base; a wildcard
    host (0.0.0.0, ::) is reached as 127.0.0.1 from this machine."""
    host, _sep, port = addr.strip().rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if host in {"0.0.0.0", "::"}:  # nosec B104 # compares, binds nothing
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port or '8000'}"


# Links in notices, SMS and e-mail point here: SITE_URL when set; under `make run` (which
# passes CIVIC_ADDR to web, worker and beat) the address served; else the default port.
SITE_URL = (
    os.environ.get("SITE_URL")
    or (served_site_url(os.environ["CIVIC_ADDR"]) if os.environ.get("CIVIC_ADDR") else "")
    or "http://127.0.0.1:8000"
).rstrip("/")

# SMS: files under var/sms/ by default (each 0600; `check --deploy` fails them with DEBUG off); `notifications.sms.ConsoleBackend` prints them;
# `notifications.sms.TencentBackend` sends through Tencent Cloud SMS with the keys below.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "notifications.sms.FileBackend")
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", str(VAR_DIR / "sms"))
SMS_TIMEOUT = int(os.environ.get("SMS_TIMEOUT", "10"))
SMS_TENCENT_ENDPOINT = os.environ.get("SMS_TENCENT_ENDPOINT", "sms.tencentcloudapi.com")
SMS_TENCENT_REGION = os.environ.get("SMS_TENCENT_REGION", "ap-guangzhou")
SMS_TENCENT_SECRET_ID = os.environ.get("SMS_TENCENT_SECRET_ID", "")
SMS_TENCENT_SECRET_KEY = os.environ.get("SMS_TENCENT_SECRET_KEY", "")
SMS_TENCENT_SDK_APP_ID = os.environ.get("SMS_TENCENT_SDK_APP_ID", "")
SMS_TENCENT_SIGN_NAME = os.environ.get("SMS_TENCENT_SIGN_NAME", "")
# A template whose one parameter is the whole text, and optional per-kind templates as JSON
# {"deliberation.meeting_notice": "123456"}.
SMS_TENCENT_TEMPLATE_ID = os.environ.get("SMS_TENCENT_TEMPLATE_ID", "")
SMS_TENCENT_TEMPLATES = json.loads(os.environ.get("SMS_TENCENT_TEMPLATES") or "{}")

# Celery: Redis when configured, otherwise kombu's filesystem transport under var/broker,
# which runs a real worker and beat on one machine with no outside service.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    # A host named, though the transport needs none: else kombu warns "No hostname was
    # supplied" on every connection, burying `make run`'s banner.
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.5,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Beat's schedule file; civic.celery's scheduler makes its directory (a fresh deployment has
# no var/), or stops saying what to do when it cannot.
CELERY_BEAT_SCHEDULE_FILENAME = os.environ.get("CELERY_BEAT_SCHEDULE_FILENAME", str(VAR_DIR / "celerybeat-schedule"))
CELERY_BEAT_SCHEDULER = "civic.celery:PersistentScheduler"
CELERY_BEAT_SCHEDULE = {
    # Idempotent (one deliberation day per community and month, held by a unique constraint),
    # so running it often, or from two beat processes, only closes gaps sooner.
    "deliberation-days": {"task": "deliberation.tasks.ensure_deliberation_days", "schedule": 3600.0},
    "deliberation-verify-trail": {"task": "deliberation.tasks.verify_trail", "schedule": 86400.0},
    # Claims what fell due; safe to run from two beats at once (SKIP LOCKED, unique deliveries).
    # A run not started within the interval is dropped: the next one does the same work.
    "notifications-dispatch": {
        "task": "notifications.dispatch",
        "schedule": NOTICE_DISPATCH_INTERVAL,
        "options": {"expires": max(NOTICE_DISPATCH_INTERVAL - 5, 1)},
    },
    "notifications-daily": {"task": "notifications.plan_daily", "schedule": 3600.0},
    # Reminders and nudges whose time has come: keyed notices, so a second beat adds nothing.
    "deliberation-reminders": {
        "task": "deliberation.tasks.plan_reminders",
        "schedule": NOTICE_DISPATCH_INTERVAL,
        "options": {"expires": max(NOTICE_DISPATCH_INTERVAL - 5, 1)},
    },
    "surveys-nudges": {
        "task": "surveys.tasks.plan_nudges",
        "schedule": NOTICE_DISPATCH_INTERVAL,
        "options": {"expires": max(NOTICE_DISPATCH_INTERVAL - 5, 1)},
    },
    # Recomputes the city's and each district's dashboard before its cached figures go stale;
    # a view computed by another beat or worker moments ago is skipped.
    # Tokens idle past API_TOKEN_IDLE_DAYS no longer authenticate; this deletes their rows.
    "civic-prune-tokens": {"task": "civic.prune_tokens", "schedule": 86400.0},
    "dashboard-keep-warm": {
        "task": "civic.dashboard_keep_warm",
        "schedule": float(DASHBOARD_KEEP_WARM_EVERY),
        "options": {"expires": DASHBOARD_KEEP_WARM_EVERY - 10},
    },
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # Request bodies are JSON (core.parsers: deep JSON is a 400, a body over the field limit a
    # 413 before it is read); only the operations that upload a file take multipart as well.
    # Any other body is a 415 before a byte of it is parsed.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "civic.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "core.throttling.PostThrottle",
    ],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("THROTTLE_ANON", "120/min"),
        "user": os.environ.get("THROTTLE_USER", "600/min"),
        "login": os.environ.get("THROTTLE_LOGIN", "10/min"),
    },
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Posting limits shared by pages and API (core.throttling): `<scope>` per user, `<scope>_ip`
# per client address, "<number>/<second|minute|hour|day>".
CIVIC_THROTTLES = {
    "comment": os.environ.get("THROTTLE_COMMENT", "10/min"),
    "comment_ip": os.environ.get("THROTTLE_COMMENT_IP", "30/min"),
    "topic": os.environ.get("THROTTLE_TOPIC", "10/hour"),
    "topic_ip": os.environ.get("THROTTLE_TOPIC_IP", "30/hour"),
    "objection": os.environ.get("THROTTLE_OBJECTION", "10/hour"),
    "objection_ip": os.environ.get("THROTTLE_OBJECTION_IP", "30/hour"),
    "signup_ip": os.environ.get("THROTTLE_SIGNUP_IP", "10/hour"),
    "login_ip": os.environ.get("THROTTLE_LOGIN_IP", "30/min"),
    # Password-reset mails: per e-mail address (so per account) and per client address.
    "password_reset": os.environ.get("THROTTLE_PASSWORD_RESET", "3/hour"),
    "password_reset_ip": os.environ.get("THROTTLE_PASSWORD_RESET_IP", "10/hour"),
}
# API tokens (core.tokens, django-rest-knox): per device, stored hashed, ended after
# API_TOKEN_IDLE_DAYS without use, by logout, or by a password change; a person keeps at
# most API_TOKEN_LIMIT (the least recently used end first).
API_TOKEN_IDLE_DAYS = float(os.environ.get("API_TOKEN_IDLE_DAYS", "30"))
API_TOKEN_LIMIT = int(os.environ.get("API_TOKEN_LIMIT", "10"))
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_IDLE_DAYS),
    "AUTO_REFRESH": True,
    "MIN_REFRESH_INTERVAL": 60,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Civic API",
    "DESCRIPTION": "Community co-governance: communities, deliberation, notices, surveys.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page loads Swagger UI from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from Swagger's online validator: the docs page talks to no other origin.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Named after their model so that other apps' `status` fields do not collide with them.
    "ENUM_NAME_OVERRIDES": {
        "ResidencyStatusEnum": "communities.models.Residency.Status",
        "ResidencyEndReasonEnum": "communities.models.Residency.EndReason",
        "TopicStepEnum": "deliberation.workflow.Step",
        "TopicOutcomeEnum": "deliberation.workflow.Outcome",
        "TopicCategoryEnum": "deliberation.models.TopicCategory",
        "MeetingStatusEnum": "deliberation.models.Meeting.Status",
        "AttendanceStatusEnum": "deliberation.models.Attendance.Status",
        "BallotChoiceEnum": "deliberation.models.Ballot.Choice",
        "TrailEntryKindEnum": "deliberation.models.TrailKind",
        "AnnouncementCategoryEnum": "information.models.Category",
        "ServiceCategoryEnum": "information.models.ServiceCategory",
        "AnnouncementStateEnum": "information.models.AnnouncementState",
        "AnnouncementStateFilterEnum": "information.filters.STATES",
        "SurveyStateEnum": "surveys.models.Survey.State",
        "QuestionKindEnum": "surveys.models.QuestionKind",
        "SurveyScopeEnum": "surveys.models.Scope",
        "EngagementScopeEnum": "surveys.models.Engagement.Scope",
        "EvaluationRoundStatusEnum": "surveys.models.EvaluationRound.Status",
    },
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every page, the admin and the API docs included, runs only scripts and styles served from
# our own static files: no inline script, no inline style, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SESSION_COOKIE_HTTPONLY = True
# CIVIC_HTTPS=1 says the portal is served only over HTTPS: redirects, HSTS and cookies that
# never travel in clear follow from it (`manage.py check --deploy` passes). Each setting can
# still be set on its own. Off by default, so `make run` and the tests work over plain http.
HTTPS = env_bool("CIVIC_HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS") or (31_536_000 if HTTPS else 0))
# Both bind more than this portal (every subdomain; browsers' preload lists, hard to leave):
# each is the operator's own choice, never implied by CIVIC_HTTPS.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Django's deploy check asks for both; here they are a choice, so it does not warn about them.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
# A load balancer probes /healthz/ over plain http, straight at the process.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
