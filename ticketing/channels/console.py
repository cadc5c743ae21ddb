"""Development backend: "sends" by logging; /dev/outbox shows what was sent from the database."""

import logging

from ticketing.channels import Sent
from ticketing.models.enums import OutboxStatus

log = logging.getLogger("fuatilia.console")


def send(outbox) -> Sent:
    recipients = ", ".join([outbox.recipient, *(outbox.cc or [])])
    log.info(
        "[%s to %s] %s%s",
        outbox.channel.value.upper(),
        recipients,
        f"{outbox.subject} | " if outbox.subject else "",
        outbox.body,
    )
    return Sent(provider_id=f"console-{outbox.id}", status=OutboxStatus.DELIVERED)


def find_sent(outbox, since) -> tuple[Sent, ...]:
    """Nothing to ask: a log line cannot be looked up, so a doubtful row is "sent" again."""
    return ()
