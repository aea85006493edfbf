"""Django settings for havenwatch, all read through ``havenwatch.config``."""

from __future__ import annotations

import dj_database_url
from django.utils.translation import gettext_lazy as _

from havenwatch import config

PROFILE = config.profile()
SECRET_KEY = config.secret_key()
DEBUG = config.flag("DEBUG", default=False)
VAR_DIR = config.var_dir()

ALLOWED_HOSTS = config.listing(
    "ALLOWED_HOSTS",
    ["127.0.0.1", "localhost", "testserver"] if PROFILE in {"demo", "test"} else [],
)
if not ALLOWED_HOSTS:
    raise config.ConfigError("HAVENWATCH_ALLOWED_HOSTS is not set: name the host names this instance serves.")
CSRF_TRUSTED_ORIGINS = config.listing("CSRF_TRUSTED_ORIGINS", [])
# A bulk release request holds up to 10,000 rows: about 2 MB as compact JSON, more when
# indented or with long references. Larger bodies get a 413 problem (middleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "havenwatch.core",
    "havenwatch.access",
    "havenwatch.release",
    "havenwatch.controlroom",
    "havenwatch.reporting",
    "havenwatch.demo",
]

MIDDLEWARE = [
    # First of all: the anonymous reporting pages must not see who asks (reporting/middleware.py).
    "havenwatch.reporting.middleware.AnonymousPagesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "havenwatch.core.middleware.SecurityHeadersMiddleware",
    "havenwatch.core.middleware.RejectNulCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "havenwatch.core.middleware.PrincipalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "havenwatch.urls"
ASGI_APPLICATION = "havenwatch.asgi.application"
WSGI_APPLICATION = "havenwatch.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "havenwatch.core.context_processors.shell",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------
_default_sqlite = f"sqlite:///{VAR_DIR / 'havenwatch.sqlite3'}"
# Connections are not kept per thread (CONN_MAX_AGE=0): under ASGI every request runs its
# database work in a thread of its own, so persistent connections would pile up. PostgreSQL
# uses psycopg's connection pool instead.
DATABASES = {"default": dj_database_url.parse(config.get("DATABASE_URL", _default_sqlite), conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(config.get("DB_POOL_MIN", "1")),
        "max_size": int(config.get("DB_POOL_MAX", "10")),
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with the writers of one process queued on a lock instead of
    # SQLite's sleeping busy handler (see havenwatch/core/sqlite_backend/base.py).
    DATABASES["default"]["ENGINE"] = "havenwatch.core.sqlite_backend"
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the single writer; IMMEDIATE takes the write
        # lock at BEGIN, so two writers queue instead of failing half-way.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-havenwatch.sqlite3")} if config.flag(
        "TEST_SQLITE_FILE", default=False
    ) else {}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = config.get("REDIS_URL")

# --- auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGIN_MAX_FAILURES = int(config.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCKOUT_MINUTES = int(config.get("LOGIN_LOCKOUT_MINUTES", "15"))

# --- security headers -----------------------------------------------------------
_secure = PROFILE == "production" and not DEBUG
SESSION_COOKIE_SECURE = config.flag("SECURE_COOKIES", default=_secure)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = 31536000 if _secure else 0
SECURE_SSL_REDIRECT = config.flag("SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if config.flag("BEHIND_PROXY") else None

# --- i18n -----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Nederlands")), ("fr", _("Français"))]
LANGUAGE_COOKIE_NAME = "havenwatch_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
USE_TZ = True
TIME_ZONE = config.get("TIME_ZONE", "Europe/Brussels")

# --- static ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise serves the apps' assets through the finders until `collectstatic` fills this;
# it warns at every start while the directory does not exist.
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG or PROFILE == "test"

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"anonymous_pages": {"()": "havenwatch.reporting.middleware.AnonymousAccessLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["anonymous_pages"]}},
    "root": {"handlers": ["console"], "level": config.get("LOG_LEVEL", "INFO")},
    # fontTools logs each font subset of a PDF at INFO, pydifact each parse: libraries' chatter.
    # uvicorn logs through these settings (serve passes no log config of its own); its
    # access log would name the client: the anonymous pages' records lose the address.
    "loggers": {"uvicorn.access": {"filters": ["anonymous_pages"]},
                "django.request": {"level": "ERROR"}, "httpx": {"level": "WARNING"},
                "fontTools": {"level": "WARNING"}, "pydifact": {"level": "WARNING"}},
}

# --- e-mail (alarm notifications) -------------------------------------------------
# Without a mail server, messages are written as files under var/mail: a demo shows them,
# nothing is lost, and nothing leaves the machine.
EMAIL_HOST = config.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(config.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = config.get("EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = config.get("EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = config.flag("EMAIL_TLS", default=True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = config.get("EMAIL_FROM", "havenwatch@localhost")

# --- havenwatch -----------------------------------------------------------------
HAVENWATCH = {
    # How people reach this instance: the base of links in e-mails and push messages.
    "PUBLIC_URL": config.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
    "SIGNING_KEY_FILE": config.get("SIGNING_KEY_FILE", str(VAR_DIR / "instance_signing_key")),
    "AUDIT_CHECKPOINT_EVERY": int(config.get("AUDIT_CHECKPOINT_EVERY", "500")),
    "WEBHOOK_MAX_ATTEMPTS": int(config.get("WEBHOOK_MAX_ATTEMPTS", "8")),
    "WEBHOOK_ALLOW_PRIVATE": config.flag("WEBHOOK_ALLOW_PRIVATE", default=PROFILE in {"demo", "test"}),
    "INSTANCE_NAME": config.get("INSTANCE_NAME", "havenwatch"),
}
