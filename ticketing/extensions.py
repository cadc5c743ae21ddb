"""Extension objects, created unbound at import and bound to the app in create_app()."""

import functools
import json
import re
import sqlite3

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

from ticketing import languages

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON columns without json.dumps's spaces after , and : (SQLite keeps the text as written;
# PostgreSQL's JSONB does not care): four bytes of every status event, one of every number in
# a rollup's duration list.
db = SQLAlchemy(
    metadata=MetaData(naming_convention=NAMING),
    engine_options={"json_serializer": functools.partial(json.dumps, separators=(",", ":"))},
)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# The client address (after ProxyFix, see TRUSTED_PROXIES) keys every limit; the numbers, the
# storage and what happens when Redis is down are in ticketing/limits.py.
limiter = Limiter(
    key_func=get_remote_address,
    strategy="fixed-window",  # one INCR per limit and request; the numbers allow for its edges
    headers_enabled=True,  # Retry-After (and X-RateLimit-*) on limited routes, 429s included
    swallow_errors=True,  # Redis down: no limit rather than a lost message (logged)
    key_prefix="fuatilia",
)


@event.listens_for(Engine, "connect")
def _sqlite_as_it_deserves(connection, _record) -> None:
    """The embedded default shares one SQLite file between web, workers and the scheduler: WAL
    lets readers go on while one writes, NORMAL sync is durable in WAL at a fraction of FULL's
    fsyncs, the busy timeout outlasts a burst of writers, and foreign keys are enforced as on
    PostgreSQL. (Migrations turn foreign keys off while they rebuild tables.)"""
    if not isinstance(connection, sqlite3.Connection):
        return
    cursor = connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "busy_timeout=30000",
        "foreign_keys=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def init_app(app) -> None:
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(app.config["MIGRATIONS_DIR"]), include_name=is_model_table
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    # Catalogues in ticketing/translations (`make translations`); the customer's pages speak
    # en or sw, staff pages English: ticketing/languages.py decides which.
    babel.init_app(app, default_locale=languages.DEFAULT, locale_selector=languages.select_locale)
    languages.init_app(app)


def is_model_table(name: str | None, type_: str, parent_names: dict) -> bool:
    """What autogenerate compares with the models: not the full-text search structures that
    migration 0006 makes by hand (SQLite's FTS5 tables messages_fts, messages_fts_data, ...;
    PostgreSQL's expression indexes ix_messages_body_search, ...)."""
    if type_ == "table":
        return not re.fullmatch(r"[a-z]+_fts(_[a-z]+)?", name or "")
    return not (type_ == "index" and re.fullmatch(r"ix_[a-z]+_[a-z]+_search", name or ""))
