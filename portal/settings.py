"""Settings of the Support Case Portal, read from environment variables (see README, "Configuration").

Every value comes through the typed readers in ``portal.env`` so a bad value stops start-up with a message
naming the variable. Development defaults are only used when ``DEVELOPMENT`` is on.

Two switches, kept apart so that the portal can run locally exactly as a district sees it:

- ``DEVELOPMENT`` (a development machine): the development secret key, localhost, cookies over plain http,
  static files from the source tree, e-mail to the console. ``scripts/run`` and ``scripts/test`` turn it on.
- ``DEBUG`` (Django's debug mode): technical error pages with tracebacks and every URL pattern, and
  django-htmx's debug handler, which replaces the page with any 4xx/5xx answer. Off unless asked for, also
  under ``scripts/run``, so the demo shows the portal's own error pages and in-page form errors. It implies
  ``DEVELOPMENT``.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from portal.env import env_bool, env_email, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 - refused below unless DEVELOPMENT

DEBUG = env_bool("DEBUG", default=False)
DEVELOPMENT = env_bool("DEVELOPMENT", default=False) or DEBUG
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY if DEVELOPMENT else None)
if not DEVELOPMENT and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is the development key; set a real secret outside DEVELOPMENT.")
if not DEVELOPMENT and len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long outside DEVELOPMENT.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEVELOPMENT else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "portal.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django.contrib.postgres",
    "django_filters",
    "django_htmx",
    "axes",
    "contacts",
    "cases",
    "outbox",
    "notifications",
    "jobs",
    "surveys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "contacts.middleware.LastActivityMiddleware",
    # AxesMiddleware last: it turns a lockout raised during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "contacts.context_processors.districts",
            ],
        },
    }
]

FORM_RENDERER = "portal.forms.PortalFormRenderer"

# Database: DATABASE_URL is required (the project scripts start a local PostgreSQL and set it).
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://…).")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "portal",
        # A stalled Redis must cost a request a fraction of a second at most.
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    }
}

# Accounts
AUTH_USER_MODEL = "contacts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2  # a reset link is valid for two hours
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12, minimum=300)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Last activity is written at most this often per user (seconds); see contacts.middleware.
LAST_ACTIVITY_RESOLUTION = env_int("LAST_ACTIVITY_RESOLUTION", 300, minimum=0)

# Failed-login throttling (django-axes): lock the email address after AXES_FAILURE_LIMIT failures, for
# AXES_COOLOFF_TIME hours. Unknown addresses are locked the same way, so a lockout reveals nothing.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# Lockout is per email address, not per IP: a whole district often shares one NAT address, and locking it would
# lock out every contact of the district (docs/decisions.md).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Security headers
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEVELOPMENT)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if not DEVELOPMENT:
    # HTTP Strict Transport Security: off until the deployment sets it (a browser remembers it for that long).
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)

# Time: business time is America/Chicago (SPEC §7); everything is stored in UTC.
LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Chicago"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEVELOPMENT
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEVELOPMENT
WHITENOISE_AUTOREFRESH = DEVELOPMENT

# E-mail (Django 6.1 MAILERS). MAIL_BACKEND: smtp (default outside DEVELOPMENT), console, or file (one file
# per connection in MAIL_FILE_PATH: what the fault tests count across processes). A dotted path names a backend
# class that takes the file backend's options (the fault tests' slow one).
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Support Case Portal <support-portal@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_mail_backend = env_str("MAIL_BACKEND", "console" if DEVELOPMENT else "smtp")
if _mail_backend == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("SMTP_HOST", "localhost"),
                "port": env_int("SMTP_PORT", 25, minimum=1),
                "username": env_str("SMTP_USER", ""),
                "password": env_str("SMTP_PASSWORD", ""),
                "use_tls": env_bool("SMTP_STARTTLS", default=False),
                "timeout": 20,
            },
        }
    }
elif _mail_backend == "console":
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
elif _mail_backend == "file" or "." in _mail_backend:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend"
            if _mail_backend == "file"
            else _mail_backend,
            "OPTIONS": {"file_path": env_str("MAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))},
        }
    }
else:
    raise ImproperlyConfigured(
        f"MAIL_BACKEND={_mail_backend!r} is not one of smtp, console, file (or a backend's dotted path)."
    )

# Celery: broker is Redis; beat's schedule is code (portal/celery.py).
CELERY_BROKER_URL = REDIS_URL
CELERY_TIMEZONE = "America/Chicago"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
# Beat registers itself in Redis and warns when another beat runs (jobs/beat.py).
CELERY_BEAT_SCHEDULER = "jobs.beat:PresenceScheduler"

# Product settings (SPEC): shown where the spec says, nowhere else.
SUPPORT_PHONE = env_str("SUPPORT_PHONE", "1-800-555-0142")
# The 3x10 follow-up (SPEC §8): once per stay in Pending Customer Verification, a contact may ask for up to
# this many business days more before the automatic close (cases/services/followup.py).
FOLLOWUP_MORE_TIME_MAX_BUSINESS_DAYS = env_int("FOLLOWUP_MORE_TIME_MAX_BUSINESS_DAYS", 5, minimum=1)

# Support's own mailboxes (cases/services/notify.py). A new Critical case is e-mailed to the on-call address at
# once, day or night. A contact's post on a case nobody is assigned to (or whose advisor has left) goes to the
# queue address of the case's team. One variable per team, SUPPORT_QUEUE_ADDRESS_<TEAM CODE>; the keys are
# the codes of cases.casetypes.Team (a test keeps them in step); outages' team defaults to the on-call address.
SUPPORT_ONCALL_ADDRESS = env_email("SUPPORT_ONCALL_ADDRESS", "oncall@support.example.org")
SUPPORT_TEAM_QUEUE_ADDRESSES = {
    team: env_email(f"SUPPORT_QUEUE_ADDRESS_{team.upper()}", default)
    for team, default in {
        "campus_support": "campus-support@support.example.org",
        "campus_support_oncall": SUPPORT_ONCALL_ADDRESS,
        "training": "training@support.example.org",
        "managed_services": "managed-services@support.example.org",
        "process_consulting": "process-consulting@support.example.org",
        "technical_services": "technical-services@support.example.org",
        "development": "development@support.example.org",
    }.items()
}

# SLA watch (cases/slawatch.py): how long before a first-response target the assigned advisor (or the team's
# queue) is warned. In business minutes for every case but a Critical one, whose on-call hour is clock time.
SLA_WARNING_BUSINESS_MINUTES = env_int("SLA_WARNING_BUSINESS_MINUTES", 60, minimum=0)
SLA_WARNING_CRITICAL_MINUTES = env_int("SLA_WARNING_CRITICAL_MINUTES", 15, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Case page attachments (SPEC §4): the limits are enforced by the server while the upload is read
# (cases.attachments.AttachmentLimitHandler) and again before anything is stored. Files live outside every
# public URL and are served only by the authorized download view.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 15 * 1024 * 1024, minimum=1)
ATTACHMENT_MAX_PER_POST = env_int("ATTACHMENT_MAX_PER_POST", 10, minimum=1)
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "private")))
# Uploads above 2.5 MB go to a temporary file, not memory; form fields (a post's text) may total 5 MB.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# One file input per post plus the pasted images: Django's own count limit stays above ours, so ours speaks.
DATA_UPLOAD_MAX_NUMBER_FILES = 2 * ATTACHMENT_MAX_PER_POST + 5
