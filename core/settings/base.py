"""Settings shared by every environment. Behaviour is switched by environment variables (see README)."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from core.env import env_bool, env_int, env_list, env_str, env_url
from core.settings.database import (
    database_config,
    direct_database_overrides,
    huey_connection,
    huey_listen_connection,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("PPE_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [".localhost", "localhost", "127.0.0.1", "[::1]"])

# --- Applications -------------------------------------------------------------------------------------------
# Public schema only: territories, the platform admins' back office, the queue.
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "tenants.outbox",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "huey.contrib.djhuey",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

# Every territory's schema: its own users, pages, workflows, cases and poles.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "core.api",
    "tenants.outbox",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "workflows",
    "core",
    "plugins.support",
    "plugins.developpement",
    "plugins.remplacement",
    "cms",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Territory"
TENANT_DOMAIN_MODEL = "tenants.Domain"
TENANT_BASE_SCHEMA = "template"
TENANT_LIMIT_SET_CALLS = True
TENANT_CREATION_FAKES_MIGRATIONS = True
PUBLIC_SCHEMA_URLCONF = "core.urls_public"
ROOT_URLCONF = "core.urls"
DEFAULT_NOT_FOUND_TENANT_VIEW = "tenants.views.territory_not_found"
# The public host: the directory of territories and the platform admins' back office.
PPE_PUBLIC_DOMAIN = env_str("PPE_PUBLIC_DOMAIN", "localhost")
# Links sent by e-mail (invitations, password reset from a background task) name the territory's host with
# this scheme and port (empty: the scheme's default port). `make run` sets the port it serves on.
PPE_URL_SCHEME = env_str("PPE_URL_SCHEME", "http")
PPE_URL_PORT = env_str("PPE_URL_PORT", "")
PPE_DOMAIN_SUFFIX = env_str("PPE_DOMAIN_SUFFIX", "localhost")
# Host → territory, cached in each process (tenants.hosts): how many hosts, and how often (seconds) a process
# looks whether another one changed a domain or a territory (milliseconds).
PPE_HOST_CACHE_MAX = env_int("PPE_HOST_CACHE_MAX", 1024)
PPE_HOST_CACHE_CHECK_MS = env_int("PPE_HOST_CACHE_CHECK_MS", 1000)
# How stale, at most, another process's view of a territory's webhook subscriptions is (tenants.table_cache).
PPE_WEBHOOK_CACHE_CHECK_MS = env_int("PPE_WEBHOOK_CACHE_CHECK_MS", 1000)
# …and of its poles' switches and settings (a pole switched off elsewhere is off here at most that much later).
PPE_POLE_CACHE_CHECK_MS = env_int("PPE_POLE_CACHE_CHECK_MS", 1000)

# Poles shipped with the platform (Django apps and pluggy plugins); more join through the "ppe.poles"
# entry-point group.
PPE_POLES = ["plugins.support", "plugins.developpement", "plugins.remplacement"]
# Always-on plugins of the platform itself (not poles: they cannot be switched off).
PPE_INTERNAL_PLUGINS = ["core.hooks", "cms.hooks"]

MIDDLEWARE = [
    "core.outage.DatabaseOutageMiddleware",  # first: /sante/ on every host; a database outage answers 503
    "tenants.hosts.CachedTenantMiddleware",  # django-tenants', the host → territory lookup cached (tenants.hosts)
    "core.limits.RequestSizeLimitMiddleware",  # a body larger than accepted: 413 before anything reads it
    "django.middleware.security.SecurityMiddleware",
    "core.api.middleware.NoStoreMiddleware",  # no-store on the APIs and on pages served to a signed-in person
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RenewingSessionMiddleware",  # Django's, the idle period renewed at most once a minute
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): did the session give its second factor
    "core.otp.OTPRequiredMiddleware",  # administrators (and whoever enrolled) give it before anything else
    "tenants.access.AccessMiddleware",  # deny by default: a view of ours that declares nothing is refused
    "core.wagtail_access.WagtailAccessMiddleware",  # deny by default for Wagtail's own screens too
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.TerritoryRedirectMiddleware",  # Wagtail's redirects, not on the public host
    "csp.middleware.CSPMiddleware",
    "core.api.idempotency.IdempotencyMiddleware",
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "core" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "core.wsgi.application"

# --- Database -----------------------------------------------------------------------------------------------
DATABASES = {"default": database_config(BASE_DIR)}
# The server itself when DATABASES goes through a pooler in transaction mode (huey's LISTEN, pg_dump, psql).
PPE_DATABASE_DIRECT = direct_database_overrides()
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: keys carry the territory's schema (Wagtail's global keys leak between territories otherwise) --
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        }
    }

# Rate-limit counters (core.api.throttling) are shared by every web worker and host: Redis when there is one
# (the `throttle` cache), else the table `ppe_rate_counter` of the public schema (one upsert a request).
if REDIS_URL:
    CACHES["throttle"] = {**CACHES["default"]}

# --- Background tasks (huey): PostgreSQL queue in the same database, Redis when REDIS_URL is set ------------
HUEY = {
    "name": "ppe",
    "huey_class": "huey.RedisHuey" if REDIS_URL else "tenants.queue.PostgresHuey",
    "immediate": env_bool("HUEY_IMMEDIATE", False),
    "utc": True,
    "connection": (
        {"url": REDIS_URL}
        if REDIS_URL
        else {"connection": huey_connection, "listen_connection": huey_listen_connection}
    ),
    "consumer": {
        "workers": env_int("HUEY_WORKERS", 2),
        "worker_type": "thread",
        "periodic": True,
        "check_worker_health": True,
    },
}

# --- Authentication -----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Brute-force protection first (django-axes; its tables live in each schema, so lockouts are per territory).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "api/lockout.html"
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)
LOGIN_URL = "/admin/login/"
LOGIN_REDIRECT_URL = "/admin/"
# A session ends after this many minutes without a request: a request renews it, at most once every
# PPE_SESSION_RENEW_SECONDS (core.middleware.RenewingSessionMiddleware; not a write at every request).
PPE_SESSION_IDLE_MINUTES = env_int("PPE_SESSION_IDLE_MINUTES", 60)
PPE_SESSION_RENEW_SECONDS = env_int("PPE_SESSION_RENEW_SECONDS", 60)
SESSION_COOKIE_AGE = PPE_SESSION_IDLE_MINUTES * 60
# Two-factor authentication (TOTP, django-otp: core/otp.py): platform administrators of a territory and the
# platform's staff on the public host must enrol an authenticator application. Switch off only for a local
# demo (PPE_OTP_REQUIRED=0): people who enrolled are still asked for their code.
PPE_OTP_REQUIRED = env_bool("PPE_OTP_REQUIRED", True)
OTP_TOTP_THROTTLE_FACTOR = 1  # each wrong code doubles the wait before the next try (django-otp)
# An invitation link stays valid this many days (a resend issues a new link and invalidates the old one).
PPE_INVITATION_DAYS = env_int("PPE_INVITATION_DAYS", 7)

# --- Internationalisation: the UI speaks French -------------------------------------------------------------
LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", _("Français"))]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and media files (media are stored per territory) -------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Private files (attachments, form files, conventions, deliberations, diplomas): outside MEDIA_ROOT, one
    # folder per territory, no URL; handed out by permission-checked views only (tenants.storage, core.downloads).
    "private": {"BACKEND": "tenants.storage.TenantPrivateStorage"},
    # Territory backups (tenants.TerritoryBackup): everyone's data, so outside MEDIA_ROOT, served by no URL
    # (platform admins download them through a permission-checked view), readable by their owner only.
    "backups": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env_str("PPE_BACKUP_DIR", str(VAR_DIR / "backups")),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
}
PPE_PRIVATE_DIR = Path(env_str("PPE_PRIVATE_DIR", str(VAR_DIR / "private")))
# Case files that no row names (a caller's transaction rolled back after they were written) are deleted by the
# daily sweep once older than this (core.services.form_files).
PPE_ORPHAN_FILES_GRACE_MINUTES = env_int("PPE_ORPHAN_FILES_GRACE_MINUTES", 60)
# How a permission-checked download hands its file over: "django" (the application streams it), or, behind a
# web server that serves the private folder as an internal location, "x-accel-redirect" (nginx: the response
# carries X-Accel-Redirect: PPE_FILE_ACCEL_PREFIX + <schema>/<name>) or "x-sendfile" (Apache, lighttpd: the
# absolute path). Storages without local paths (S3) are always streamed.
PPE_FILE_SERVE = env_str("PPE_FILE_SERVE", "django")
PPE_FILE_ACCEL_PREFIX = env_str("PPE_FILE_ACCEL_PREFIX", "/_private/")
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Wagtail ------------------------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Plateforme Petite Enfance"
WAGTAILADMIN_BASE_URL = env_str("WAGTAILADMIN_BASE_URL", "http://ille-et-vilaine.localhost:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("fr", "Français")]
WAGTAIL_USER_TIME_ZONES = ["Europe/Paris"]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Wagtail's own background tasks carry no territory: run them immediately, in the request's schema.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Documents always go through Wagtail's serve view (collection privacy checked), never a media URL.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "odt", "ods", "csv", "txt", "png", "jpg", "jpeg"]

# --- REST API -----------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API de la Plateforme Petite Enfance",
    "DESCRIPTION": (
        "API REST d'un territoire de la Plateforme Petite Enfance : dossiers, workflows, catalogue, "
        "structures et opérateurs. Chaque territoire a son propre hôte et ses propres jetons."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "PREPROCESSING_HOOKS": ["core.api.schema.only_api_paths"],
}
# Per-territory hashed tokens (core.api) replace DRF's plain authtoken; errors are RFC 9457 problem details.
REST_FRAMEWORK.update(
    {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "core.api.authentication.ApiTokenAuthentication",
            "rest_framework.authentication.SessionAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.RolePermission"],
        "DEFAULT_THROTTLE_CLASSES": [
            "core.api.throttling.TokenRateThrottle",
            "core.api.throttling.SessionUserRateThrottle",
            "core.api.throttling.AnonymousRateThrottle",
        ],
        "DEFAULT_THROTTLE_RATES": {
            "token": env_str("API_THROTTLE_TOKEN", "1200/min"),
            "user": env_str("API_THROTTLE_USER", "600/min"),
            "anon": env_str("API_THROTTLE_ANON", "60/min"),
            # invalid tokens sent from one client address (then every token from it waits: core.api.throttling)
            "token_failure": env_str("API_THROTTLE_TOKEN_FAILURES", "10/min"),
        },
        "EXCEPTION_HANDLER": "core.api.errors.problem_exception_handler",
        # DRF's parsers with limits: JSON depth, control characters in text values, body size (core.api.parsers).
        "DEFAULT_PARSER_CLASSES": [
            "core.api.parsers.JSONParser",
            "core.api.parsers.FormParser",
            "core.api.parsers.MultiPartParser",
        ],
        "DEFAULT_SCHEMA_CLASS": "core.api.schema.ApiAutoSchema",
        "DEFAULT_FILTER_BACKENDS": [
            "rest_framework.filters.SearchFilter",
            "rest_framework.filters.OrderingFilter",
        ],
    }
)
SPECTACULAR_SETTINGS.update(
    {
        "COMPONENT_SPLIT_REQUEST": True,
        # Two serializers show a structure's `kind` (its entry, the corrections of a case's structure): one enum.
        "ENUM_NAME_OVERRIDES": {
            "StructureKindEnum": "core.models.Structure.Kind",
            "NetworkKindEnum": "core.models.Network.Kind",
        },
        "TAGS": [
            {"name": "territoire", "description": "Le territoire servi par cette API."},
            {"name": "catalogue", "description": "Le catalogue de services du territoire."},
            {"name": "annuaire", "description": "Structures d'accueil et opérateurs ESS."},
            {"name": "dossiers", "description": "Dossiers, transitions, commentaires et pièces jointes."},
            {"name": "workflows", "description": "Workflows publiés et schémas JSON de leurs formulaires."},
            {"name": "webhooks", "description": "Abonnements aux événements du territoire."},
        ],
    }
)
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 365)
API_IDEMPOTENCY_TTL_HOURS = env_int("API_IDEMPOTENCY_TTL_HOURS", 24)
# A record still « in progress » after this many seconds was left by a dead process: the next retry runs anew.
API_IDEMPOTENCY_IN_PROGRESS_SECONDS = env_int("API_IDEMPOTENCY_IN_PROGRESS_SECONDS", 120)
# Webhooks: deliveries to private or loopback addresses are refused unless this is on (dev and tests).
PPE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env_bool("PPE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False)
# A database outage answers 503 with this Retry-After; /sante/ is degraded when the periodic sweep is older, or
# a background effect waits longer, than these.
PPE_OUTAGE_RETRY_AFTER_SECONDS = env_int("PPE_OUTAGE_RETRY_AFTER_SECONDS", 10)
PPE_HEALTH_PERIODIC_MAX_AGE_SECONDS = env_int("PPE_HEALTH_PERIODIC_MAX_AGE_SECONDS", 180)
PPE_HEALTH_MAX_LAG_SECONDS = env_int("PPE_HEALTH_MAX_LAG_SECONDS", 300)
# The outbox's sweep hands over again a due effect handed over more than this many seconds ago.
PPE_OUTBOX_SWEEP_AFTER_SECONDS = env_int("PPE_OUTBOX_SWEEP_AFTER_SECONDS", 120)
# Personal data (RGPD): a closed case is anonymised this many years after its closure, unless its case type
# says otherwise (« Données personnelles » in the territory's admin).
PPE_RETENTION_YEARS_DEFAULT = env_int("PPE_RETENTION_YEARS_DEFAULT", 5)
# A failing delivery is retried with exponential backoff (30 s, 1 min… at most 6 h apart) for three days from
# its creation, then abandoned (at most PPE_WEBHOOK_MAX_ATTEMPTS tries).
PPE_WEBHOOK_MAX_ATTEMPTS = env_int("PPE_WEBHOOK_MAX_ATTEMPTS", 30)
PPE_WEBHOOK_RETRY_BASE_SECONDS = env_int("PPE_WEBHOOK_RETRY_BASE_SECONDS", 30)
PPE_WEBHOOK_RETRY_MAX_DELAY_SECONDS = env_int("PPE_WEBHOOK_RETRY_MAX_DELAY_SECONDS", 6 * 3600)
PPE_WEBHOOK_RETRY_WINDOW_HOURS = env_int("PPE_WEBHOOK_RETRY_WINDOW_HOURS", 72)
# An endpoint whose every try failed for this long (no success in between) is switched off and its owner
# (who created it, else the territory's administrators) e-mailed; the owner re-enables it in the admin.
PPE_WEBHOOK_DISABLE_AFTER_HOURS = env_int("PPE_WEBHOOK_DISABLE_AFTER_HOURS", 5 * 24)
# Uploads: the largest file accepted, and the content types sniffed from the bytes that are allowed.
PPE_UPLOAD_MAX_BYTES = env_int("PPE_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# Request limits (core.limits, core.api.parsers): the largest multipart body (a file and its fields), answered
# 413 before it is read; JSON bodies nested deeper than this are refused (400).
PPE_REQUEST_MAX_BYTES = env_int("PPE_REQUEST_MAX_BYTES", PPE_UPLOAD_MAX_BYTES + 1024 * 1024)
PPE_API_JSON_MAX_DEPTH = env_int("PPE_API_JSON_MAX_DEPTH", 32)

# --- Security headers: a Content Security Policy on every page (django-csp) --------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
        "worker-src": ["'self'", "blob:"],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"

# --- E-mail -------------------------------------------------------------------------------------------------
# The real mail backend; the outbox's ledger in front of it (a retried background effect never sends twice).
PPE_EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_BACKEND = "tenants.outbox.mail.LedgerEmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))  # for the file-based backend
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Plateforme Petite Enfance <ne-pas-repondre@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "huey": {"handlers": ["console"], "level": "INFO"},
        "ppe": {"handlers": ["console"], "level": "INFO"},
    },
}
# No Gravatar in the admin: it would send a hash of every user's e-mail address to a third party (and the CSP
# blocks it anyway).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
CSRF_FAILURE_VIEW = "core.api.views.csrf_failure"  # a problem (JSON) under /api/, Django's page elsewhere

# --- Public site: pages cached per territory and shared by every web worker (cms.cache) ----------------------
CACHES["cms"] = {
    **CACHES["default"],
    **(
        {}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache" / "cms"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    ),
}
PPE_PAGE_CACHE_SECONDS = env_int("PPE_PAGE_CACHE_SECONDS", 3600)
MIDDLEWARE += ["cms.cache.PageCacheMiddleware"]
# Anti-abuse limit of the public request form: submissions per client address and hour, per territory.
PPE_REQUEST_FORM_LIMIT_PER_HOUR = env_int("PPE_REQUEST_FORM_LIMIT_PER_HOUR", 10)
# Behind a reverse proxy, the request header that carries the client's address (e.g. HTTP_X_REAL_IP).
PPE_CLIENT_IP_HEADER = env_str("PPE_CLIENT_IP_HEADER", "REMOTE_ADDR")

# --- Poles from other packages ("ppe.poles" entry points; see core/settings/poles.py) ------------------------
from core.settings.poles import entry_point_poles  # noqa: E402

PPE_ENTRY_POINT_POLES = [module for module in entry_point_poles() if module not in TENANT_APPS]
TENANT_APPS += PPE_ENTRY_POINT_POLES
PPE_POLES += PPE_ENTRY_POINT_POLES
INSTALLED_APPS += PPE_ENTRY_POINT_POLES

# --- Who may open a view (tenants.access: deny by default, system check ppe.E002) -------------------------------
PPE_ACCESS_ROLES_FUNCTION = "core.roles.user_roles"
PPE_ACCESS_PACKAGES = ("core", "tenants", "workflows", "cms", "plugins", *PPE_ENTRY_POINT_POLES)

# --- Per-process caches, bounded whatever the number of territories a process serves ------------------------
PPE_COMPILED_WORKFLOWS_MAX = env_int("PPE_COMPILED_WORKFLOWS_MAX", 1024)  # workflow versions (all territories)
PPE_FORM_CLASSES_MAX = env_int("PPE_FORM_CLASSES_MAX", 2048)  # validation form classes of those versions
