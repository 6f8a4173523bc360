"""Hostile sizes never freeze or break the app (issue 11): every page query parameter, every API parameter and
every Dash callback input gets each of these values in turn, the others staying valid:

- a 100 KB string ("1" * 100_000, "a1 -" * 25_000);
- 50,000 spaces, alone and between two digits (the run of spaces made the Explore year parser quadratic);
- a deeply nested JSON value (10,000 nested lists: as raw JSON in a callback body, as its text in a URL);
- a huge number (10**4000 as a raw JSON number in a callback body, "9" * 5000 as text).

Each answer must be a 4xx or a normal answer (200, Dash's 204) -- never a 500 -- within ``CPU_BUDGET_S`` of CPU in
this process, with no traceback in the body or the log, and must not echo more than ``ECHO_LIMIT`` characters of
the hostile value back. Request bodies over the size limit get 413; malformed Dash bodies get 400 with a short
JSON reason.

Each test checks one target (a page parameter, an API parameter, a callback input) against every hostile value
and reports every offending answer at once: ``target  value: status, CPU -- what is wrong``. A request that runs
past ``CPU_STOP_S`` is stopped (SIGPROF), so a quadratic parser costs one second here, not a minute.
"""

from __future__ import annotations

import gc
import json
import logging
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

import pytest
from dash._callback import GLOBAL_CALLBACK_LIST

import app as app_module
from api import ROUTES
from benchmarks.load import components
from layouts.queries import FIELDS as QUERIES_FIELDS
from tests.test_robustness import VALID_TEXT, callback_payload

CPU_BUDGET_S = 0.1  # CPU one hostile request may take
CPU_STOP_S = 1.0  # a request still running after this much CPU is stopped and reported
ECHO_LIMIT = 200  # characters of a hostile value an answer may repeat
DASH_UPDATE = "/_dash-update-component"

# ---------------------------------------------------------------------------------------------- hostile values
# As text: URL query values, API parameters and path segments, and (JSON strings) callback inputs.
HOSTILE_TEXT = {
    "100KB-digits": "1" * 100_000,
    "100KB-mixed": "a1 -" * 25_000,
    "50k-spaces": " " * 50_000,
    "1+50k-spaces+1": "1" + " " * 50_000 + "1",
    "nested-json-text": "[" * 10_000 + "]" * 10_000,
    "9*5000": "9" * 5000,
}
# As raw JSON (callback inputs only): values Python's json module cannot even write at this depth/size.
HOSTILE_JSON = {
    "nested-10k-lists": "[" * 10_000 + "]" * 10_000,
    "10**4000": "1" + "0" * 4000,
}
RAW = "\x00hostile-raw-json\x00"  # placeholder in a payload, replaced by the raw JSON text


def echo_probes(text: str) -> set[str]:
    """Substrings of ECHO_LIMIT + 1 characters of a hostile value (as given, or URL-encoded) that no answer may
    contain: every alignment of the periodic values above, and the middle of the padded one."""
    windows = {text[start:start + ECHO_LIMIT + 1] for start in (*range(4), len(text) // 2)}
    windows = {w for w in windows if len(w) > ECHO_LIMIT}
    return windows | {quote(w, safe="") for w in windows} | {quote_plus(w) for w in windows}


PROBES = {label: echo_probes(text) for label, text in {**HOSTILE_TEXT, **HOSTILE_JSON}.items()}

# ---------------------------------------------------------------------------------------------- targets
# The query parameters each page reads (layouts/*.py `state_from_query` / `initial_values`, via `layout(**query)`).
PAGE_PARAMS = {
    "/": ("platforms", "type", "years", "min_ratings"),
    "/queries": tuple(QUERIES_FIELDS),
    "/recommend": ("user", "title", "k", "order"),
}
PAGE_CASES = [(path, param) for path, params in PAGE_PARAMS.items() for param in params]
# The Location component whose `search` each page's URL-sync callback reads (the routing callback's, Dash
# pages' `_pages_location`, is driven page by page in test_page_query_parameters).
SEARCH_OWNER = {"explore-url": "/", "url": "/queries", "recommend-url": "/recommend"}

UNKNOWN_KEY = "<unknown key>"  # a hostile parameter *name* (the API names unknown parameters in its error)
API_CASES = [(route.name, param) for route in ROUTES for param in (*route.params, UNKNOWN_KEY)]

PAGES_CALLBACK = ".._pages_content.children..._pages_store.data.."  # Dash pages' routing callback (URL -> page)


def server_callbacks() -> list[dict]:
    """The server-side callbacks the app registers (as /_dash-dependencies lists them), read without building
    an app; `test_every_served_callback_is_covered` checks the list against what a built app serves."""
    registered = list(getattr(app_module, "_CALLBACKS", [[]])[0]) or list(GLOBAL_CALLBACK_LIST)
    found = [c for c in registered if c.get("clientside_function") is None]
    pages = {"output": PAGES_CALLBACK, "inputs": [{"id": "_pages_location", "property": "pathname"},
                                                   {"id": "_pages_location", "property": "search"}], "state": []}
    return [*found, pages]


def callback_name(output: str) -> str:
    """A readable name of a callback: its first output (and how many more), e.g. 'explore-alert.children+5'."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    first = parts[0].split("@")[0]
    return first + (f"+{len(parts) - 1}" if len(parts) > 1 else "")


CALLBACK_CASES = [(c["output"], f"{spec['id']}.{spec['property']}") for c in server_callbacks()
                  for spec in (*c["inputs"], *c.get("state", []))]


# ---------------------------------------------------------------------------------------------- measuring
class CPUStop(BaseException):
    """Raised in the request by SIGPROF after CPU_STOP_S of CPU (a BaseException: app code catching Exception
    does not swallow it)."""


@contextmanager
def cpu_stop(seconds: float):
    """Interrupt the code in this (main) thread after `seconds` of process CPU; the regex engine checks for
    signals as it runs, so a catastrophic pattern is stopped too."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def stop(signum, frame):
        raise CPUStop()

    previous = signal.signal(signal.SIGPROF, stop)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


class TracebackLog(logging.Handler):
    """Counts log records carrying a traceback (each is a way to flood the log with one request)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.where: list[str] = []

    def emit(self, record):
        if record.exc_info:
            self.where.append(f"{record.name}: {record.getMessage()[:80]}")


@dataclass
class Answer:
    status: int | None  # None: stopped after CPU_STOP_S
    cpu: float
    text: str = ""
    is_json: bool = False
    tracebacks: list[str] = field(default_factory=list)

    @property
    def stopped(self) -> bool:
        return self.status is None

    def summary(self) -> str:
        status = "stopped" if self.stopped else self.status
        cpu = f">{CPU_STOP_S:.1f}" if self.stopped else f"{self.cpu:.3f}"
        return f"{status}, {cpu} s CPU"


def send(client, method: str, url: str, **kwargs) -> Answer:
    """One request through the Flask test client, in this process: its status, body and the CPU it took. Over
    budget, it is sent once more and the cheaper run counts (a pause of the process is not the input's cost)."""
    answer = send_once(client, method, url, **kwargs)
    if not answer.stopped and answer.cpu > CPU_BUDGET_S:
        again = send_once(client, method, url, **kwargs)
        answer = again if again.cpu < answer.cpu else answer
    return answer


def send_once(client, method: str, url: str, **kwargs) -> Answer:
    """One request, timed with the cyclic garbage collector paused (its sweeps of the whole heap are no cost
    of the request's input)."""
    handler = TracebackLog()
    root = logging.getLogger()
    root.addHandler(handler)
    gc.disable()
    started = time.process_time()
    try:
        with cpu_stop(CPU_STOP_S):
            response = getattr(client, method)(url, **kwargs)
    except CPUStop:
        return Answer(None, time.process_time() - started, tracebacks=handler.where)
    finally:
        gc.enable()
        root.removeHandler(handler)
    cpu = time.process_time() - started
    return Answer(response.status_code, cpu, response.get_data(as_text=True), response.is_json, handler.where)


def problems(answer: Answer, allowed: set[int], probes: set[str] = frozenset(), json_only: bool = False,
             check_echo: bool = True) -> list[str]:
    """What is wrong with an answer to a hostile request (empty: nothing)."""
    if answer.stopped:
        return [f"still running after {CPU_STOP_S:.1f} s CPU (stopped)"]
    found = []
    if answer.status not in allowed:
        found.append(f"status {answer.status}")
    if answer.cpu > CPU_BUDGET_S:
        found.append(f"{answer.cpu:.3f} s CPU > {CPU_BUDGET_S} s")
    if "Traceback" in answer.text:
        found.append("traceback in the body")
    if json_only and not answer.is_json:
        found.append("not JSON")
    if check_echo and any(probe in answer.text for probe in probes):
        found.append(f"echoes > {ECHO_LIMIT} characters of the input ({len(answer.text):,} bytes answered)")
    if answer.tracebacks:
        found.append(f"traceback logged ({answer.tracebacks[0]})")
    return found


def report(offences: list[str], target: str) -> str:
    """The assertion message: every offending request of a target, one a line."""
    return f"{len(offences)} hostile request(s) to {target} failed:\n  " + "\n  ".join(offences)


def dash_post(client, body: str | bytes) -> Answer:
    """POST a raw body to Dash's callback endpoint."""
    return send(client, "post", DASH_UPDATE, data=body, content_type="application/json")


# ---------------------------------------------------------------------------------------------- the app
@dataclass
class Site:
    client: object
    dependencies: dict[str, dict]  # output -> the served /_dash-dependencies entry
    values: dict[str, dict[str, object]]  # page path -> valid value of every `id.property` on that page
    page_ids: dict[str, set[str]]  # page path -> ids of the components of the page's own content
    api_valid: dict[str, str]  # API parameter -> a valid value


@pytest.fixture(scope="module")
def site() -> Site:
    """The app over the demo data (its recommender fitted, so every panel answers), as a Flask test client."""
    from app import create_app
    from core.demo import ensure_demo_raw

    dash_app = create_app(ensure_demo_raw(), model="wait")
    client = dash_app.server.test_client()
    served = client.get("/_dash-dependencies").get_json()
    dependencies = {d["output"]: d for d in served}
    catalog = dash_app.server.extensions["streaming"]["catalog"]
    model = dash_app.server.extensions["streaming"]["model"].get()
    user, title = int(model.known_user_ids()[0]), str(catalog.titles["id"].iloc[0])

    # Valid values of every widget: the props of each page as the app renders it (pages' routing callback).
    frame = components(client.get("/_dash-layout").get_json())
    values, page_ids = {}, {}
    for path in PAGE_PARAMS:
        body = callback_payload(dependencies[PAGES_CALLBACK],
                                {"_pages_location.pathname": path, "_pages_location.search": ""})
        rendered = components(client.post(DASH_UPDATE, json=body).get_json())
        page_ids[path] = set(rendered)
        page_values = {}
        for component_id, component in {**frame, **rendered}.items():
            for prop, value in component["props"].items():
                page_values[f"{component_id}.{prop}"] = value
        values[path] = page_values
    for page_values in values.values():
        page_values.update({"theme-store.data": "light", "recommend-user.value": user,
                            "recommend-title.value": title, "recommend-k.value": 5})
    api_valid = {**VALID_TEXT, "user": str(user), "title": title, "id": title, "k": "5"}
    return Site(client, dependencies, values, page_ids, api_valid)


def callback_values(site: Site, dependency: dict) -> tuple[str, dict[str, object]]:
    """The page a callback belongs to and valid values of its inputs and state (a button clicked once)."""
    specs = (*dependency["inputs"], *dependency.get("state", []))
    keys = [f"{s['id']}.{s['property']}" for s in specs]
    path = max(PAGE_PARAMS, key=lambda p: sum(s["id"] in site.page_ids[p] for s in specs))  # ties: "/"
    values = {}
    for key in keys:
        prop = key.rsplit(".", 1)[1]
        values[key] = {"pathname": path, "search": "", "n_clicks": 1, "n_intervals": 0}.get(
            prop, site.values[path].get(key))
    return path, values


def callback_body(dependency: dict, values: dict[str, object], changed: str) -> str:
    """A /_dash-update-component body with `changed` as the triggering input (a state: the first input)."""
    body = callback_payload(dependency, values)
    inputs = [f"{s['id']}.{s['property']}" for s in dependency["inputs"]]
    body["changedPropIds"] = [changed if changed in inputs else inputs[0]]
    return json.dumps(body)


# ---------------------------------------------------------------------------------------------- pages
@pytest.mark.parametrize("path, param", PAGE_CASES, ids=[f"{path}?{param}" for path, param in PAGE_CASES])
def test_page_query_parameters(site, path, param):
    """GET the page with ?param=<hostile>, and render its content for that URL as the browser does (Dash pages'
    routing callback with the pathname and search)."""
    routing = site.dependencies[PAGES_CALLBACK]

    def render(search: str) -> Answer:
        values = {"_pages_location.pathname": path, "_pages_location.search": search}
        return dash_post(site.client, callback_body(routing, values, "_pages_location.search"))

    for _ in range(2):  # warm up (first-call caches), then check the normal answers
        normal_page, normal_render = send(site.client, "get", path), render("")
    offences = [f"normal {what}: {answer.summary()}" for what, answer in
                (("page", normal_page), ("render", normal_render)) if answer.status != 200]
    for label, text in HOSTILE_TEXT.items():
        search = f"?{param}={quote(text, safe='')}"
        # The index page reflects its URL in Dash's twitter:url meta tag (HTML-escaped): no echo check there.
        for what, answer, echo in (("GET", send(site.client, "get", path + search), False),
                                   ("render", render(search), True)):
            found = problems(answer, {200, 204, 400, 404, 413, 414, 431}, PROBES[label], check_echo=echo)
            if found:
                offences.append(f"{what} {path}?{param}=<{label}>: {answer.summary()} -- {'; '.join(found)}")
    assert not offences, report(offences, f"{path}?{param}")


# ---------------------------------------------------------------------------------------------- API
def api_requests(site: Site, route, param: str, text: str) -> list[tuple[str, dict]]:
    """(label, test-client kwargs) of each form of a route with `param` hostile and the others valid."""
    valid = {p: site.api_valid[p] for p in route.params}
    if param == UNKNOWN_KEY:
        return [(f"/api/{route.name}?<key>=1", {"path": f"/api/{route.name}",
                                                "query_string": [*valid.items(), (text, "1")]})]
    query = [(p, text if p == param else v) for p, v in valid.items()]
    forms = [(f"/api/{route.name}?{param}=", {"path": f"/api/{route.name}", "query_string": query})]
    if route.path and param in route.path:
        segments = [quote(text if p == param else valid[p], safe="") for p in route.path]
        forms.append((f"{route.path_rule} {param}=", {"path": "/" + "/".join([route.name, *segments])}))
    return forms


@pytest.mark.parametrize("name, param", API_CASES, ids=[f"{name}-{param}" for name, param in API_CASES])
def test_api_parameters(site, name, param):
    """Each parameter of a route hostile in turn (query form, and path form where it has one), the others valid;
    and a hostile unknown parameter name. JSON answers only."""
    route = next(r for r in ROUTES if r.name == name)
    allowed = {200, 400, 404, 413, 414, 431} | ({503} if name in ("recommend", "ready") else set())
    offences = []
    for _ in range(2):  # warm up, then check the example answers
        examples = [(path, send(site.client, "get", path)) for path in filter(None, (route.example,
                                                                                      route.path_example))]
    offences += [f"normal {path}: {a.summary()}" for path, a in examples if a.status not in allowed]
    for label, text in HOSTILE_TEXT.items():
        for form, kwargs in api_requests(site, route, param, text):
            answer = send(site.client, "get", kwargs.pop("path"), **kwargs)
            found = problems(answer, allowed, PROBES[label], json_only=True)
            if found:
                offences.append(f"{form}<{label}>: {answer.summary()} -- {'; '.join(found)}")
    assert not offences, report(offences, f"/api/{name} {param}")


# ---------------------------------------------------------------------------------------------- Dash callbacks
def hostile_inputs(key: str) -> list[tuple[str, object]]:
    """(label, value) of each hostile value of a callback input: JSON strings, raw JSON and, for a Location's
    search, a query string with each of its page's parameters hostile."""
    values = [(label, text) for label, text in HOSTILE_TEXT.items()]
    values += [(label, RAW) for label in HOSTILE_JSON]
    component_id, prop = key.rsplit(".", 1)
    if prop == "search" and component_id in SEARCH_OWNER:
        values += [(f"?{param}=<{label}>", f"?{param}={quote(text, safe='')}")
                   for param in PAGE_PARAMS[SEARCH_OWNER[component_id]] for label, text in HOSTILE_TEXT.items()]
    return values


@pytest.mark.parametrize("output, key", CALLBACK_CASES,
                         ids=[f"{callback_name(output)}<-{key}" for output, key in CALLBACK_CASES])
def test_callback_inputs(site, output, key):
    """Each input and state of a server-side callback hostile in turn (as the trigger), the others valid."""
    dependency = site.dependencies.get(output)
    assert dependency is not None, f"callback {callback_name(output)} is not served by /_dash-dependencies"
    path, values = callback_values(site, dependency)
    allowed = {200, 204, 400, 404, 413, 414, 431}
    for _ in range(2):  # warm up, then check the normal answer
        normal = dash_post(site.client, callback_body(dependency, values, key))
    offences = [] if normal.status in (200, 204) else [f"normal values: {normal.summary()} {normal.text[:200]}"]
    for label, value in hostile_inputs(key):
        body = callback_body(dependency, {**values, key: value}, key)
        if value == RAW:
            body = body.replace(json.dumps(RAW), HOSTILE_JSON[label])
        answer = dash_post(site.client, body)
        probes = set().union(*(PROBES[name] for name in PROBES if name in label))
        found = problems(answer, allowed, probes)
        if found:
            offences.append(f"{key}=<{label}>: {answer.summary()} -- {'; '.join(found)}")
    assert not offences, report(offences, f"callback {callback_name(output)} (page {path})")


def test_every_served_callback_is_covered(site):
    """The callbacks parametrised above (read at collection) are all the server-side ones the app serves."""
    covered = {output for output, _ in CALLBACK_CASES}
    served = {d["output"] for d in site.dependencies.values() if d.get("clientside_function") is None}
    assert served <= covered, f"callbacks not checked: {sorted(map(callback_name, served - covered))}"


# ---------------------------------------------------------------------------------------------- request bodies
def explore_body(site: Site, years: object) -> str:
    """A body of the Explore panel's main callback with the years slider set to `years`."""
    dependency = next(d for d in site.dependencies.values() if d["output"].startswith("..explore-alert."))
    _, values = callback_values(site, dependency)
    return callback_body(dependency, {**values, "explore-years.value": years}, "explore-years.value")


def test_request_size_limit(site):
    """Bodies over the limit (64 KB: the largest legitimate callback body is far below) are refused with 413
    before they are read."""
    normal = dash_post(site.client, explore_body(site, [2000, 2010]))
    offences = [] if normal.status == 200 else [f"normal body: {normal.summary()}"]
    for label, size in (("100 KB", 100_000), ("30 MB", 30_000_000)):
        body = explore_body(site, "1" * size)
        answer = dash_post(site.client, body)
        found = problems(answer, {413}, PROBES["100KB-digits"])
        if found:
            offences.append(f"POST {DASH_UPDATE} {label} body: {answer.summary()} -- {'; '.join(found)}")
    assert not offences, report(offences, f"POST {DASH_UPDATE} (size)")


def malformed_bodies(site: Site) -> dict[str, str | bytes]:
    """Bodies no Dash front end sends."""
    good = json.loads(explore_body(site, [2000, 2010]))

    def without(key):
        return json.dumps({k: v for k, v in good.items() if k != key})

    nested = "[" * 10_000 + "]" * 10_000
    return {
        "empty body": b"",
        "invalid JSON": b'{"output": "explore-alert.children", ',
        "not UTF-8": b'{"output": "\xff\xfe"}',
        "JSON array": b"[]",
        "JSON array of a good body": json.dumps([good]),
        "JSON null": b"null",
        "JSON string": b'"explore-alert.children"',
        "JSON number": b"1",
        "empty object": b"{}",
        "no output": without("output"),
        "no outputs": without("outputs"),
        "no inputs": without("inputs"),
        "unknown output id": json.dumps({**good, "output": "no-such-id.children",
                                         "outputs": {"id": "no-such-id", "property": "children"}}),
        "inputs not a list": json.dumps({**good, "inputs": "explore-years"}),
        "input without an id": json.dumps({**good, "inputs": [{"property": "value", "value": 1}]}),
        "outputs a number": json.dumps({**good, "outputs": 5}),
        "10k nested lists": nested,
        "10k nested lists as inputs": json.dumps({**good, "inputs": RAW}).replace(json.dumps(RAW), nested),
        "10k nested objects": '{"a":' * 10_000 + "1" + "}" * 10_000,
    }


def test_malformed_dash_bodies(site):
    """400 with a short JSON reason (and no traceback in the body or the log), never a 500."""
    dash_post(site.client, explore_body(site, [2000, 2010]))  # warm up
    offences = []
    for label, body in malformed_bodies(site).items():
        answer = dash_post(site.client, body)
        found = problems(answer, {400}, PROBES["nested-10k-lists"])
        if not answer.stopped and answer.status == 400 and not (answer.is_json and len(answer.text) <= 500):
            found.append(f"reason not short JSON: {answer.text[:100]!r}")
        if found:
            offences.append(f"{label}: {answer.summary()} -- {'; '.join(found)}")
    assert not offences, report(offences, f"POST {DASH_UPDATE} (malformed)")
