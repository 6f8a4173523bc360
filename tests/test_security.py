"""Hardening for a public deployment (security.py and the rules it closes): headers and a CSP Dash runs under,
request limits, malformed Dash requests, debug only on loopback, no server paths, CSV formula injection.
The hostile-size sweep over every input is tests/test_hostile.py."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pandas as pd
import pytest

import security
from core.config import PROJECT_ROOT
from core.errors import InvalidQuery
from layouts.explore import parse_year_range
from layouts.page import data_badge
from layouts.tables import send_csv, without_formulas


@pytest.fixture(scope="module")
def app():
    from app import create_app
    from core.demo import ensure_demo_raw

    return create_app(ensure_demo_raw(), model="wait")


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def policy(response) -> dict[str, str]:
    """The Content-Security-Policy of a response as {directive: value}."""
    text = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in text.split(";"))


@pytest.mark.parametrize("path", ["/", "/queries", "/assets/style.css", "/_dash-layout", "/api/health",
                                  "/api/nothing", "/_dash-component-suites/nowhere.js"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    csp = policy(response)
    assert csp["default-src"] == "'self'" and csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert csp["script-src"].startswith("'self' 'sha256-")
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp["script-src"]


def test_csp_allows_exactly_the_inline_scripts_of_the_page(client):
    response = client.get("/")
    page = re.sub(r"<!--.*?-->", "", response.get_data(as_text=True), flags=re.S)  # IE's conditional comment
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", page, re.S)
    code = [body for attributes, body in inline if "application/json" not in attributes]
    assert code, "Dash's page has its renderer start-up script inline"
    allowed = policy(response)["script-src"].split()
    for body in code:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, body[:80]


def test_request_bodies_are_limited(client):
    response = client.post("/_dash-update-component", data=b"{" + b" " * security.MAX_BODY + b"}",
                           content_type="application/json")
    assert response.status_code == 413 and response.get_json() == {"error": "request too large: at most 64 KB"}


@pytest.mark.parametrize("body, reason", [
    (b"not json", "the body is not JSON"),
    (b"[" * 3000 + b"]" * 3000, "the body is not JSON"),  # deeper than the JSON parser goes
    (b"[1, 2]", "the body is not a JSON object"),
    (b"{}", "no such callback output"),
    (json.dumps({"output": "nowhere.children", "inputs": []}).encode(), "no such callback output"),
])
def test_malformed_callback_requests_are_a_400_with_a_reason_and_one_log_line(client, caplog, body, reason):
    with caplog.at_level("WARNING"):
        response = client.post("/_dash-update-component", data=body, content_type="application/json")
    assert response.status_code == 400 and response.get_json() == {"error": f"malformed callback request: {reason}"}
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is None  # one line, no traceback


def test_callback_shape_checks(app):
    callbacks = app.callback_map
    output = next(name for name in callbacks if "queries-count-answer" in name)
    spec = callbacks[output]
    good = {"output": output, "outputs": [{"id": "a", "property": "b"}], "changedPropIds": ["x.value"],
            "inputs": [{"id": item["id"], "property": item["property"], "value": None} for item in spec["inputs"]],
            "state": [{"id": item["id"], "property": item["property"]} for item in spec.get("state", [])]}
    check = security.callback_request_problem
    assert check(json.dumps(good).encode(), callbacks) is None
    assert check(json.dumps({**good, "inputs": []}).encode(), callbacks) == "'inputs' does not match the callback"
    broken = {**good, "inputs": [{"id": 3, "property": "value"}] * len(spec["inputs"])}
    assert check(json.dumps(broken).encode(), callbacks) == "an item of 'inputs' is not an id and a property"
    assert check(json.dumps({**good, "outputs": 5}).encode(), callbacks).startswith("'outputs'")
    assert check(json.dumps({**good, "changedPropIds": [1]}).encode(), callbacks).startswith("'changedPropIds'")
    deep = {**good, "inputs": [{**good["inputs"][0], "value": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}
    assert "nested deeper" in check(json.dumps(deep).encode(), callbacks)
    assert security.nesting({"a": [1, {"b": []}]}) == 4 and security.nesting(5) == 0


def test_debug_is_never_turned_on_by_the_environment(monkeypatch):
    from app import create_app
    from core.demo import ensure_demo_raw

    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setenv("DASH_DEBUG", "true")
    monkeypatch.setenv("DASH_MCP_ENABLED", "true")
    server = create_app(ensure_demo_raw(), model="deferred").server
    assert server.debug is False and server.config["PROPAGATE_EXCEPTIONS"] is False
    # Dash's MCP endpoint (DASH_MCP_ENABLED) stays off: /_mcp is only the pages catch-all, which takes no POST
    assert server.test_client().post("/_mcp", json={"jsonrpc": "2.0", "method": "initialize"}).status_code == 405


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("127.9.9.9", True), ("::1", True),
                                            ("[::1]", True), ("localhost", True), ("0.0.0.0", False),
                                            ("192.168.1.4", False), ("::", False), ("example.org", False)])
def test_loopback_hosts(host, loopback):
    from app import is_loopback

    assert is_loopback(host) is loopback


def test_debug_on_a_public_host_is_refused():
    done = subprocess.run([sys.executable, "app.py", "--debug", "--host", "0.0.0.0"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("error: --debug serves a debugger")
    assert "Traceback" not in done.stderr


def test_dev_server_names_no_versions(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=PROJECT_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as response:
                    headers = response.headers
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "dev server did not start"
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(30)
    assert headers["Server"] == security.SERVER_NAME
    assert "Content-Security-Policy" in headers


def test_real_data_badge_shows_a_label_not_the_server_path(demo_catalog):
    real = dataclasses.replace(demo_catalog, source="/srv/secret/raw")
    badge = data_badge(real)
    assert "/srv" not in json.dumps(badge.to_plotly_json(), default=str)
    assert badge.title.startswith("The four catalogues: 3,000 titles")


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    frame = pd.DataFrame({"title": ["=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "\tx", "plain", None],
                          "score": [-1.5, 2.0, 3.0, 4.0, 5.0, 0.5, 2.5]})
    sent = send_csv(frame, "t.csv")
    back = pd.read_csv(io.StringIO(sent["content"]), keep_default_na=False)
    assert back["title"].tolist() == ["'=cmd|' /C calc'!A0", "'+1+1", "'-2", "'@SUM(A1)", "'\tx", "plain", ""]
    assert back["score"].tolist() == frame["score"].tolist()  # numbers stay numbers, minus signs included
    assert without_formulas(pd.DataFrame({"t": ["\rx"]}))["t"].iloc[0] == "'\rx"
    assert frame["title"].iloc[0][0] == "="  # the caller's frame is left as it was


def test_year_range_parser_is_bounded_and_linear():
    assert parse_year_range(" 2000   to   2010 ", (1900, 2021)) == (2000, 2010)
    assert parse_year_range("2010 .. 2000", (1900, 2021)) == (2000, 2010)
    with pytest.raises(InvalidQuery, match="too long"):
        parse_year_range("1" + " " * 50_000 + "1", (1900, 2021))
    started = time.process_time()
    for _ in range(200):  # the worst input under the cap: a run of spaces between digits
        with pytest.raises(InvalidQuery):
            parse_year_range("1" + " " * 38 + "1", (1900, 2021))
    assert time.process_time() - started < 1.0  # generous: the old pattern took seconds for 16k spaces
