"""The demo seed: the stories' people and departments, and a few hundred tickets with a
present-day history.

History is played in time order on one simulated clock (hours.frozen): every action of a
person (a customer writing, an agent answering, promising, resolving) happens at its own past
moment, and before it, every scheduler pass that would have run meanwhile runs at the moment
its work fell due (follow-up steps, promise reminders and misses, breach digests, the daily
summaries), and every message owed goes when it would have gone (a held one at the end of
quiet hours), through the console backend so that nothing leaves the machine. So the seed ends
where real use would be now: no step overdue, nothing left to catch up, a few tickets in
breach, and the first real scheduler pass has next to nothing to do.

The package splits that by responsibility: people.py (departments and staff), stories.py
(Wanjiku's, Brian's and Amina's tickets), crowd.py (the random tickets and what befalls them),
history.py (the clock that plays it all) and offline.py (what keeps the seed to itself).
"""

import random

from ticketing import hours
from ticketing.demo.crowd import random_ticket
from ticketing.demo.history import History
from ticketing.demo.offline import offline
from ticketing.demo.people import PASSWORD, STAFF, make_departments, make_lines, make_staff
from ticketing.demo.stories import stories
from ticketing.extensions import db

__all__ = ["PASSWORD", "STAFF", "seed"]


def seed(extra_tickets: int) -> list[tuple[str, str]]:
    rng = random.Random(2026)
    with offline():
        departments = make_departments()
        make_lines(departments)
        staff = make_staff(departments)
        db.session.commit()
        history = History(hours.now())
        stories(history, staff)
        for number in range(extra_tickets):
            random_ticket(history, rng, number, staff)
        history.play()
    return [(email, role.value) for email, _, role, _ in STAFF]
