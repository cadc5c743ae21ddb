"""Jinja filters and globals shared by every page and message template."""

from flask import current_app

from ticketing import hours
from ticketing.channels import console_backends_on
from ticketing.channels.sms import segments


def localtime(moment, fmt: str = "%d %b %Y, %H:%M") -> str:
    if moment is None:
        return ""
    return hours.to_local(moment, current_app.config["TIMEZONE"]).strftime(fmt)


def isoformat(moment) -> str:
    return moment.isoformat(timespec="seconds") + "Z" if moment else ""


def init_app(app) -> None:
    app.jinja_env.filters.update(localtime=localtime, isoformat=isoformat)
    app.jinja_env.globals.update(sms_segments=segments, now=hours.now)

    @app.context_processor
    def dev_flags():
        return {"dev_links": console_backends_on()}
