"""Vigie's one settings module. Everything comes from the environment (see the README's table).

Defaults run on a laptop: DEBUG on, a local PostGIS database, an in-memory channel layer and
Celery tasks run in-process. Each integration switches on when its variable is set.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is required")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 - refused when DJANGO_DEBUG=0
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",  # first, so `runserver` is daphne too
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "knox",
    "django_otp",  # TOTP second factor for staff (accounts/signin.py)
    "django_otp.plugins.otp_totp",
    "axes",  # sign-in failures and lockout (accounts/signin.py)
    "drf_spectacular",
    "django_filters",
    "drf_spectacular_sidecar",
    "channels",
    "csp",  # Content-Security-Policy on every response (the security block below)
    "common",
    "audit",
    "accounts",
    "live",
    "cameras",
    "reporting",
    "alerts",
    "dispatch",
    "notifications",
    "privacy",
]

MIDDLEWARE = [
    "common.middleware.ContractErrorsMiddleware",
    "common.middleware.BodyLimitsMiddleware",  # before anything reads the body
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files need no policy); every page and API answer gets one.
    "common.csp.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(), for the admin
    "accounts.sessions.IdleSessionMiddleware",  # staff sessions end when left idle
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a sign-in axes locked out into the contract's 429 (accounts.signin).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------------
# Django's own pool rather than CONN_MAX_AGE: under ASGI persistent connections leak until
# PostgreSQL refuses new ones, and a fresh connection per request costs a connect plus PostGIS
# initialisation (ARCHITECTURE.md, measurements).
DATABASES = {
    "default": dj_database_url.parse(env_str("DATABASE_URL", "postgis:///vigie"), conn_max_age=0)
}
if DATABASES["default"]["ENGINE"] != "django.contrib.gis.db.backends.postgis":
    raise ImproperlyConfigured("DATABASE_URL must use the postgis:// scheme")
if env_bool("DATABASE_POOL", True):
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN_SIZE", 2, minimum=0),
        "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10, minimum=1),
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 10, minimum=1),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache (throttling), Celery broker -----------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # The pub/sub layer fanned out fastest in ARCHITECTURE.md's measurements.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("CHANNEL_LAYER_PREFIX", "vigie")},
        }
    }
    # Throttle counters must be shared by every process, hence Redis, not local memory.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "vigie"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
# Without a broker, tasks run in-process as they are sent: the one-machine default.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves it to another
# Celery's Django fix-up closes every database connection around each task in prefork
# children: three new PostgreSQL sessions (connect + PostGIS set-up) per task, about one core
# at 25 alerts/s (bench/alerts.py). Reusing them for up to 1,000 tasks removes that.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
# Periodic scans of the database (STYLE.md rule 6), run by `celery -A config beat`.
CELERY_BEAT_SCHEDULE = {
    "escalate-overdue-reports": {
        "task": "reporting.tasks.escalate_overdue",
        "schedule": float(env_int("VIGIE_ESCALATION_SCAN_S", 10, minimum=1)),
    },
    "supervise-devices": {
        "task": "alerts.tasks.supervise_devices",
        "schedule": float(env_int("VIGIE_DEVICE_SCAN_S", 30, minimum=1)),
    },
    "send-pushes": {
        "task": "notifications.tasks.send_pushes",
        "schedule": float(env_int("VIGIE_PUSH_SCAN_S", 15, minimum=1)),
    },
    "publish-unit-positions": {
        "task": "dispatch.tasks.publish_unit_positions",
        "schedule": float(env_int("VIGIE_UNIT_POSITION_EVERY_S", 3, minimum=1)),
    },
    "purge-expired": {
        "task": "privacy.tasks.purge_expired",
        "schedule": float(env_int("VIGIE_RETENTION_SCAN_S", 3600, minimum=60)),
    },
}

# --- accounts and authentication ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("VIGIE_PASSWORD_MIN_LENGTH", 10, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": timedelta(hours=env_int("VIGIE_TOKEN_TTL_HOURS", 24 * 30, minimum=1)),
    "AUTO_REFRESH": True,  # a phone in daily use keeps its token; an abandoned one expires
    # ...but never beyond this, whatever the use: the member signs in again.
    "AUTO_REFRESH_MAX_TTL": timedelta(days=env_int("VIGIE_TOKEN_MAX_AGE_DAYS", 180, minimum=1)),
}
SESSION_COOKIE_AGE = env_int("VIGIE_SESSION_AGE_SECONDS", 12 * 3600, minimum=300)  # one shift
# Counted from the sign-in, not pushed back by use; and a console left untouched this long is
# signed out (accounts/sessions.py). Sessions are saved when they change, not on every request.
VIGIE_SESSION_IDLE_MINUTES = env_int("VIGIE_SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_SAVE_EVERY_REQUEST = False
# Staff (operators, supervisors, vetting officers, police, admins) sign in with a TOTP code as
# well as their password. Off only for a laptop demo: `check --deploy` warns when it is off.
VIGIE_STAFF_OTP = env_bool("VIGIE_STAFF_OTP", True)
OTP_TOTP_ISSUER = env_str("VIGIE_OTP_ISSUER", "Vigie")
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out username+address before the password is even checked.
    "accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes: VIGIE_LOGIN_FAILURES failed sign-ins (wrong password or wrong code) from one
# address for one username lock that pair out for VIGIE_LOGIN_LOCKOUT_MINUTES, on every door
# (app token, session, admin). Attempts are rows (AccessAttempt), shared by every process.
AXES_FAILURE_LIMIT = env_int("VIGIE_LOGIN_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("VIGIE_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lockout ends when it said it would (Retry-After), even if the guessing goes on.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.signin.lockout_response"
AXES_USERNAME_CALLABLE = "accounts.signin.lockout_username"
AXES_CLIENT_IP_CALLABLE = "audit.services.client_address"  # the throttles' rule for proxies
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp", "otp_token"]
# Successful sign-ins are in the access trail already (audit): no second, unpurged copy.
AXES_DISABLE_ACCESS_LOG = True

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes a missing credential a 401, not a 403.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["common.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("VIGIE_THROTTLE_ANON", "60/min"),
        "user": env_str("VIGIE_THROTTLE_USER", "600/min"),
        "login": env_str("VIGIE_THROTTLE_LOGIN", "10/min"),
        "enrolment": env_str("VIGIE_THROTTLE_ENROLMENT", "30/hour"),
        "reports": env_str("VIGIE_THROTTLE_REPORTS", "30/hour"),
        "device": env_str("VIGIE_THROTTLE_DEVICE", "120/min"),
        "positions": env_str("VIGIE_THROTTLE_POSITIONS", "120/min"),
    },
    # Behind a reverse proxy the client is the last address it adds to X-Forwarded-For;
    # without this, every caller would share the proxy's address and its throttle.
    "NUM_PROXIES": env_int(
        "VIGIE_NUM_PROXIES", 1 if env_bool("DJANGO_BEHIND_TLS_PROXY", False) else 0, minimum=0
    ),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vigie API",
    "DESCRIPTION": "Reports, alerts, cameras and dispatch for urban supervision centres.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "ENUM_NAME_OVERRIDES": {
        "PriorityEnum": "reporting.models.Priority",
        "ReportStatusEnum": "reporting.models.Status",
        "ReportSourceEnum": "reporting.models.Source",
        "VettingStatusEnum": "accounts.models.VettingStatus",
        "CameraStatusEnum": "cameras.models.Camera.Status",
        "PtzCommandStatusEnum": "cameras.models.PtzCommand.Status",
        "ReportOutcomeEnum": "reporting.models.Outcome",
        "AlertKindEnum": "alerts.models.AlertKind",
        "UnitKindEnum": "dispatch.models.UnitKind",
        "InterventionOutcomeEnum": "dispatch.models.InterventionOutcome",
        "InterventionStateEnum": "dispatch.models.State",
        "UnitStatusEnum": "dispatch.models.UnitStatus",
        "AlertStateEnum": "alerts.api.ALERT_STATES",
        "FiguresGroupingEnum": "dispatch.figures.GROUPINGS",
    },
}
IDEMPOTENCY_WINDOW = timedelta(hours=24)

# --- reports ------------------------------------------------------------------------------------
VIGIE_MAX_ACCURACY_M = env_int("VIGIE_MAX_ACCURACY_M", 500, minimum=1)
VIGIE_REPORT_DESCRIPTION_MAX = env_int("VIGIE_REPORT_DESCRIPTION_MAX", 2000, minimum=100)
VIGIE_MEDIA_MAX_FILES = env_int("VIGIE_MEDIA_MAX_FILES", 5, minimum=0)
VIGIE_MEDIA_MAX_BYTES = env_int("VIGIE_MEDIA_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
VIGIE_PHOTO_MAX_PIXELS = env_int("VIGIE_PHOTO_MAX_PIXELS", 50_000_000, minimum=1_000_000)
VIGIE_DUPLICATE_RADIUS_M = env_int("VIGIE_DUPLICATE_RADIUS_M", 150, minimum=1)
VIGIE_DUPLICATE_WINDOW_MINUTES = env_int("VIGIE_DUPLICATE_WINDOW_MINUTES", 120, minimum=1)
VIGIE_CAMERA_SEARCH_RADIUS_M = env_int("VIGIE_CAMERA_SEARCH_RADIUS_M", 300, minimum=10)
VIGIE_CAMERA_LINKS_MAX = env_int("VIGIE_CAMERA_LINKS_MAX", 10, minimum=1)
VIGIE_CAMERA_CANDIDATES = env_int("VIGIE_CAMERA_CANDIDATES", 200, minimum=10)
VIGIE_PTZ_TIMEOUT_S = env_int("VIGIE_PTZ_TIMEOUT_S", 5, minimum=1)
VIGIE_ESCALATION_DELAY_S = env_int("VIGIE_ESCALATION_DELAY_S", 60, minimum=5)
VIGIE_ESCALATION_SCAN_S = env_int("VIGIE_ESCALATION_SCAN_S", 10, minimum=1)
# Alert buttons and call points (issue 6).
VIGIE_DEVICE_CLOCK_SKEW_S = env_int("VIGIE_DEVICE_CLOCK_SKEW_S", 300, minimum=30)
VIGIE_DEVICE_SCAN_S = env_int("VIGIE_DEVICE_SCAN_S", 30, minimum=1)
VIGIE_ALERT_POSITION_BOUND_M = env_int("VIGIE_ALERT_POSITION_BOUND_M", 2000, minimum=10)
VIGIE_ALERT_PTZ_CAMERAS = env_int("VIGIE_ALERT_PTZ_CAMERAS", 3, minimum=0)
VIGIE_ALERT_CANCEL_WINDOW_S = env_int("VIGIE_ALERT_CANCEL_WINDOW_S", 120, minimum=10)
VIGIE_ALERT_PIN_ATTEMPTS = env_int("VIGIE_ALERT_PIN_ATTEMPTS", 5, minimum=1)
# Push notifications (issue 8): FCM when a service-account file is given, else the log.
FIREBASE_CREDENTIALS = env_str("FIREBASE_CREDENTIALS")
if FIREBASE_CREDENTIALS and not Path(FIREBASE_CREDENTIALS).is_file():
    raise ImproperlyConfigured(
        f"FIREBASE_CREDENTIALS={FIREBASE_CREDENTIALS} is not a readable file"
    )
VIGIE_FCM_ENDPOINT = env_str("VIGIE_FCM_ENDPOINT")
VIGIE_PUSH_RETRY_BASE_S = env_int("VIGIE_PUSH_RETRY_BASE_S", 30, minimum=1)
VIGIE_PUSH_MAX_ATTEMPTS = env_int("VIGIE_PUSH_MAX_ATTEMPTS", 8, minimum=1)
VIGIE_BROADCAST_HOURS = env_int("VIGIE_BROADCAST_HOURS", 24, minimum=1)
# Dispatch (issue 7).
VIGIE_UNIT_POSITION_EVERY_S = env_int("VIGIE_UNIT_POSITION_EVERY_S", 3, minimum=1)
VIGIE_UNIT_FIX_MAX_AGE_S = env_int("VIGIE_UNIT_FIX_MAX_AGE_S", 300, minimum=10)
VIGIE_UNIT_MAX_SPEED_KMH = env_int("VIGIE_UNIT_MAX_SPEED_KMH", 250, minimum=10)
VIGIE_UNIT_MAX_OUTSIDE_M = env_int("VIGIE_UNIT_MAX_OUTSIDE_M", 20000, minimum=0)
VIGIE_POLICE_REPORT_HOURS = env_int("VIGIE_POLICE_REPORT_HOURS", 12, minimum=1)
# Hostile input (issue 9): bodies, nesting and WebSocket frames refused before they cost much.
VIGIE_JSON_MAX_BYTES = env_int("VIGIE_JSON_MAX_BYTES", 256 * 1024, minimum=1024)
VIGIE_JSON_MAX_DEPTH = env_int("VIGIE_JSON_MAX_DEPTH", 32, minimum=8)
VIGIE_WS_FRAME_MAX_BYTES = env_int("VIGIE_WS_FRAME_MAX_BYTES", 64 * 1024, minimum=1024)
VIGIE_WS_FRAMES_PER_S = env_int("VIGIE_WS_FRAMES_PER_S", 20, minimum=1)
VIGIE_WS_FRAMES_BURST = env_int("VIGIE_WS_FRAMES_BURST", 40, minimum=1)
VIGIE_WS_AUTH_CHECK_S = env_int("VIGIE_WS_AUTH_CHECK_S", 60, minimum=1)
MEDIA_ROOT = Path(env_str("VIGIE_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"  # never served as a folder: attachments go through an authorised view
# Reports, images, positions and notifications are kept at most one month (French law); each
# centre may keep less (MonitoringCentre.retention_days). This is the default for new centres.
VIGIE_RETENTION_DAYS = env_int("VIGIE_RETENTION_DAYS", 30, minimum=1)
if VIGIE_RETENTION_DAYS > 30:
    raise ImproperlyConfigured("VIGIE_RETENTION_DAYS may not exceed 30 (days)")

# --- internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
TIME_ZONE = env_str("VIGIE_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

# --- static files ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG  # in development, serve straight from the apps' folders

# Map base layer for map screens (admin jurisdictions, console). A closed network points this at
# the city's own tile server; the JavaScript itself is vendored under static/vendor/.
VIGIE_MAP_TILES_URL = env_str(
    "VIGIE_MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)

# --- security -----------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"  # no page of another site keeps a handle on ours
X_FRAME_OPTIONS = "DENY"  # for old browsers; current ones read the CSP's frame-ancestors 'none'
SESSION_COOKIE_HTTPONLY = True
# The console and broadcast scripts read the CSRF cookie to send it back as X-CSRFToken: it
# cannot be HttpOnly (which would protect nothing: the token is in every form anyway).
CSRF_COOKIE_HTTPONLY = False
# Lax rather than Strict: a link to /console/ from a mail or another site must still find the
# session; a cross-site POST carries neither cookie either way.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "common.errors.csrf_failure_view"
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    # HTTPS everywhere outside a laptop; each can be turned off where a proxy does it instead.
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
# API paths are exact (API.md): a missing slash is a JSON 404, not a redirect that drops a POST.
APPEND_SLASH = False

# --- Content-Security-Policy (django-csp) -------------------------------------------------------
# Every response gets this strict default: no inline script or style, no eval, nothing from
# another origin, never framed. A page that needs more says so with common.csp.csp_sources (the
# map tiles' origin, its own WebSocket, media); the admin's pages get the tiles' origin for their
# map widget (common.csp.CSPMiddleware). Django's DEBUG 404 and 500 pages go out without it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "manifest-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    # django-axes logs every successful sign-in at INFO; the access trail has them already.
    "loggers": {"axes": {"level": "WARNING"}},
}
