"""deliver(outbox_id): the only caller of a channel's send(). At most one success per row.

Every status it records is written by ticketing/outbox.py; this job only decides when. A held
status update is rewritten from the ticket's state just before it goes (ticketing/updates.py
decides the words), or suppressed when there is nothing new to tell.

A row in doubt (an earlier attempt timed out after it may have reached the provider, or its
worker died) is looked up at the provider before anything is sent: found, it is recorded as
sent; not found, it goes; the provider unable to say, it waits, and is never sent blind.

A WhatsApp message refused for being outside the 24-hour window (by our own check before
anything goes, or by Twilio with 63016) is suppressed and its words owed by SMS instead
(outbox.fall_back_from_whatsapp; the rules are in ticketing/whatsapp.py).

An agent's reply refused here for good (or suppressed at send time) is no answer to the
customer: lifecycle.reply_refused moves the ticket's first response off it."""

from sqlalchemy.orm import joinedload

from ticketing import channels, lifecycle, outbox, updates, whatsapp
from ticketing.extensions import db
from ticketing.models import Customer, Outbox, Ticket
from ticketing.models.enums import Channel


def deliver(outbox_id: int) -> str:
    """Hand one owed message to its channel and record what the provider said."""
    claimed = outbox.claim(outbox_id)
    db.session.commit()  # every other worker sees the claim before we send
    if not claimed:
        return "not due or already handled"
    row = _load(outbox_id)
    if row.doubt_since is None or not _settled_by_asking(row):
        _hand_over(row)
    lifecycle.reply_refused(row)  # a refused reply is no answer (it does nothing otherwise)
    status = row.status.value  # read before the commit expires it
    db.session.commit()
    return status


def _load(outbox_id: int) -> Outbox:
    """The claimed row with what sending it reads in one query instead of four: its ticket
    (the link in the words), and the ticket's customer with their opt-outs (the STOP check;
    a row owed to someone else loads its own customer when asked)."""
    return db.session.get(
        Outbox,
        outbox_id,
        options=[
            joinedload(Outbox.ticket).joinedload(Ticket.customer).joinedload(Customer.opt_outs)
        ],
    )


def _settled_by_asking(row: Outbox) -> bool:
    """Ask the provider for an earlier attempt at `row`; True when that settles the attempt
    (found and recorded; the provider could not answer: try again later; or it can never
    answer: failed, for the agent to check with the customer, never sent twice)."""
    try:
        found = channels.sender_for(row).find_sent(row, row.doubt_since)
    except channels.PermanentFailure as error:  # the provider can never say (Africa's Talking)
        outbox.fail(row, f"earlier attempt unknown: {error}", error.code)
        return True
    except channels.TransientFailure as error:
        outbox.retry_later(row, f"earlier attempt unknown: {error}", error.code, in_doubt=True)
        return True
    sent = outbox.first_unowned(row, found)
    if sent is not None:
        outbox.record_sent(row, sent)
    return sent is not None


def _hand_over(row: Outbox) -> None:
    if outbox.is_opted_out(row):
        outbox.suppress(row, f"customer opted out of {_name(row)}")
    elif (nothing_new := updates.refresh_held_update(row)) is not None:
        outbox.suppress(row, nothing_new)
    else:
        if row.combines:
            db.session.commit()  # the words about to go, on record for a lookup after a crash
        _send(row)


def _send(row: Outbox) -> None:
    try:
        sent = channels.sender_for(row).send(row)
    except channels.PermanentFailure as error:
        if whatsapp.is_window_refusal(row, error.code):
            outbox.fall_back_from_whatsapp(row, error.code)
        else:
            outbox.fail(row, str(error), error.code, opted_out=error.opted_out)
    except channels.TransientFailure as error:
        outbox.retry_later(row, str(error), error.code, in_doubt=error.in_doubt)
    else:
        outbox.record_sent(row, sent)


def _name(row: Outbox) -> str:
    return "WhatsApp" if row.channel == Channel.WHATSAPP else "SMS"
