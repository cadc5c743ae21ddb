"""SMS through Africa's Talking: what its gateway posts to us (inbound messages, delivery
reports, opt-outs) and sending through its bulk SMS API."""

from flask import current_app

from ticketing import lines
from ticketing.channels import Inbound
from ticketing.contacts import normalise_phone
from ticketing.models.enums import Channel, Provider


def parse(form: dict) -> Inbound:
    """An inbound-message callback (`from`, `to`, `text`, `id`, `linkId`...) as one Inbound;
    raises InvalidContact on a bad `from`."""
    return Inbound(
        channel=Channel.SMS,
        sender=normalise_phone(form.get("from", ""), current_app.config["DEFAULT_PHONE_REGION"]),
        text=(form.get("text") or "").strip(),
        external_id=form.get("id") or "",
        line=lines.for_inbound(Provider.AFRICASTALKING, form.get("to", "")),
        link_id=form.get("linkId") or "",
    )
