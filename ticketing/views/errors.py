"""Friendly error pages for people, JSON for the API."""

from flask import render_template, request
from werkzeug.exceptions import HTTPException

TITLES = {
    400: "That did not work",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    429: "Too many requests",
    500: "Something went wrong",
}
MESSAGES = {
    413: "The upload is larger than we accept. Please send a smaller file.",
    429: "You have done that too often. Please wait a little and try again.",
    404: "There is nothing at this address.",
    403: "Your account may not do this.",
    500: "We could not finish this. Nothing you sent is lost; please try again.",
}


def init_app(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith(("/api/", "/webhooks/")):
            return {
                "error": {
                    "code": error.name.lower().replace(" ", "_"),
                    "message": error.description,
                }
            }, error.code
        return _page(error.code, error.description), error.code

    @app.errorhandler(500)
    def server_error(error):
        return _page(500, None), 500


def _page(code: int, description: str | None) -> str:
    message = MESSAGES.get(code) or description or ""
    try:
        return render_template(
            "errors/error.html", code=code, title=TITLES.get(code, "Error"), message=message
        )
    except Exception:  # noqa: BLE001 - the database behind current_user may be what failed
        return f"<h1>{code} {TITLES.get(code, 'Error')}</h1><p>{message}</p>"
