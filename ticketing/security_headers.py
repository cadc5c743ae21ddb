"""Security headers on every response, ours rather than Flask-Talisman's.

One after_request hook: the pages carry no inline script or style (tests/test_security_headers.py
greps the templates and checks a real browser), so one strict policy fits every page, public and
staff alike. Downloads (`Content-Disposition: attachment`) get a policy that lets nothing run.
A view that sets a header itself keeps its own value.
"""

from flask import Flask, Response, current_app

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
DOWNLOAD_POLICY = "default-src 'none'; sandbox"
HSTS = "max-age=31536000; includeSubDomains"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def init_app(app: Flask) -> None:
    app.after_request(secure)


def secure(response: Response) -> Response:
    headers = response.headers
    download = headers.get("Content-Disposition", "").lower().startswith("attachment")
    headers.setdefault(
        "Content-Security-Policy", DOWNLOAD_POLICY if download else CONTENT_SECURITY_POLICY
    )
    for name, value in HEADERS.items():
        headers.setdefault(name, value)
    if current_app.config["PUBLIC_BASE_URL"].startswith("https://"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
