"""Settings for openai_countries, read from the environment (see README "Configuration").

Defaults give the zero-setup embedded mode: a SQLite file and Celery tasks run eagerly in-process.
Production and CI set DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import orjson
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from openai_countries.env import (
    env_bool,
    env_broker,
    env_choice,
    env_database,
    env_int,
    env_list,
    env_rate,
    env_str,
    redis_next_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = env_choice("DJANGO_ENV", "development", {"development", "production"})
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")

_DEV_SECRET_KEY = "django-insecure-development-only-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

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
    "guardian",
    "axes",
    "django_celery_beat",
    "csp",
    "simple_history",
    "djmoney",
    "django_countries",
    "openai_countries",
    "partnerships",
    "infrastructure",
    "financing",
    "localization",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "openai_countries.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "openai_countries.middleware.CSPMiddleware",
    "openai_countries.middleware.NoStoreForSignedInUsersMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # runserver serves static files in development; whitenoise serves the collected ones.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "openai_countries.urls"
WSGI_APPLICATION = "openai_countries.wsgi.application"

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
        },
    },
]

if PRODUCTION and not env_str("DATABASE_URL", ""):
    raise ImproperlyConfigured("DATABASE_URL must be set (PostgreSQL) when DJANGO_ENV=production.")
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses any login attempt for a locked-out username or address.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend with each request's user and grants read from the shared cache.
    "partnerships.access.CachedModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Liaisons and analysts are always real users; there is no anonymous access to any country.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

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
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins, per username and address pair (django-axes).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("es", _("Spanish")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Our own CSS/JS, plus the front-end packages npm installs (package.json, package-lock.json),
# each under a stable prefix; collectstatic copies them, so nothing is fetched from a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/world-atlas", BASE_DIR / "node_modules" / "world-atlas"),
]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
MEDIA_URL = env_str("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes an anonymous request a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "openai_countries.api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        # DRF's JSON, written by orjson: a 50-row page costs a tenth of json.dumps's time.
        "drf_orjson_renderer.renderers.ORJSONRenderer",
        # The browsable API is a development aid; production serves JSON only.
        *([] if PRODUCTION else ["rest_framework.renderers.BrowsableAPIRenderer"]),
    ],
    # Field errors of list fields are keyed by index, as json.dumps writes them ("0").
    "ORJSON_RENDERER_OPTIONS": (orjson.OPT_NON_STR_KEYS,),
    "DEFAULT_FILTER_BACKENDS": [
        "openai_countries.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "openai_countries.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "openai_countries.api.serializers.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        # Counted per window in the shared cache (openai_countries/api/throttling.py).
        "openai_countries.api.throttling.UserRateThrottle",
        "openai_countries.api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_rate("API_THROTTLE_USER", "5000/hour"),
        "anon": env_rate("API_THROTTLE_ANON", "60/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "National AI infrastructure program API",
    "DESCRIPTION": "Partnerships, sites, co-financing and localization, scoped per country.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CountryCodeEnum": "openai_countries.api.schema.country_choices",
        "CurrencyEnum": "openai_countries.money.CURRENCY_CHOICES",
        "StageEnum": "partnerships.models.Stage",
        "HealthEnum": "partnerships.models.Health",
        "WorkstreamEnum": "partnerships.models.Workstream",
        "SignOffSideEnum": "partnerships.models.SignOffSide",
        "AgreementStatusEnum": "partnerships.models.AgreementStatus",
        "RiskStatusEnum": "partnerships.models.RiskStatus",
        "ReportStatusEnum": "partnerships.models.ReportStatus",
        "ReportKindEnum": "partnerships.models.ReportKind",
        "OrganisationKindEnum": "partnerships.models.OrganisationKind",
        "SiteStatusEnum": "infrastructure.models.SiteStatus",
        "PermitStatusEnum": "infrastructure.models.PermitStatus",
        "ControlStatusEnum": "infrastructure.models.ControlStatus",
        "CommitmentSideEnum": "financing.models.Side",
        "CommitmentStatusEnum": "financing.models.CommitmentStatus",
        "RequirementStatusEnum": "localization.models.RequirementStatus",
    },
}

# Money: amounts are stored with their ISO 4217 currency and rolled up in USD.
REPORTING_CURRENCY = "USD"
DEFAULT_CURRENCY = "USD"

# Celery: with no broker configured, tasks run eagerly in the web process (embedded mode).
CELERY_BROKER_URL = env_broker("CELERY_BROKER_URL")
if PRODUCTION and CELERY_BROKER_URL is None:
    raise ImproperlyConfigured("CELERY_BROKER_URL must be set (Redis) when DJANGO_ENV=production.")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Celery's Django fixup closes every database connection before and after each task unless this
# is set (then every this many tasks). Tasks keep their connections as requests do instead
# (CONN_MAX_AGE, CONN_HEALTH_CHECKS: openai_countries/celery.py): a new connection for every
# task, with PostgreSQL's caches of the tables cold, cost the monthly batch a tenth of its time.
CELERY_DB_REUSE_MAX = 1000
# PDF rendering has its own queue, so a monthly batch never delays other work.
CELERY_TASK_ROUTES = {"partnerships.tasks.render_report": {"queue": "reports"}}
# Schedules live in the database so that an administrator edits them in the admin.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Cache: dashboard rollups, per reader's scope, invalidated on every write (partnerships/
# dashboards.py). Processes must share it, so production needs Redis; development and the
# embedded mode keep it in process memory.
REDIS_CACHE_URL = env_broker("REDIS_CACHE_URL")
if PRODUCTION and REDIS_CACHE_URL is None and CELERY_BROKER_URL:
    # The broker's Redis, in the next database: clearing the cache must never touch the queues.
    REDIS_CACHE_URL = redis_next_database(CELERY_BROKER_URL)
CACHES = {
    "default": {
        "BACKEND": "openai_countries.cache.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
        "KEY_PREFIX": "oc",
    }
    if REDIS_CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "oc"}
}
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 600, minimum=0)

CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A report's PDF is laid out in a child process bounded in memory (MB it may add to the worker's
# address space) and in CPU and wall-clock time (s); over a bound the run fails, saying which.
REPORT_RENDER_MEMORY_MB = env_int("REPORT_RENDER_MEMORY_MB", 1024, minimum=64)
REPORT_RENDER_SECONDS = env_int("REPORT_RENDER_SECONDS", 90, minimum=1)

# The address people use to reach the product, for links in e-mails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "program-office@localhost")

# Sessions are read through the cache (Redis in production) and written through to the
# database: a signed-in request costs no session query, and a flushed cache signs nobody out.
SESSION_ENGINE = "openai_countries.sessions"  # cached_db, read with the version counters
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=60)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# No inline script anywhere; inline style attributes are allowed (Django's admin widgets use them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}),
    },
    # WeasyPrint logs each step of every PDF at INFO (nine lines a report); its warnings stay.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}
