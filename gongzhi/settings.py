"""gongzhi settings: one file, driven by the environment.

GONGZHI_ENV=production switches on the deployment hardening (secure cookies, HSTS, no debug, secrets that must
come from the environment). Everything else has a safe default for one machine.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("GONGZHI_DATA_DIR", Path.cwd() / "var")).resolve()
ENV = os.environ.get("GONGZHI_ENV", "development")
PRODUCTION = ENV == "production"


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY") or os.environ.get("GONGZHI_SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("GONGZHI_SECRET_KEY must be set in production (see docs/deploy.md)")
    # Development and the demo: a random key kept beside the database, never in the repository.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("GONGZHI_DEBUG", "0") == "1" and not PRODUCTION
ALLOWED_HOSTS = [
    h for h in os.environ.get("GONGZHI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("GONGZHI_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # its templates and static files: the API docs page is served from here, no CDN
    "gongzhi.core",
    "gongzhi.orgs",
    "gongzhi.duties",
    "gongzhi.admissions",
    "gongzhi.web",
    "gongzhi.cleanup",  # after admissions (its demo and dashboard read admitted tasks)
    "gongzhi.funds",  # before agreements (its demo funds the budgets the agreements reserve from)
    "gongzhi.agreements",  # after admissions and funds (its demo drafts from admitted tasks, reserves budgets)
    "gongzhi.surveys",  # after orgs (its demo answers as demo-resident's household)
    "gongzhi.evaluations",  # after surveys, agreements and admissions (it reads their data)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gongzhi.core.api_support.ApiErrorShapeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gongzhi.web.middleware.ChineseFirstLocaleMiddleware",  # Chinese unless the language switch says otherwise
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gongzhi.core.middleware.SessionLifetimeMiddleware",
    "gongzhi.core.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "gongzhi.core.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gongzhi.urls"
WSGI_APPLICATION = "gongzhi.wsgi.application"

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
                "gongzhi.web.context.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------------
# SQLite by default (WAL, synchronous=FULL, BEGIN IMMEDIATE); PostgreSQL through DATABASE_URL. Page cache up to
# 64 MiB a connection (SQLite's default is 2 MiB): a batch of city-wide invitations touches most pages of two
# random-keyed indexes, and with 2 MiB they spill and are read back mid-transaction (2x slower, docs/benchmarks.md).
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "gongzhi.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=20000; PRAGMA cache_size=-65536;"
                ),
            },
            "TEST": {"NAME": os.environ.get("GONGZHI_TEST_DB") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "gongzhi.core.auth.UsernameOrPhoneBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "gongzhi.core.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "gongzhi.core.passwords.CharacterClassValidator"},
    {"NAME": "gongzhi.core.passwords.MaximumLengthValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# django-axes: 5 failures per username or per IP lock for 30 minutes; same reply for unknown users.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lock lasts 30 minutes from the last counted failure
AXES_LOCKOUT_CALLABLE = "gongzhi.core.auth.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "gongzhi.core.auth.axes_username"  # phone numbers counted by blind index
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# --- Sessions: 30 minutes idle, 12 hours absolute, both enforced on the server -------------------------------
SESSION_IDLE_SECONDS = int(os.environ.get("GONGZHI_SESSION_IDLE_SECONDS", 30 * 60))
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("GONGZHI_SESSION_ABSOLUTE_SECONDS", 12 * 3600))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Security headers -----------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_SECURE = True
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = os.environ.get("GONGZHI_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Limits ---------------------------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
DATA_UPLOAD_MAX_NUMBER_FILES = 20
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MEDIA_ROOT = DATA_DIR / "files"
API_MAX_PAGE_SIZE = 200

# --- i18n -----------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"

# --- Keys for personal data and integrity MACs (kept outside the database) ------------------------------------
# GONGZHI_KEY_FILE points to a JSON key file (see docs/deploy.md); development creates one in the data directory.
GONGZHI_KEY_PROVIDER = os.environ.get("GONGZHI_KEY_PROVIDER", "gongzhi.core.crypto.FileKeyProvider")
GONGZHI_KEY_FILE = os.environ.get("GONGZHI_KEY_FILE", str(DATA_DIR / "keys.json"))
GONGZHI_DEMO_PASSWORD = os.environ.get("GONGZHI_DEMO_PASSWORD", "")
GONGZHI_APPROVAL_AUTHORITY_NAME = os.environ.get(
    "GONGZHI_APPROVAL_AUTHORITY_NAME", "中共铜陵市委全面深化改革领导小组办公室"
)
GONGZHI_API_DOCS_PUBLIC = not PRODUCTION

# Admission (准入): submit ≥ 30 working days before the start; the authority decides within 15 (西城 2018).
ADMISSION_LEAD_WORKDAYS = int(os.environ.get("GONGZHI_ADMISSION_LEAD_WORKDAYS", 30))
ADMISSION_DECISION_WORKDAYS = int(os.environ.get("GONGZHI_ADMISSION_DECISION_WORKDAYS", 15))

# Notification mail: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = os.environ.get("GONGZHI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("GONGZHI_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("GONGZHI_EMAIL_PORT", 25))
DEFAULT_FROM_EMAIL = os.environ.get("GONGZHI_FROM_EMAIL", "gongzhi@localhost")
GONGZHI_SITE_URL = os.environ.get("GONGZHI_SITE_URL", "")

TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}

# The list matcher's thresholds (gongzhi/duties/matcher.py; scores are 0–1). See docs/benchmarks.md.
DUTIES_MATCHER = {
    "min_score": float(os.environ.get("GONGZHI_MATCH_MIN_SCORE", "0.35")),  # below: unlisted
    "certificate_min_score": 0.20,  # a certificate item must match at least this well
    "assist_margin": 0.75,  # 「协助」 texts: an assisting item this close to the top statutory one wins
}

# Survey codes are masked in request paths (gongzhi.core.logging.MaskSurveyCodes): on the loggers that write paths
# (so that every handler, test capture included, gets the masked record) and on the console handler for the rest.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_codes": {"()": "gongzhi.core.logging.MaskSurveyCodes"}},
    "formatters": {"json": {"()": "gongzhi.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["mask_codes"]},
    },
    "loggers": {
        "django.request": {"filters": ["mask_codes"]},
        "django.security.csrf": {"filters": ["mask_codes"]},
        "django.server": {
            "handlers": ["console"],
            "filters": ["mask_codes"],
            "level": "INFO",
            "propagate": False,
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("GONGZHI_LOG_LEVEL", "WARNING")},
}
