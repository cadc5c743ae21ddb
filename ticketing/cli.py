"""`flask --app wsgi <command>`: administration from the shell."""

import click
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import select

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import Department, User
from ticketing.models.enums import Role


def init_app(app) -> None:
    for command in (
        init_db,
        seed_demo,
        create_user,
        create_token,
        replay_spool,
        run_all,
        follow_ups,
        poll_mail,
        rebuild_rollups,
    ):
        app.cli.add_command(command)


@click.command("poll-mail")
def poll_mail():
    """Fetch new mail from the IMAP mailbox once (IMAP_HOST, IMAP_USER, IMAP_FOLDER...)."""
    from workers import mail

    if not current_app.config["IMAP_HOST"]:
        raise click.ClickException("IMAP_HOST is not set: there is no mailbox to poll")
    try:
        counts = mail.poll_mail()
    except mail.MailboxUnavailable as error:
        raise click.ClickException(f"the mailbox is unavailable: {error}") from error
    click.echo(
        ", ".join(f"{count} {what}" for what, count in sorted(counts.items())) or "no new mail"
    )


@click.command("init-db")
def init_db():
    """Create or migrate the database to the newest schema."""
    upgrade(directory=str(current_app.config["MIGRATIONS_DIR"]))
    click.echo("database is at the newest schema")


@click.command("seed-demo")
@click.option("--tickets", default=300, show_default=True, help="how many extra tickets")
def seed_demo(tickets: int):
    """Fill an empty database with departments, staff and a few hundred tickets with history."""
    from ticketing import demo

    if db.session.scalar(select(Department.id).limit(1)) is not None:
        click.echo("already seeded: skipping")
        return
    logins = demo.seed(tickets)
    click.echo(f"seeded. Demo logins (password '{demo.PASSWORD}'):")
    for email, role in logins:
        click.echo(f"  {role:<11} {email}")


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default="agent")
@click.option("--department", "departments", multiple=True, help="department name (repeat)")
@click.password_option()
def create_user(email: str, name: str, role: str, departments: tuple[str, ...], password: str):
    """Add a member of staff."""
    if len(password) < 10:
        raise click.BadParameter("use 10 characters or more", param_hint="password")
    user = User(email=email.strip().lower(), name=name, role=Role(role))
    user.set_password(password)
    for department_name in departments:
        department = db.session.scalar(select(Department).where(Department.name == department_name))
        if department is None:
            raise click.BadParameter(f"no department '{department_name}'")
        user.departments.append(department)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {role} {user.email}")


@click.command("create-token")
@click.argument("email")
def create_token(email: str):
    """Print a new API token for a user (it replaces the old one and is not shown again)."""
    from ticketing import audit
    from ticketing.security import issue_token

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user {email}")
    replaced = user.api_token_hash is not None
    token = issue_token(user)
    audit.record(
        audit.AuditAction.TOKEN_CREATED,
        actor_label="cli",
        target=f"user:{user.id}",
        detail={"replaced": replaced},
    )
    db.session.commit()
    click.echo(token)


@click.command("replay-spool")
def replay_spool():
    """Move inbound payloads spooled during a database outage into the database."""
    from ticketing import spool

    total = 0
    while moved := spool.replay_some(100):
        total += moved
    click.echo(f"replayed {total} spooled payloads")


@click.command("run-all")
def run_all():
    """Start the embedded Redis (unless REDIS_URL), the web app, a worker and the scheduler."""
    from ticketing import devserver

    devserver.run_all()


@click.command("rebuild-rollups")
@click.option("--from", "first", default=None, help="first local day (YYYY-MM-DD)")
@click.option("--to", "last", default=None, help="last local day; default yesterday")
@click.option("--days", default=120, show_default=True, help="without --from: how many days")
def rebuild_rollups(first: str | None, last: str | None, days: int):
    """Build the report rollups again for a range of local days (after an upgrade or a
    TIMEZONE change); the dashboard counts unbuilt days live meanwhile."""
    from datetime import date, timedelta

    from ticketing.stats import rollup

    try:
        end = date.fromisoformat(last) if last else None
        start = date.fromisoformat(first) if first else None
    except ValueError as error:
        raise click.BadParameter(str(error)) from error
    end = end or rollup.local_date(hours.now(), rollup.timezone()) - timedelta(days=1)
    start = start or end - timedelta(days=days - 1)
    if start > end:
        raise click.BadParameter("--from is after --to")
    rows = rollup.rebuild(start, end)
    click.echo(f"rebuilt {(end - start).days + 1} days ({start} to {end}): {rows} rollup rows")


@click.group("follow-ups")
def follow_ups():
    """The follow-up scheduler."""


@follow_ups.command("run")
@click.option("--at", "at", default=None, help="ISO time (UTC) to run the pass at; default now")
def follow_ups_run(at: str | None):
    """Run one scheduler pass now, or as if it were --at: the follow-ups, then the sweep that
    releases the messages they hold."""
    from workers.followups import run_due_followups
    from workers.sweep import sweep_stuck

    if at:
        try:
            at = hours.parse_utc(at).isoformat()
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--at") from error
    result = run_due_followups(at)
    with hours.frozen(hours.parse_utc(at) if at else hours.now()):
        result["messages_released"] = sweep_stuck()["outbox"]
    click.echo(f"{at or hours.now()}: {result}")
