"""Every setting, read once from the environment with a default. Nothing else reads os.environ."""

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = Path(os.environ.get("FUATILIA_INSTANCE", ROOT / "instance"))


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def instance_secret() -> str:
    """A secret generated once and kept under instance/, so sessions survive restarts."""
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    ENV = os.environ.get("FUATILIA_ENV", "development")  # "production" turns on the start-up checks
    ALLOW_CONSOLE_BACKENDS = env_flag("ALLOW_CONSOLE_BACKENDS", False)

    SECRET_KEY = os.environ.get("SECRET_KEY") or None  # filled from instance/ in development
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE / 'fuatilia.db'}"
    )
    REDIS_URL = os.environ.get("REDIS_URL", "")  # empty: the embedded Redis under instance/
    EMBEDDED_REDIS_SOCKET = str(INSTANCE / "redis.sock")
    SPOOL_DIR = os.environ.get("SPOOL_DIR", str(INSTANCE / "spool"))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    HOST = os.environ.get("HOST", "127.0.0.1")
    PORT = env_int("PORT", 5000)

    SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
    TWILIO_FROM = os.environ.get("TWILIO_FROM", "")
    TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "https://api.twilio.com")
    TWILIO_PREVIOUS_AUTH_TOKEN = os.environ.get("TWILIO_PREVIOUS_AUTH_TOKEN", "")  # rotation
    TWILIO_WEBHOOK_SHARED_KEYS = os.environ.get("TWILIO_WEBHOOK_SHARED_KEYS", "")  # comma list
    TWILIO_TIMEOUT = env_int("TWILIO_TIMEOUT", 15)  # seconds per REST call
    SMS_PER_SECOND = env_int("SMS_PER_SECOND", 1)
    # WhatsApp through Twilio: our WhatsApp sender ("whatsapp:+254..."), and the approved
    # templates (Content SIDs) allowed outside the 24-hour window, as "kind=HX...,kind=HX...".
    TWILIO_WHATSAPP_FROM = os.environ.get("TWILIO_WHATSAPP_FROM", "")
    WHATSAPP_CONTENT_SIDS = os.environ.get("WHATSAPP_CONTENT_SIDS", "")
    MAX_MEDIA_BYTES = env_int("MAX_MEDIA_BYTES", 5 * 1024 * 1024)  # a WhatsApp/MMS photo we fetch
    # Africa's Talking (SMS_BACKEND=africastalking): username ("sandbox" for their sandbox),
    # API key, sender id or shortcode, REST base, and the secret every callback URL carries.
    AT_USERNAME = os.environ.get("AT_USERNAME", "")
    AT_API_KEY = os.environ.get("AT_API_KEY", "")
    AT_FROM = os.environ.get("AT_FROM", "")
    AT_API_BASE = os.environ.get("AT_API_BASE", "")  # empty: AT's live or sandbox host
    AT_WEBHOOK_SECRET = os.environ.get("AT_WEBHOOK_SECRET", "")
    AT_ALLOWED_NETWORKS = os.environ.get("AT_ALLOWED_NETWORKS", "")  # CIDR list; empty: any
    AT_TIMEOUT = env_int("AT_TIMEOUT", 15)  # seconds per REST call
    USSD_CODE = os.environ.get("USSD_CODE", "*384*123#")  # shown in messages and /dev/sms
    # Calls (Twilio Voice): the number customers call, and how long a desk phone rings
    # before the call counts as missed and becomes a call-back.
    VOICE_NUMBER = os.environ.get("VOICE_NUMBER", "")
    VOICE_RING_SECONDS = env_int("VOICE_RING_SECONDS", 25)
    # A send claim older than this belongs to a dead worker: another may take the row over
    # (after asking the provider whether the dead one's attempt got through). It must outlast
    # the longest live send, which RQ's job timeout (180 s by default) bounds.
    OUTBOX_CLAIM_SECONDS = env_int("OUTBOX_CLAIM_SECONDS", 300)
    # The scheduler's tick for the follow-up pass and the sweep, and how long an inbound or
    # outbox row stays pending before the sweep queues it again (a lost or killed job). Tests
    # with real processes set them to seconds; production keeps a minute.
    SCHEDULE_INTERVAL_SECONDS = env_int("SCHEDULE_INTERVAL_SECONDS", 60)
    SWEEP_GRACE_SECONDS = env_int("SWEEP_GRACE_SECONDS", 60)

    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = env_int("SMTP_PORT", 587)
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = env_flag("SMTP_STARTTLS", True)
    MAIL_FROM = os.environ.get("MAIL_FROM", "Fuatilia Support <support@fuatilia.test>")
    IMAP_HOST = os.environ.get("IMAP_HOST", "")
    IMAP_PORT = env_int("IMAP_PORT", 993)
    IMAP_USER = os.environ.get("IMAP_USER", "")
    IMAP_PASSWORD = os.environ.get("IMAP_PASSWORD", "")
    IMAP_FOLDER = os.environ.get("IMAP_FOLDER", "INBOX")
    IMAP_SSL = env_flag("IMAP_SSL", True)
    INBOUND_EMAIL_SECRET = os.environ.get("INBOUND_EMAIL_SECRET", "")
    MAIL_ALIASES = os.environ.get("MAIL_ALIASES", "")  # other addresses of ours, comma list

    DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "KE")
    TIMEZONE = os.environ.get("TIMEZONE", "Africa/Nairobi")
    HOLIDAY_COUNTRY = os.environ.get("HOLIDAY_COUNTRY", "KE")

    MAX_CONTENT_LENGTH = env_int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
    MAX_ATTACHMENT_BYTES = env_int("MAX_ATTACHMENT_BYTES", 5 * 1024 * 1024)
    MAX_MESSAGE_ATTACHMENT_BYTES = env_int("MAX_MESSAGE_ATTACHMENT_BYTES", 20 * 1024 * 1024)
    MAX_REPLY_FILES = env_int("MAX_REPLY_FILES", 5)  # files on one agent's email reply
    # a form with files is read this far, so a too-big file gets its form back (uploads.py)
    MAX_UPLOAD_READ_BYTES = env_int("MAX_UPLOAD_READ_BYTES", 64 * 1024 * 1024)
    MAX_EMAIL_BYTES = env_int("MAX_EMAIL_BYTES", 25 * 1024 * 1024)
    REOPEN_WINDOW_DAYS = env_int("REOPEN_WINDOW_DAYS", 14)
    AUTO_MESSAGES_PER_HOUR = env_int("AUTO_MESSAGES_PER_HOUR", 5)
    QUEUE_PAGE_SIZE = 50
    # the queue counts its tickets this far and then says "More than 1,000" (ticketing/search.py)
    QUEUE_COUNT_CAP = env_int("QUEUE_COUNT_CAP", 1000)
    LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)  # per email, before delays start
    LOGIN_MAX_DELAY_SECONDS = env_int("LOGIN_MAX_DELAY_SECONDS", 300)  # the delays' cap
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto: 0 trusts none (the
    # address is the socket's), 1 for one nginx or load balancer. Rate limits key on it.
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_PROTECTION = "strong"
