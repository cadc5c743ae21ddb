"""Admin: our lines (numbers and sender ids) and the department each belongs to."""

from flask import Blueprint

bp = Blueprint("lines", __name__, url_prefix="/lines")
