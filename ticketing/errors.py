"""The error every domain module raises for an action the record's state does not allow."""


class TransitionError(ValueError):
    """An action the ticket's state does not allow; the message says why, for people."""
