"""Hostile input never breaks the app: property-based fuzzing of every JSON route, every core query, and the
queries panel callbacks through ``/_dash-update-component``.

The contract checked here:
- a JSON route answers 200 with JSON, or 400/404 (405 for a wrong method) with ``{"error": "<message>"}`` --
  never a 500, never HTML, never a traceback;
- a core query returns a JSON-ready value or raises ``InvalidQuery`` / ``NotFound`` -- never any other
  exception (not even a bare ``ValueError``/``OverflowError``/``TypeError``);
- a Dash callback answers 200 (invalid input is an inline message), never a 500.

Hostile values tried: unicode (RTL override, zero-width, combining marks, emoji, Arabic-Indic and full-width
digits, NUL and control characters), huge and negative numbers (also past Python's 4300-digit int-to-str limit),
NaN, +-inf, -0.0, empty and blank strings, very long strings, SQL-, HTML-, path-traversal- and format-string-
looking text, invalid percent-escapes, bytes, lists, dicts, Decimal, Fraction, complex, numpy scalars, pd.NA.
"""

from __future__ import annotations

import decimal
import fractions
import json
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core import queries as q
from core.errors import InvalidQuery, NotFound

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
FEW = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

# ---------------------------------------------------------------------------------------------- hostile values
HOSTILE_TEXT = [
    "", " ", "\t\n", "0", "-1", "-2020", "2020", "2020.0", "2020.5", "1e3", "0x7e4", "+2020", "2020 ", " netflix ",
    "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "None", "null", "undefined", "true", "[]", "{}",
    "9" * 30, "9" * 5000, "-" + "9" * 400, "3." + "5" * 5000, "." + "0" * 400 + "1", "1" * 400, "1e400", "5e-324",
    "٢٠٢٠", "２０２０", "²⁰²⁰", "2020\x00", "netflix\x00", "\x00", "\x7f\x1b[31m", "\u202enetflix", "net\u200bflix",
    "netfli\u0301x", "NETFLİX", "ﬂix", "🎬" * 50, "𝐧𝐞𝐭𝐟𝐥𝐢𝐱", "a" * 20_000,
    "'; DROP TABLE titles;--", "1 OR 1=1", "\" OR \"\"=\"", "netflix' --", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "{{7*7}}", "${7*7}", "%s%s%s%n", "{0}", "../../etc/passwd", "..", ".",
    "/", "//", "\\", "?", "#", "&", "=", "%", "%00", "%ff", "a/b", "disney+", "Amazon Prime", "seasons", "movies",
]
SPECIAL_VALUES = [
    None, True, False, 0, -1, -0.0, 2020, 2020.0, 2020.5, 10**400, -(10**400), 10**5000, -(10**5000),
    float("nan"), float("inf"), -float("inf"), 1e308, 5e-324, b"netflix", bytearray(b"2020"), ["netflix"], ("2020",),
    {"platform": "netflix"}, {2020}, decimal.Decimal("NaN"), decimal.Decimal("sNaN"), decimal.Decimal("2020"),
    decimal.Decimal("1e400"), fractions.Fraction(4041, 2), fractions.Fraction(10**400, 1), complex(2020, 0),
    np.int64(2020), np.int8(-1), np.float64("nan"), np.float32(3.5), np.bool_(True), pd.NA, pd.NaT, object(),
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.integers().map(str),
    st.floats().map(repr),
    st.decimals(allow_nan=True).map(str),
)
hostile_value = st.one_of(
    hostile_text,
    st.sampled_from(SPECIAL_VALUES),
    st.integers(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(),
    st.decimals(allow_nan=True),
    st.fractions(),
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=3),
)


def short(value) -> str:
    """A value for a failure message, safe for ints past the int-to-str limit."""
    if isinstance(value, int) and value.bit_length() > 200:
        return f"<int of {value.bit_length()} bits>"
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


# ---------------------------------------------------------------------------------------------- core queries
VALID = {"year": 2020, "platform": "netflix", "duration_type": "min", "scored": 3.5, "content_type": "movie", "n": 5}
# Every public query, with the parameters it takes in order (after the catalogue).
QUERIES = {
    "get_max_duration": (q.get_max_duration, ("year", "platform", "duration_type")),
    "longest_titles": (q.longest_titles, ("year", "platform", "duration_type", "n")),
    "get_score_count": (q.get_score_count, ("platform", "scored", "year", "content_type")),
    "get_count_platform": (q.get_count_platform, ("platform",)),
    "top_actors": (q.top_actors, ("platform", "year", "n")),
    "get_actor": (q.get_actor, ("platform", "year")),
}
QUERY_ARGS = [(name, param) for name, (_, params) in QUERIES.items() for param in params]
PARSERS = [q.parse_platform, q.parse_optional_platform, q.parse_year, q.parse_optional_year, q.parse_score,
           q.parse_duration_type, q.parse_content_type, q.parse_count]


def call_query(catalog, name: str, **hostile):
    """Call a query with valid arguments except the hostile ones; only InvalidQuery/NotFound may escape."""
    function, params = QUERIES[name]
    kwargs = {p: hostile.get(p, VALID[p]) for p in params}
    try:
        result = function(catalog, **kwargs)
    except (InvalidQuery, NotFound) as exc:
        assert str(exc).strip(), f"{name}({kwargs}) raised {type(exc).__name__} without a message"
        return None
    json.dumps(result, allow_nan=False)  # plain, JSON-ready values: no NaN, numpy or pandas scalars
    return result


@pytest.mark.parametrize("name, param", QUERY_ARGS, ids=[f"{n}-{p}" for n, p in QUERY_ARGS])
@SETTINGS
@given(value=hostile_value)
@example(value=10**5000)
@example(value=10**400)
@example(value=-(10**400))
@example(value=fractions.Fraction(10**400, 1))
@example(value=float("nan"))
@example(value="9" * 5000)
def test_core_query_rejects_hostile_values_cleanly(demo_catalog, name, param, value):
    call_query(demo_catalog, name, **{param: value})


@SETTINGS
@given(values=st.fixed_dictionaries({p: hostile_value for p in VALID}))
def test_core_queries_with_every_argument_hostile(demo_catalog, values):
    for name, (_, params) in QUERIES.items():
        call_query(demo_catalog, name, **{p: values[p] for p in params})


@pytest.mark.parametrize("parse", PARSERS, ids=[p.__name__ for p in PARSERS])
@SETTINGS
@given(value=hostile_value)
@example(value=10**5000)
@example(value=10**400)
@example(value=fractions.Fraction(10**400, 1))
def test_parsers_raise_only_invalid_query(parse, value):
    try:
        parse(value)
    except InvalidQuery as exc:
        assert str(exc).strip()


def test_query_ranges_is_plain_json(demo_catalog):
    json.dumps(q.query_ranges(demo_catalog), allow_nan=False)


# ---------------------------------------------------------------------------------------------- JSON routes
@pytest.fixture(scope="module")
def client():
    """A test client of the whole app (API and Dash) over the default data: real data in CI, else the demo (its
    model prepared only when a request asks for it)."""
    from app import create_app

    return create_app(model="deferred").server.test_client()


def check_json_answer(response, path: str, allowed=(200, 400, 404)) -> dict:
    """The response is JSON with an allowed status; errors carry a non-empty message and no traceback."""
    where = f"GET {short(path)} -> {response.status_code}"
    assert response.status_code in allowed, f"{where}: {response.get_data(as_text=True)[:300]}"
    assert response.is_json, f"{where}: not JSON ({response.content_type})"
    body = response.get_json()
    assert isinstance(body, dict), where
    if response.status_code != 200:
        message = body.get("error")
        assert isinstance(message, str) and message.strip(), f"{where}: no error message in {body}"
        assert "Traceback" not in message and "internal error" not in message, where
    return body


def segment(value) -> str:
    """A path segment with every reserved character escaped."""
    return quote(str(value), safe="")


PATH_ROUTES = {"max_duration": ("year", "platform", "duration_type"), "score_count": ("platform", "scored", "year"),
               "count_platform": ("platform",), "get_actor": ("platform", "year")}
VALID_TEXT = {"year": "2020", "platform": "netflix", "duration_type": "min", "scored": "3.5",
              "content_type": "movie", "n": "5"}
QUERY_ROUTES = {"max_duration": ("year", "platform", "duration_type"),
                "score_count": ("platform", "scored", "year", "content_type"),
                "count_platform": ("platform",), "get_actor": ("platform", "year"),
                "top_actors": ("platform", "year", "n"), "longest_titles": ("year", "platform", "duration_type", "n"),
                "ranges": (), "health": ()}


ROUTE_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))


@ROUTE_SETTINGS
@given(data=st.data())
def test_path_routes_answer_json_4xx(client, data):
    name = data.draw(st.sampled_from(list(PATH_ROUTES)), label="route")
    values = [data.draw(st.one_of(st.just(VALID_TEXT[p]), hostile_text), label=p) for p in PATH_ROUTES[name]]
    path = "/" + "/".join([name, *map(segment, values)])
    check_json_answer(client.get(path, follow_redirects=True), path)


@ROUTE_SETTINGS
@given(name=st.sampled_from(list(PATH_ROUTES)),
       segments=st.lists(st.one_of(hostile_text.map(segment), st.sampled_from(["", "%ff", "%c0%af", "%2F", ".."])),
                         max_size=6))
def test_path_routes_with_wrong_segments(client, name, segments):
    path = "/" + "/".join([name, *segments])
    check_json_answer(client.get(path, follow_redirects=True), path)


def test_empty_path_segments_get_json_not_an_html_redirect(client):
    """`/max_duration//x/y/z` must not be answered by werkzeug's slash-merging 308 redirect page (HTML),
    not even when a segment holds a newline (%0A), which the API's catch-all `rest` converter does not match."""
    for path in ("/max_duration//2020/netflix/min", "/score_count//netflix/3.5/2020", "/get_actor//netflix/2020",
                 "/count_platform//netflix", "/max_duration//2020/netflix/%0A", "/count_platform//%0A",
                 "/score_count//netflix/3.5/%0A2020", "/get_actor//netflix/%0A"):
        check_json_answer(client.get(path), path, allowed=(200, 400, 404))


@ROUTE_SETTINGS
@given(data=st.data())
def test_query_routes_answer_json_4xx(client, data):
    name = data.draw(st.sampled_from(list(QUERY_ROUTES)), label="route")
    pairs = []
    for param in QUERY_ROUTES[name]:
        choice = data.draw(st.sampled_from(["valid", "hostile", "missing", "repeated"]), label=param)
        if choice == "missing":
            continue
        value = VALID_TEXT[param] if choice == "valid" else data.draw(hostile_text, label=param)
        pairs.append((param, value))
        if choice == "repeated":
            pairs.append((param, data.draw(hostile_text, label=param)))
    if data.draw(st.booleans(), label="unknown parameter"):
        pairs.append((data.draw(hostile_text, label="unknown key") or "x", data.draw(hostile_text, label="unknown")))
    response = client.get(f"/api/{name}", query_string=pairs, follow_redirects=True)
    check_json_answer(response, f"/api/{name}?{pairs}")


@SETTINGS
@given(name=st.one_of(hostile_text, st.sampled_from(list(QUERY_ROUTES))),
       suffix=st.sampled_from(["", "/", "//", "/x", "?platform=netflix", "%ff", "/../health"]))
def test_unknown_api_names(client, name, suffix):
    path = f"/api/{segment(name)}{suffix}"
    check_json_answer(client.get(path, follow_redirects=True), path)


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_wrong_method_is_json_405(client, method):
    for path in ("/api/count_platform?platform=netflix", "/count_platform/netflix", "/get_actor/netflix/2020"):
        check_json_answer(getattr(client, method)(path), path, allowed=(405,))


def test_valid_routes_still_answer(client):
    """The fuzzing above would pass on an app that always says 400: the examples of each route work."""
    from api import ROUTES

    for route in ROUTES:
        for path in filter(None, (route.example, route.path_example)):
            check_json_answer(client.get(path), path, allowed=(200, 404))


# ---------------------------------------------------------------------------------------------- Dash callbacks
def callback_payload(dependency: dict, values: dict[str, object]) -> dict:
    """A /_dash-update-component body for one callback of /_dash-dependencies, with the given input values."""
    output = dependency["output"]
    if output.startswith(".."):
        parts = output[2:-2].split("...")
        outputs = [dict(zip(("id", "property"), part.rsplit(".", 1))) for part in parts]
    else:
        outputs = dict(zip(("id", "property"), output.split("@")[0].rsplit(".", 1)))

    def items(specs):
        return [{**spec, "value": values.get(f"{spec['id']}.{spec['property']}")} for spec in specs]

    inputs = items(dependency["inputs"])
    return {"output": output, "outputs": outputs, "inputs": inputs, "state": items(dependency.get("state", [])),
            "changedPropIds": [f"{spec['id']}.{spec['property']}" for spec in dependency["inputs"]]}


@pytest.fixture(scope="module")
def query_callbacks(client) -> list[dict]:
    """The server-side callbacks of the queries panel whose outputs are the answers."""
    dependencies = client.get("/_dash-dependencies").get_json()
    found = [d for d in dependencies if d.get("clientside_function") is None and "-answer.children" in d["output"]
             and d["output"].startswith("..queries-")]
    assert found, "no queries-panel answer callback registered"
    return found


@pytest.fixture(scope="module")
def explore_callbacks(client) -> list[dict]:
    """The server-side callbacks of the explore panel (filter bar -> headlines, charts, table)."""
    dependencies = client.get("/_dash-dependencies").get_json()
    return [d for d in dependencies if d.get("clientside_function") is None and d["output"].startswith("..explore-")
            and d["inputs"] and d["inputs"][0]["property"] != "n_clicks"]


# What a browser can send as JSON: text, numbers (huge ones too), null, booleans, lists and objects.
json_value = st.one_of(hostile_text, st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
                       st.sampled_from([10**400, -(10**400), 1e308, -0.0, 2020, 2020.5, 3.5, "light", "dark"]),
                       st.floats(allow_nan=False, allow_infinity=False), st.lists(hostile_text, max_size=2),
                       st.dictionaries(hostile_text, hostile_text, max_size=2))


@FEW
@given(data=st.data())
def test_query_callbacks_never_fail(client, query_callbacks, data):
    dependency = data.draw(st.sampled_from(query_callbacks), label="callback")
    values = {}
    for spec in dependency["inputs"]:
        key = f"{spec['id']}.{spec['property']}"
        values[key] = data.draw(json_value, label=key)
    response = client.post("/_dash-update-component", json=callback_payload(dependency, values))
    # 204 is Dash's PreventUpdate; anything else but 200 means the callback broke on user input.
    assert response.status_code in (200, 204), f"{dependency['output']} {values}: {response.status_code}"




@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_explore_callbacks_never_fail(client, explore_callbacks, data):
    if not explore_callbacks:
        pytest.skip("no explore-panel callback registered")
    dependency = data.draw(st.sampled_from(explore_callbacks), label="callback")
    values = {f"{s['id']}.{s['property']}": data.draw(json_value, label=s["id"]) for s in dependency["inputs"]}
    response = client.post("/_dash-update-component", json=callback_payload(dependency, values))
    assert response.status_code in (200, 204), f"{dependency['output'][:60]} {values}: {response.status_code}"


# ---------------------------------------------------------------------------------------------- recommender
@pytest.fixture(scope="module")
def demo_model():
    """The recommender fitted on the generated demo data (seconds to fit; saved and reused afterwards)."""
    recommender = pytest.importorskip("core.recommender", reason="the recommender has not landed yet")
    from core.demo import ensure_demo_raw

    return recommender.load_recommender(ensure_demo_raw())


@pytest.fixture(scope="module")
def demo_ids(demo_model, demo_catalog) -> tuple[int, str]:
    """A user with ratings and a title id of the demo data."""
    return int(demo_model.known_user_ids()[0]), str(demo_catalog.titles["id"].iloc[0])


RECOMMENDER_CALLS = {
    "predict-user": lambda m, u, t, v: m.predict(v, t),
    "predict-title": lambda m, u, t, v: m.predict(u, v),
    "recommend-user": lambda m, u, t, v: m.recommend(v, t, 5),
    "recommend-title": lambda m, u, t, v: m.recommend(u, v, 5),
    "recommend-k": lambda m, u, t, v: m.recommend(u, t, v),
    "similar_titles-title": lambda m, u, t, v: m.similar_titles(v, 5),
    "similar_titles-k": lambda m, u, t, v: m.similar_titles(t, v),
    "user_profile-user": lambda m, u, t, v: m.user_profile(v),
}


@pytest.mark.parametrize("call", list(RECOMMENDER_CALLS))
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=hostile_value)
@example(value=10**5000)
@example(value=10**400)
@example(value=2**63)
@example(value=float("nan"))
@example(value=" ns1 ")
@example(value="9" * 5000)
@example(value="²")
def test_recommender_rejects_hostile_values_cleanly(demo_model, demo_ids, call, value):
    user, title = demo_ids
    try:
        result = RECOMMENDER_CALLS[call](demo_model, user, title, value)
    except (InvalidQuery, NotFound) as exc:
        assert str(exc).strip()
        return
    json.dumps(result, allow_nan=False)  # JSON-ready, as the panel and any API need it


@pytest.fixture(scope="module")
def demo_client(demo_model):
    """A test client of the app over the demo data (its recommender is the small demo model)."""
    from app import create_app
    from core.demo import ensure_demo_raw

    return create_app(ensure_demo_raw(), model="wait").server.test_client()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_recommend_callbacks_never_fail(demo_client, data):
    dependencies = [d for d in demo_client.get("/_dash-dependencies").get_json()
                    if d.get("clientside_function") is None and "recommend-" in d["output"] and d["inputs"]
                    and d["inputs"][0]["property"] != "n_clicks"]
    if not dependencies:
        pytest.skip("no recommend-panel callback registered")
    dependency = data.draw(st.sampled_from(dependencies), label="callback")
    specs = dependency["inputs"] + dependency.get("state", [])
    values = {f"{s['id']}.{s['property']}": data.draw(json_value, label=s["id"]) for s in specs}
    response = demo_client.post("/_dash-update-component", json=callback_payload(dependency, values))
    assert response.status_code in (200, 204), f"{dependency['output'][:60]} {values}: {response.status_code}"
    assert "Something went wrong" not in response.get_data(as_text=True), f"{dependency['output'][:60]} {values}"


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
@example(data=None)
def test_recommend_route_answers_json_4xx(demo_client, demo_ids, data):
    user, title = demo_ids
    if data is None:  # the valid request, once
        body = check_json_answer(demo_client.get(f"/api/recommend?user={user}&title={title}&k=3"), "valid")
        assert len(body["recommendations"]) == 3 and body["user"] == user
        return
    pairs = []
    for param, valid in (("user", str(user)), ("title", title), ("k", "3")):
        choice = data.draw(st.sampled_from(["valid", "hostile", "missing", "repeated"]), label=param)
        if choice != "missing":
            pairs.append((param, valid if choice == "valid" else data.draw(hostile_text, label=param)))
        if choice == "repeated":
            pairs.append((param, valid))
    response = demo_client.get("/api/recommend", query_string=pairs)
    body = check_json_answer(response, f"/api/recommend?{pairs}")
    if response.status_code == 200:
        assert 1 <= len(body["recommendations"]) <= 50 and 0.5 <= body["predicted_rating"] <= 5
