"""Django settings for Kontor, read from the environment.

Every setting an operator may change is an environment variable prefixed ``KONTOR_`` (or the
conventional ``DATABASE_URL``); the README lists them.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
#: The working directory of an installation: the SQLite database and collected static files live here.
VAR_DIR = Path(os.environ.get("KONTOR_VAR_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = _env_bool("KONTOR_DEBUG", False)
SECRET_KEY = os.environ.get("KONTOR_SECRET_KEY", "")
if not SECRET_KEY:
    # A stable per-installation key, generated once into var/ so sessions survive restarts.
    _key_file = VAR_DIR / "secret_key"
    try:
        if not _key_file.exists():
            from django.core.management.utils import get_random_secret_key

            VAR_DIR.mkdir(parents=True, exist_ok=True)
            _key_file.write_text(get_random_secret_key())
            _key_file.chmod(0o600)
        SECRET_KEY = _key_file.read_text().strip()
    except OSError:  # read-only checkout: fall back to an ephemeral key
        from django.core.management.utils import get_random_secret_key

        SECRET_KEY = get_random_secret_key()

ALLOWED_HOSTS = _env_list("KONTOR_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = _env_list("KONTOR_CSRF_TRUSTED_ORIGINS", "")

# --- https (README "Running in production") ---------------------------------------------------------
#: Behind a reverse proxy that terminates TLS: trust its ``X-Forwarded-Proto`` (and ``X-Forwarded-For``
#: for the client address). Only set this when the proxy overwrites those headers; otherwise a client
#: could claim https or another address.
KONTOR_TRUST_PROXY = _env_bool("KONTOR_TRUST_PROXY", False)
#: The installation is reached over https (directly with ``kontor serve --certfile`` or through a
#: trusted proxy): cookies are Secure, browsers are told to use https only (HSTS), http is redirected.
KONTOR_HTTPS = _env_bool("KONTOR_HTTPS", False) or KONTOR_TRUST_PROXY
if KONTOR_TRUST_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if KONTOR_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("KONTOR_SSL_REDIRECT", True)
    # A local health check (curl http://127.0.0.1:8000/healthz) is not redirected to https.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("KONTOR_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("KONTOR_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_bool("KONTOR_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Submitting a domain to the browsers' HSTS preload list is an operator's decision that is hard to
# undo, so it is opt-in (KONTOR_HSTS_PRELOAD) and its deploy-check reminder (W021) is not shown.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

#: /healthz: 503 unless a background worker wrote its heartbeat within this many seconds
#: (KONTOR_HEALTH_REQUIRE_WORKER=false where no worker runs); workers beat every ..._HEARTBEAT_SECONDS.
KONTOR_HEALTH_REQUIRE_WORKER = _env_bool("KONTOR_HEALTH_REQUIRE_WORKER", True)
KONTOR_HEALTH_MAX_HEARTBEAT_AGE = float(os.environ.get("KONTOR_HEALTH_MAX_HEARTBEAT_AGE", "90"))
KONTOR_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("KONTOR_WORKER_HEARTBEAT_SECONDS", "15"))

#: ``/api/docs`` (Swagger UI) without logging in; the OpenAPI schema is public either way.
KONTOR_PUBLIC_API_DOCS = _env_bool("KONTOR_PUBLIC_API_DOCS", False)

#: Region used to read phone numbers written without a country code (ISO 3166 alpha-2).
KONTOR_DEFAULT_PHONE_REGION = os.environ.get("KONTOR_DEFAULT_PHONE_REGION", "DE").upper()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "kontor.core",
    "kontor.accounts",
    "kontor.crm",
    "kontor.modes",
    "kontor.api",
    "kontor.bitrix",
    "kontor.web",
    "kontor.devdata",
    "kontor.events",
    "kontor.data",
    "kontor.products",
    "kontor.notifications",
]

MIDDLEWARE = [
    "kontor.core.errorviews.ApiErrorsMiddleware",  # first: JSON for every error under /api/
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # last, as django-axes asks: it turns a locked-out login into the lockout page
    "axes.middleware.AxesMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "kontor.urls"
WSGI_APPLICATION = "kontor.wsgi.application"

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
            ],
        },
    }
]

_default_db = f"sqlite:///{VAR_DIR / 'kontor.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend plus a file lock that queues writers (kontor.core.sqlite.base).
    DATABASES["default"]["ENGINE"] = "kontor.core.sqlite"
    # Persistent, like PostgreSQL's: a new SQLite connection per request ran its PRAGMAs and started
    # with a cold page cache — a quarter of an inquiry's time.
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while the conversion job writes; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue up instead of failing with "database is locked" mid-transaction.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # Tests run on a WAL file, as production does (in memory, SQLite has no WAL and no second
    # connection sees the data): a file per test process in /dev/shm (tmpfs) or the temp directory,
    # removed at the end of the run. KONTOR_TEST_SQLITE=PATH picks the file, ":memory:" runs in memory.
    _tmp = "/dev/shm" if os.access("/dev/shm", os.W_OK) else __import__("tempfile").gettempdir()
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("KONTOR_TEST_SQLITE")
                                    or os.path.join(_tmp, f"kontor-test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("TEST", {})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "web:login"

AUTHENTICATION_BACKENDS = [
    "kontor.core.throttle.LoginThrottleBackend",  # django-axes: refuses logins while locked out
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling (django-axes, counted in the database so every worker sees the same failures):
# after KONTOR_LOGIN_FAILURE_LIMIT failed logins from one address, or for one user name, further
# logins are refused (429) for KONTOR_LOGIN_LOCKOUT_SECONDS, doubled for each lockout that day.
AXES_ENABLED = _env_bool("KONTOR_LOGIN_THROTTLE", True)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("KONTOR_LOGIN_FAILURE_LIMIT", "10"))
AXES_LOCKOUT_PARAMETERS = [
    [part.strip() for part in item.split("+")]
    for item in _env_list("KONTOR_LOGIN_LOCKOUT_PARAMETERS", "ip_address,username")
]
KONTOR_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("KONTOR_LOGIN_LOCKOUT_SECONDS", "300"))
KONTOR_LOGIN_LOCKOUT_MAX_SECONDS = int(os.environ.get("KONTOR_LOGIN_LOCKOUT_MAX_SECONDS", str(24 * 3600)))
AXES_COOLOFF_TIME = "kontor.core.throttle.login_cooloff"
AXES_LOCKOUT_CALLABLE = "kontor.core.throttle.login_locked_response"
AXES_CLIENT_IP_CALLABLE = "kontor.core.throttle.client_ip"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the backoff counts earlier lockouts from this log
AXES_SENSITIVE_PARAMETERS = ["username", "password"]

# Rate limits, N/SECONDS (empty or "off": none), counted in the database across workers:
#: submissions of one public web form from one address, and of one form from everywhere
KONTOR_WEBFORM_RATE_PER_IP = os.environ.get("KONTOR_WEBFORM_RATE_PER_IP", "10/3600")
KONTOR_WEBFORM_RATE_PER_FORM = os.environ.get("KONTOR_WEBFORM_RATE_PER_FORM", "500/3600")
#: native API requests per user (token or session); off by default
KONTOR_API_RATE = os.environ.get("KONTOR_API_RATE", "")
#: Bitrix24-facade requests per webhook (a batch is one); over it: 503 QUERY_LIMIT_EXCEEDED; off by default
KONTOR_BITRIX_RATE = os.environ.get("KONTOR_BITRIX_RATE", "")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("KONTOR_LANGUAGE", "de")
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("KONTOR_TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [p for p in [BASE_DIR / "web" / "build"] if p.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("KONTOR_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- mail (README "Notifications") -----------------------------------------------------------------


def _email_settings(url: str) -> dict[str, object]:
    """Django's mail settings from ``KONTOR_EMAIL_URL``: ``smtp://user:pass@host:587?tls=true``
    (``ssl=true`` or ``smtps://`` for implicit TLS, ``timeout=`` seconds), ``console://``; unset: each
    mail is written to the log (``kontor.notifications.mail.LogBackend``)."""
    from urllib.parse import parse_qs, unquote, urlsplit

    if not url.strip():
        return {"EMAIL_BACKEND": "kontor.notifications.mail.LogBackend"}
    parts = urlsplit(url.strip())
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme not in ("smtp", "smtps", "submission"):
        raise ValueError(f"KONTOR_EMAIL_URL: unknown scheme {parts.scheme!r} (smtp://, smtps:// or console://)")
    query = {k: v[-1].strip().lower() for k, v in parse_qs(parts.query).items()}
    ssl = parts.scheme == "smtps" or query.get("ssl") in {"1", "true", "yes", "on"}
    tls = not ssl and query.get("tls") in {"1", "true", "yes", "on"}
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if ssl else 587 if tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": tls,
        "EMAIL_USE_SSL": ssl,
        "EMAIL_TIMEOUT": float(query.get("timeout", "20")),
    }


globals().update(_email_settings(os.environ.get("KONTOR_EMAIL_URL", "")))
DEFAULT_FROM_EMAIL = os.environ.get("KONTOR_EMAIL_FROM", "kontor@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
#: Links in notification e-mails start with this (e.g. https://crm.example.de); none when unset.
KONTOR_BASE_URL = os.environ.get("KONTOR_BASE_URL", "")
#: An open activity is "due soon" this many minutes before its deadline (its reminder goes out then).
KONTOR_REMINDER_MINUTES = float(os.environ.get("KONTOR_REMINDER_MINUTES", "15"))
#: Overdue activities are reminded of up to this many days after their deadline (older ones are history).
KONTOR_REMINDER_OVERDUE_DAYS = float(os.environ.get("KONTOR_REMINDER_OVERDUE_DAYS", "7"))
#: How often the worker sends waiting notification e-mails and due reminders (seconds).
KONTOR_NOTIFICATION_SWEEP_SECONDS = float(os.environ.get("KONTOR_NOTIFICATION_SWEEP_SECONDS", "15"))

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; keep default access
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and style sheets only from Kontor's own static files,
# no inline scripts or event handlers. Inline style *attributes* stay allowed: the pipeline stages'
# colours are set as a CSS variable on each column (validated as #rrggbb when saved). The public web
# forms replace frame-ancestors so other sites can embed them (kontor.web.views.webforms).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every record is masked when it is made (kontor.core.logmask.install); the filter also covers
    # records made before the apps were ready.
    "filters": {"mask_secrets": {"()": "kontor.core.logmask.MaskSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_secrets"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("KONTOR_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
