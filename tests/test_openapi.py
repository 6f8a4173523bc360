"""The OpenAPI document (valid, generated from the route table, every route, parameter, range and error) and the
interactive docs at /docs (served by the app itself: offline, under its Content-Security-Policy)."""

from __future__ import annotations

import re

import flask
import jsonschema
import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from api import INFO, K, ROUTES, YEAR, Route, api_index, register_api
from core.config import PLATFORMS
from openapi import DOCS_URL, INIT_SCRIPT, SPEC_URL, VENDOR_FILES, openapi_document
from tests.core.test_queries import SMALL, make_catalog

META_PATHS = {"/api", SPEC_URL, DOCS_URL}
CATCH_ALLS = ("streaming_api.query", "streaming_api.index_slash", "streaming_api.docs_asset",
              "streaming_api.usage_")  # /api/<name>, /api/, /docs/<file>, malformed original paths


@pytest.fixture(scope="module")
def server():
    server = flask.Flask(__name__)
    register_api(server, lambda: make_catalog(SMALL))
    return server


@pytest.fixture(scope="module")
def demo_app():
    """The app over the demo data, its model fitted."""
    from app import create_app
    from core.demo import ensure_demo_raw

    return create_app(ensure_demo_raw(), model="wait")


@pytest.fixture(scope="module")
def doc(server) -> dict:
    response = server.test_client().get(SPEC_URL)
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def operations(doc: dict) -> list[tuple[str, dict]]:
    """(path, GET operation) of every documented path."""
    return [(path, item["get"]) for path, item in doc["paths"].items()]


def rule_path(rule: str) -> str:
    """A Flask rule in OpenAPI's notation: /get_actor/<platform>/<year> -> /get_actor/{platform}/{year}."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


# ---------------------------------------------------------------------------------------------- the document
def test_document_is_valid_openapi_3(doc):
    validate(doc)
    assert doc["openapi"].startswith("3.0") and doc["info"] == INFO
    assert doc["info"]["title"] == "Streaming Atlas API" and doc["info"]["version"]


def test_every_route_in_both_forms(doc):
    expected = {f"/api/{route.name}" for route in ROUTES}
    expected |= {rule_path(route.path_rule) for route in ROUTES if route.path}
    assert set(doc["paths"]) == expected | META_PATHS
    assert {op["operationId"] for _, op in operations(doc) if "operationId" in op} == (
        {route.name for route in ROUTES} | {f"{route.name}_path" for route in ROUTES if route.path})


def test_every_registered_rule_is_documented(server, doc):
    rules = [rule for rule in server.url_map.iter_rules() if rule.endpoint.startswith("streaming_api.")]
    own_rules = {rule_path(rule.rule) for rule in rules if not rule.endpoint.startswith(CATCH_ALLS)}
    # The query forms are served by one rule, /api/<rest:name>, that looks the name up in ROUTES.
    assert "/api/<rest:name>" in {rule.rule for rule in rules}
    assert own_rules | {f"/api/{route.name}" for route in ROUTES} == set(doc["paths"])
    client = server.test_client()
    for route in ROUTES:
        answer = client.get(f"/api/{route.name}").get_json()
        assert not answer.get("error", "").startswith("no API route"), route.name


def test_every_parameter_with_its_kind(doc):
    for route in ROUTES:
        query = doc["paths"][f"/api/{route.name}"]["get"]["parameters"]
        assert [(p["name"], p["in"], p["required"]) for p in query] == (
            [(p.name, "query", True) for p in route.required] + [(p.name, "query", False) for p in route.optional])
        if route.path:
            segments = doc["paths"][rule_path(route.path_rule)]["get"]["parameters"]
            assert [(p["name"], p["in"], p["required"]) for p in segments] == [(n, "path", True) for n in route.path]
            assert all("default" not in p["schema"] for p in segments)
    for path, op in operations(doc):
        for param in op.get("parameters", []):
            assert param["description"] and param["schema"]["type"] in ("integer", "number", "string"), path
            jsonschema.validate(param["example"], param["schema"])  # the example is a valid value


@pytest.mark.parametrize("name, schema", [
    ("year", {"type": "integer", "minimum": 1800, "maximum": 2100}),
    ("platform", {"type": "string", "enum": list(PLATFORMS)}),
    ("scored", {"type": "number", "minimum": 0, "maximum": 5}),
    ("duration_type", {"type": "string", "enum": ["min", "season"], "default": "min"}),
    ("content_type", {"type": "string", "enum": ["movie", "tv show", "all"], "default": "movie"}),
    ("n", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10}),
    ("k", {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}),
    ("user", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}),
    ("title", {"type": "string", "minLength": 1}),
])
def test_parameter_ranges(doc, name, schema):
    found = [p for _, op in operations(doc) for p in op.get("parameters", []) if p["name"] == name and
             p["in"] == "query"]
    assert found and all(p["schema"] == schema for p in found)
    if name == "platform":
        assert "'amazon prime'" in found[0]["description"] and "'disney+'" in found[0]["description"]


def test_every_operation_documents_its_answer_and_the_errors(doc):
    for path, op in operations(doc):
        assert op["summary"] and op["tags"], path
        assert op["responses"]["405"] == {"$ref": "#/components/responses/MethodNotAllowed"}
        assert "schema" in next(iter(op["responses"]["200"]["content"].values())), path
        if path not in META_PATHS:
            assert {"200", "400", "404", "405", "503"} <= set(op["responses"]), path
            assert "Example: `GET " in op["description"]
    components = doc["components"]
    assert components["schemas"]["Error"]["required"] == ["error"]
    assert set(components["schemas"]["Unavailable"]["properties"]) == {"error", "progress"}
    assert "Retry-After" in components["responses"]["Unavailable"]["headers"]


def test_answers_match_their_documented_schema(doc, demo_app):
    """The 200 schemas come from the answers' return types: the real answers of the demo app fit them."""
    client = demo_app.server.test_client()
    checked = 0
    for route in ROUTES:
        for path, example in ((f"/api/{route.name}", route.example), (rule_path(route.path_rule), route.path_example)):
            if not example:
                continue
            response = client.get(example)
            status = str(response.status_code)
            assert status in doc["paths"][path]["get"]["responses"], example
            answer = doc["paths"][path]["get"]["responses"][status]
            answer = doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]] if "$ref" in answer else answer
            schema = {**answer["content"]["application/json"]["schema"], "components": doc["components"]}
            OAS30Validator(schema).validate(response.get_json())
            checked += status == "200"
    assert checked >= len(ROUTES)


def test_document_follows_the_table():
    """Generated, not kept by hand: a new route appears with its parameters."""
    def new_answer(year=None, k=None) -> dict:
        """A new query."""
        return {}

    extra = Route("new_query", new_answer, required=(YEAR,), optional=(K,), path=("year",), tag="queries")
    doc = openapi_document((*ROUTES, extra), INFO, {"queries": "q"}, api_index)
    validate(doc)
    assert [p["name"] for p in doc["paths"]["/api/new_query"]["get"]["parameters"]] == ["year", "k"]
    assert doc["paths"]["/new_query/{year}"]["get"]["summary"] == "A new query."


# ---------------------------------------------------------------------------------------------- the docs page
def test_docs_page_and_its_files_are_served_by_the_app(server):
    client = server.test_client()
    page = client.get(DOCS_URL)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    linked = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert linked and all(link.startswith(DOCS_URL + "/") for link in linked)  # nothing from another host
    for link in linked:
        response = client.get(link)
        assert response.status_code == 200 and len(response.data) > 0, link
    init = client.get(f"{DOCS_URL}/{INIT_SCRIPT}").get_data(as_text=True)
    for text in (html, init):
        assert not re.search(r"https?://|//[a-z]", text, re.IGNORECASE)  # no URL of another host
        assert "<script>" not in text  # no inline script: the CSP would refuse it
    assert f'url: "{SPEC_URL}"' in init and "validatorUrl: null" in init  # no call to an outside validator
    assert client.get(f"{DOCS_URL}/swagger-ui-bundle.js").mimetype == "text/javascript"
    assert client.get(f"{DOCS_URL}/swagger-ui.css").mimetype == "text/css"
    assert {f"{DOCS_URL}/swagger-ui-bundle.js", f"{DOCS_URL}/swagger-ui.css"} <= set(linked)
    assert set(VENDOR_FILES) >= {link.rsplit("/", 1)[1] for link in linked} - {INIT_SCRIPT}


@pytest.mark.parametrize("path", [f"{DOCS_URL}/index.html", f"{DOCS_URL}/oauth2-redirect.html",
                                  f"{DOCS_URL}/..%2Fapi.py", f"{DOCS_URL}/%2e%2e", f"{DOCS_URL}/" + "x" * 5000])
def test_docs_serve_only_their_own_files(server, path):
    response = server.test_client().get(path)
    assert response.status_code == 404 and response.is_json and len(response.get_json()["error"]) < 120


def test_docs_carry_the_apps_security_headers(demo_app):
    client = demo_app.server.test_client()
    for path in (DOCS_URL, f"{DOCS_URL}/{INIT_SCRIPT}", SPEC_URL):
        policy = client.get(path).headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-eval" not in policy


@pytest.mark.browser
def test_docs_run_in_a_browser_under_the_csp(dash_duo, demo_app, doc):
    """Swagger UI draws every operation with no console error (a CSP refusal would be one), and "Try it out"
    calls the API."""
    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + DOCS_URL)
    dash_duo.wait_for_element(".opblock-summary-path", timeout=15)
    paths = [e.text.replace("\u200b", "") for e in dash_duo.find_elements(".opblock-summary-path")]
    assert set(paths) == set(doc["paths"])
    block = dash_duo.find_element("#operations-recommender-similar")
    block.find_element("css selector", ".opblock-summary").click()
    dash_duo.wait_for_element("#operations-recommender-similar .try-out__btn").click()
    dash_duo.wait_for_element("#operations-recommender-similar .execute").click()
    dash_duo.wait_for_text_to_equal("#operations-recommender-similar .live-responses-table tbody .response-col_status",
                                    "200", timeout=10)
    assert dash_duo.get_logs() == []
