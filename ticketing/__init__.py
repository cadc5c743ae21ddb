"""Fuatilia: a multichannel helpdesk that follows every ticket up until it is really closed."""

import logging
from pathlib import Path

import email_validator
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import INSTANCE, Config, instance_secret

PACKAGE = Path(__file__).resolve().parent


class ConfigurationError(RuntimeError):
    """Production settings that would lose messages or sessions; the message says which."""


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: load config, bind extensions, register blueprints and commands."""
    app = Flask(
        __name__,
        template_folder=str(PACKAGE.parent / "templates"),
        instance_path=str(INSTANCE),
        static_folder="static",
    )
    app.config.from_object(Config)
    app.config["MIGRATIONS_DIR"] = PACKAGE / "migrations"
    app.config.update(overrides or {})
    _finish_config(app)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin chatter hides ours

    from ticketing import (
        cli,
        edge,
        extensions,
        limits,
        security,
        security_headers,
        templating,
        uploads,
    )
    from ticketing.views import (
        admin,
        admin_audit,
        admin_channels,
        admin_lines,
        admin_policy,
        agent,
        agent_bulk,
        agent_canned,
        agent_customers,
        agent_new,
        agent_saved,
        agent_tags,
        agent_ticket,
        api,
        api_canned,
        api_reports,
        auth,
        dev,
        errors,
        public,
        reports,
        webhooks,
        webhooks_africastalking,
        webhooks_ussd,
        webhooks_voice,
    )

    app.request_class = uploads.UploadRequest  # a form with a too-big file comes back as typed
    extensions.init_app(app)
    limits.init_app(app)
    if app.config["TRUSTED_PROXIES"]:  # the client's address, not the proxy's (README)
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    security.init_app(app)
    security_headers.init_app(app)
    templating.init_app(app)
    # Nested blueprints share their parent's URL prefix, sign-in guard and error handlers.
    for parent, child in (
        (agent.bp, agent_ticket.bp),
        (agent.bp, agent_new.bp),
        (agent.bp, agent_tags.bp),
        (agent.bp, agent_bulk.bp),
        (agent.bp, agent_canned.bp),
        (agent.bp, agent_customers.bp),
        (agent.bp, agent_saved.bp),
        (admin.bp, admin_policy.bp),
        (admin.bp, admin_audit.bp),
        (admin.bp, admin_lines.bp),
        (admin.bp, admin_channels.bp),
        (webhooks.bp, webhooks_africastalking.bp),
        (webhooks.bp, webhooks_ussd.bp),
        (webhooks.bp, webhooks_voice.bp),
        (api.bp, api_reports.bp),
        (api.bp, api_canned.bp),
    ):
        if all(nested is not child for nested, _ in parent._blueprints):  # once per process
            parent.register_blueprint(child)
    for blueprint in (
        public.bp,
        webhooks.bp,
        auth.bp,
        agent.bp,
        reports.bp,
        admin.bp,
        api.bp,
        dev.bp,
    ):
        app.register_blueprint(blueprint)
    errors.init_app(app)
    edge.init_app(app)  # refuse unusable input first
    cli.init_app(app)
    return app


def _finish_config(app: Flask) -> None:
    config = app.config
    production = config["ENV"] == "production"
    if not config["SECRET_KEY"]:
        if production:
            raise ConfigurationError("SECRET_KEY must be set in production")
        config["SECRET_KEY"] = instance_secret()
    consoles = [name for name in ("SMS_BACKEND", "MAIL_BACKEND") if config[name] == "console"]
    if production and consoles and not config["ALLOW_CONSOLE_BACKENDS"]:
        raise ConfigurationError(
            f"{', '.join(consoles)} is 'console' in production: messages "
            "would not be sent (set ALLOW_CONSOLE_BACKENDS=1 to accept)"
        )
    # Outside production, accept addresses at the reserved .test domain (the demo's staff).
    email_validator.TEST_ENVIRONMENT = not production
    if config["PUBLIC_BASE_URL"].startswith("https://"):
        config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = True
