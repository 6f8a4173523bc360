"""Hardening of the app's Flask server for the open internet: `harden(app)` once, after the Dash app is built.

- request bodies over MAX_BODY bytes get 413 (the largest real callback body is a few KB);
- malformed Dash callback requests get 400 with a short JSON reason and one log line, never a traceback;
- every response carries security headers, with a Content-Security-Policy Dash runs under: scripts only from this
  server plus the hashes of Dash's own inline scripts (`app.csp_hashes()`), no `unsafe-eval`, no framing;
- debug stays off whatever the environment says (FLASK_DEBUG, DASH_*): only `python app.py --debug` on a
  loopback host turns it on.
A short after_request hook rather than flask-talisman: Talisman's HTTPS redirect and cookie rules would need
switching off for a plain-HTTP app behind a proxy, and its CSP still needs Dash's hashes from here.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import flask
from dash import Dash
from dash.exceptions import UnsupportedRelativePath
from werkzeug.exceptions import RequestEntityTooLarge

MAX_BODY = 64 * 1024
MAX_DEPTH = 32  # nesting of a callback body: real ones reach 5 or 6
CALLBACK_PATH = "/_dash-update-component"
SERVER_NAME = "streaming-atlas"  # what the dev server says it is, instead of its and Python's versions
log = logging.getLogger(__name__)

# Styles: Plotly and Dash's components set inline styles and add <style> elements at run time, so style-src needs
# 'unsafe-inline' (CSS cannot run code). Images: Plotly's mode bar and exported charts use data: URLs.
CSP_BASE = {
    "default-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def harden(app: Dash) -> None:
    """Apply every rule of this module to a built Dash app's Flask server."""
    server = app.server
    server.config.update(MAX_CONTENT_LENGTH=MAX_BODY, DEBUG=False, PROPAGATE_EXCEPTIONS=False)
    server.debug = False
    csp: dict[str, str] = {}

    @server.after_request
    def add_security_headers(response: flask.Response) -> flask.Response:
        if not csp:  # Dash's inline scripts are known once it has set itself up (its first request)
            csp["value"] = content_security_policy(app.csp_hashes())
        if not server.debug:  # `python app.py --debug` (loopback only): Dash's dev tools load their own scripts
            response.headers["Content-Security-Policy"] = csp["value"]
        for name, value in HEADERS.items():
            response.headers[name] = value
        return response

    @server.errorhandler(RequestEntityTooLarge)
    def too_large(_exc: RequestEntityTooLarge):
        log.warning("request body over %d bytes refused: %s %s", MAX_BODY, flask.request.method, flask.request.path)
        return flask.jsonify(error=f"request too large: at most {MAX_BODY // 1024} KB"), 413

    guard_callbacks(app)


def quiet_dev_server() -> None:
    """The development server's Server header without Werkzeug's and Python's versions (gunicorn's names no
    version; set here rather than per response, where gunicorn would send a second Server header)."""
    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.version_string = lambda _handler: SERVER_NAME


def content_security_policy(script_hashes: list[str]) -> str:
    """The policy's text: CSP_BASE plus scripts from this server and Dash's inline scripts (by hash)."""
    directives = {**CSP_BASE, "script-src": " ".join(["'self'", *script_hashes])}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def guard_callbacks(app: Dash) -> None:
    """Check every Dash callback request before Dash reads it: a malformed one gets 400 and one log line."""
    server = app.server
    dispatch = server.view_functions[CALLBACK_PATH]

    def checked_dispatch():
        problem = callback_request_problem(flask.request.get_data(cache=True), app.callback_map)
        if problem is None:
            try:
                return dispatch()
            except (KeyError, IndexError, TypeError, AttributeError, ValueError, RecursionError,
                    UnsupportedRelativePath) as exc:
                # Our callbacks catch their own errors; what escapes comes from Dash reading a body that passed the
                # shape check but not its own (e.g. a pattern-matching id of the wrong form).
                problem = f"Dash could not read it ({type(exc).__name__})"
        log.warning("bad callback request from %s: %s", flask.request.remote_addr, problem)
        return flask.jsonify(error=f"malformed callback request: {problem}"), 400

    server.view_functions[CALLBACK_PATH] = checked_dispatch


def callback_request_problem(raw: bytes, callbacks: dict[str, Any]) -> str | None:
    """What is wrong with the body of a callback request (None: well-formed for a registered callback)."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser allows
        return "the body is not JSON"
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if nesting(body) > MAX_DEPTH:
        return f"values nested deeper than {MAX_DEPTH} levels"
    output = body.get("output")
    if not isinstance(output, str) or output not in callbacks:
        return "no such callback output"
    spec = callbacks[output]
    for key in ("inputs", "state"):
        items = body.get(key, [])
        if not isinstance(items, list) or len(items) != len(spec.get(key, [])):
            return f"'{key}' does not match the callback"
        if not all(_is_dependency(item) for item in items):
            return f"an item of '{key}' is not an id and a property"
    outputs = body.get("outputs")
    if not (_is_dependency(outputs) or isinstance(outputs, list) and all(_is_dependency(o) for o in outputs)):
        return "'outputs' is not a list of ids and properties"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(name, str) for name in changed):
        return "'changedPropIds' is not a list of names"
    return None


def _is_dependency(item: object, in_list: bool = False) -> bool:
    """{"id": ..., "property": ...} (a pattern-matching input may be one list of them)."""
    if isinstance(item, list) and not in_list:
        return all(_is_dependency(part, True) for part in item)
    return (isinstance(item, dict) and isinstance(item.get("property"), str)
            and isinstance(item.get("id"), (str, dict)))


def nesting(value: object) -> int:
    """How deeply lists and objects nest in a JSON value (iterative: no recursion limit to hit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest
