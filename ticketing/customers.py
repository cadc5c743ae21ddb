"""The only writer of Customer rows: finding or creating a customer, and their SMS consent."""

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import Customer, Event


def set_sms_opt_out(customer: Customer, opted_out: bool, *, source: str) -> None:
    """STOP or START from the customer (or a provider's opt-out error): an event agents see."""
    if customer.sms_opted_out == opted_out:
        return
    customer.sms_opted_out = opted_out
    customer.sms_opted_out_at = hours.now() if opted_out else None
    db.session.add(Event(customer_id=customer.id, kind="sms_opt_out" if opted_out else "sms_opt_in",
                         data={"source": source}))
