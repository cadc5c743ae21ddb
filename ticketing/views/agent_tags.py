"""Tags on the ticket page: add some, remove one; each change goes through lifecycle.tag."""

from flask import Blueprint
from flask_login import current_user

from ticketing import lifecycle, tags
from ticketing.forms import TagsForm
from ticketing.views import agent_live
from ticketing.views.agent_ticket import _changed_meanwhile, _done, _errors, _refuse

bp = Blueprint("tags", __name__)  # nested in agent.bp: its sign-in guard applies


@bp.post("/tickets/<int:ticket_id>/tags")
def change(ticket_id: int):
    ticket = agent_live.ticket_to_act_on(ticket_id)
    form = TagsForm()
    if not form.validate_on_submit():
        return _refuse(ticket, "The tags were not changed: " + _errors(form), tags_form=form)
    if conflict := _changed_meanwhile(ticket, "tags", tags_form=form):
        return conflict
    try:
        changed = lifecycle.tag(
            ticket,
            add=tags.parse(form.add.data or ""),
            remove=tags.parse(form.remove.data or ""),
            by=current_user,
        )
    except tags.TagError as error:
        return _refuse(ticket, f"The tags were not changed: {error}", tags_form=form)
    return _done(ticket, "Tags saved." if changed else "The tags were already so.")
