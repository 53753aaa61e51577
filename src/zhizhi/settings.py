"""Django settings, all read from the environment.

ZHIZHI_ENV            development (default) | production | test
DATABASE_URL          e.g. postgres://postgres@127.0.0.1:5432/test; default SQLite (WAL) at $ZHIZHI_DATA_DIR/zhizhi.sqlite3
ZHIZHI_DATA_DIR       where the embedded database and exports live (default ./var)
ZHIZHI_SECRET_KEY     Django secret key (required in production)
ZHIZHI_FIELD_KEY      Fernet key(s) for ID numbers and phones, comma-separated, newest first (required in production)
ZHIZHI_ALLOWED_HOSTS  comma-separated host names (production)
ZHIZHI_MAP_TILE_URL   Leaflet tile URL template; empty (default) draws vector layers only, no external tile server
ZHIZHI_OFFICE_HOURS   working periods per day for deadline arithmetic, default 08:30-12:00,13:30-17:30
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
ZHIZHI_ENV = os.environ.get("ZHIZHI_ENV", "development")
PRODUCTION = ZHIZHI_ENV == "production"
DATA_DIR = Path(os.environ.get("ZHIZHI_DATA_DIR", Path.cwd() / "var"))

SECRET_KEY = os.environ.get("ZHIZHI_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("ZHIZHI_SECRET_KEY must be set when ZHIZHI_ENV=production")
    SECRET_KEY = "zhizhi-development-only-secret-key-do-not-use-in-production"  # noqa: S105

# Field encryption keys (core.pii). The development key is public and only for synthetic data.
FIELD_ENCRYPTION_KEYS = [k.strip() for k in os.environ.get("ZHIZHI_FIELD_KEY", "").split(",") if k.strip()]
if not FIELD_ENCRYPTION_KEYS:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "ZHIZHI_FIELD_KEY must be set when ZHIZHI_ENV=production (generate one with: zhizhi genkey)"
        )
    FIELD_ENCRYPTION_KEYS = ["Qz2XPJQlkm1DBHNsz-ExhE5A0KdazkUJlZhSeK-J498="]  # public dev key

DEBUG = os.environ.get("ZHIZHI_DEBUG", "0" if PRODUCTION else "1") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("ZHIZHI_ALLOWED_HOSTS", "").split(",") if h] or (
    [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver", "[::1]"]
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "zhizhi.core",
    "zhizhi.areas",
    "zhizhi.accounts",
    "zhizhi.people",
    "zhizhi.cases",
    "zhizhi.welfare",
    "zhizhi.sensors",
    "zhizhi.open311",
    "zhizhi.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "zhizhi.core.middleware.RefuseNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "zhizhi.core.middleware.RequestContextMiddleware",
    "zhizhi.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "zhizhi.urls"
WSGI_APPLICATION = "zhizhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "zhizhi.web.context_processors.site",
                "zhizhi.web.context_processors.navigation",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
        if os.environ.get("ZHIZHI_DB_PREPARE", "1") == "1" and str(config["ENGINE"]).endswith("postgresql"):
            # Server-side parameters, and a statement run 5 times on a connection is prepared there: about a
            # third less database CPU per case intake. Set ZHIZHI_DB_PREPARE=0 behind a transaction-pooling
            # PgBouncer, which cannot keep prepared statements.
            config["OPTIONS"] = {
                **(config.get("OPTIONS") or {}),
                "server_side_binding": True,
                "prepare_threshold": 5,
            }
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "zhizhi.sqlite3"),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The resident list's covering index INCLUDEs pinyin on PostgreSQL; SQLite ignores INCLUDE, which is fine.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
AUTH_USER_MODEL = "accounts.User"
# ModelBackend and database sessions, each with its per-request read precompiled (accounts.backends, .sessions).
AUTHENTICATION_BACKENDS = ["zhizhi.accounts.backends.AccountBackend"]
SESSION_ENGINE = "zhizhi.accounts.sessions"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

AUTH_PASSWORD_VALIDATORS = (
    [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 10},
        },
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    ]
    if PRODUCTION
    else []
)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Front-end libraries come from the npm registry (package.json at the repository root, `npm ci`).
NODE_MODULES = Path(os.environ.get("ZHIZHI_NODE_MODULES", BASE_DIR.parent.parent / "node_modules"))
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES / name / sub)
    for name, sub in (("leaflet", "dist"), ("echarts", "dist"), ("htmx.org", "dist"))
    if (NODE_MODULES / name / sub).is_dir()
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {
    "default": {
        "BACKEND": os.environ.get("ZHIZHI_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

MAP_TILE_URL = os.environ.get("ZHIZHI_MAP_TILE_URL", "")
OFFICE_HOURS = os.environ.get("ZHIZHI_OFFICE_HOURS", "08:30-12:00,13:30-17:30")
# Door sensors: apply threshold proposals from alarm outcomes automatically within safe bounds (sensors.services.tuning).
SENSORS_AUTO_TUNE = os.environ.get("ZHIZHI_SENSORS_AUTO_TUNE", "0") == "1"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION

LOG_LEVEL = os.environ.get("ZHIZHI_LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's loggers carry their own level (INFO), so django.request's 4xx warnings would pass a quieter
    # root: bound them by the same level. A logger a process turns up on purpose (`ingest-mqtt -v`) still
    # prints, which a level on the handler would silence.
    "loggers": {"django": {"level": LOG_LEVEL}},
}
