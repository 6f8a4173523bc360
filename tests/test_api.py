"""JSON API: every route, its query-string form, bad input (400), nothing found (404), never HTML."""

from __future__ import annotations

import logging

import flask
import pytest

from api import ROUTES, register_api
from core.errors import DataError, NotReady
from core.recommender import verdict
from tests.core.test_queries import SMALL, make_catalog


@pytest.fixture(scope="module")
def small_catalog():
    return make_catalog(SMALL)


@pytest.fixture()
def client(small_catalog):
    server = flask.Flask(__name__)
    register_api(server, lambda: small_catalog)
    return server.test_client()


def get_json(client, url: str, status: int) -> dict:
    """GET a URL and check its status and that the answer is JSON."""
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)[:200]
    return response.get_json()


# ---------------------------------------------------------------------------------------------- answers
@pytest.mark.parametrize("url", ["/max_duration/2020/netflix/min", "/max_duration/2020/Netflix/minutes/",
                                 "/api/max_duration?year=2020&platform=netflix&duration_type=min",
                                 "/api/max_duration?year=2020&platform=netflix", "/api/max_duration/?year=2020"])
def test_max_duration(client, url):
    answer = get_json(client, url, 200)
    assert answer == {"id": "ns2", "title": "a movie", "platform": "netflix", "type": "movie", "release_year": 2020,
                      "duration_int": 120, "duration_type": "min", "score": 3.5, "n_ratings": 3}


def test_max_duration_query_form_takes_every_filter_as_optional(client):
    assert get_json(client, "/api/max_duration", 200)["id"] == "ns6"
    assert get_json(client, "/api/max_duration?duration_type=season", 200)["id"] == "ns5"
    assert get_json(client, "/api/max_duration?platform=netflix&duration_type=season&year=2020", 200)["id"] == "ns4"
    assert get_json(client, "/api/max_duration?platform=Disney%2B&year=2018", 200)["id"] == "ds2"


@pytest.mark.parametrize("url, count", [
    ("/score_count/netflix/3.5/2020", 1), ("/score_count/netflix/3.4/2020", 2),
    ("/api/score_count?platform=netflix&scored=3.5&year=2020", 1),
    ("/api/score_count?platform=netflix&scored=3.5&year=2020&content_type=all", 2),
    ("/api/score_count?platform=netflix&scored=0&year=1999", 0),
])
def test_score_count(client, url, count):
    answer = get_json(client, url, 200)
    assert answer["count"] == count and answer["platform"] == "netflix"


def test_score_count_echoes_the_parameters_as_understood(client):
    assert get_json(client, "/api/score_count?platform=Prime&scored=3&year=2020&content_type=movies", 200) == {
        "platform": "amazon", "scored": 3.0, "year": 2020, "content_type": "movie", "count": 2}


@pytest.mark.parametrize("url", ["/count_platform/netflix", "/count_platform/NETFLIX/",
                                 "/api/count_platform?platform=netflix"])
def test_count_platform(client, url):
    assert get_json(client, url, 200) == {"platform": "netflix", "movies": 5, "tv_shows": 2, "total": 7}


@pytest.mark.parametrize("url", ["/get_actor/amazon/2020", "/get_actor/Amazon%20Prime/2020",
                                 "/api/get_actor?platform=prime&year=2020"])
def test_get_actor(client, url):
    assert get_json(client, url, 200) == {"platform": "amazon", "year": 2020, "actor": "zoe", "count": 3}


def test_extra_routes(client):
    assert get_json(client, "/api/top_actors?platform=netflix&year=2020&n=2", 200) == {
        "platform": "netflix", "year": 2020, "actors": [{"actor": "ann", "count": 2}, {"actor": "bob", "count": 2}]}
    assert get_json(client, "/api/top_actors?platform=hulu&year=2020", 200)["actors"] == []
    titles = get_json(client, "/api/longest_titles?platform=netflix&n=2", 200)["titles"]
    assert [t["id"] for t in titles] == ["ns6", "ns3"]
    assert get_json(client, "/api/ranges", 200)["platforms"]["hulu"]["titles"] == 2
    # No recommender registered beside this catalogue: ready as far as it goes, and it says so.
    assert get_json(client, "/api/health", 200) == {"status": "ok", "data": "ready", "model": "none",
                                                    "source": "real", "data_from": "raw", "titles": 15}
    assert get_json(client, "/api/recommend?user=1&title=ns1", 503) == {"error": "this server has no recommender"}


@pytest.mark.parametrize("url", ["/api", "/api/"])
def test_index_lists_every_route(client, url):
    listed = {r["route"] for r in get_json(client, url, 200)["routes"]}
    assert listed == {f"/api/{route.name}" for route in ROUTES}


def test_every_documented_example_answers(client):
    for route in ROUTES:
        for example in filter(None, (route.example, route.path_example)):
            # 404: the small catalogue lacks it; 503: no recommender is registered beside it, or (a title's page)
            # the small catalogue has no ratings file to count a title's ratings from
            unavailable = route.tag in ("recommender", "titles")
            assert client.get(example).status_code in ((503,) if unavailable else (200, 404)), example
    assert get_json(client, "/api/title?id=zz1", 404)["error"].startswith("unknown title id 'zz1'")
    assert get_json(client, "/api/title?id=ns1", 503) == {"error": "data not available; the server log has the details"}


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("url, message", [
    ("/max_duration/2020/hbo/min", "unknown platform 'hbo'; choose one of amazon, disney, hulu, netflix"),
    ("/max_duration/abc/netflix/min", "year must be a whole number, not 'abc'"),
    ("/max_duration/99999/netflix/min", "year 99999 is out of range"),
    ("/max_duration/2020.5/netflix/min", "year must be a whole number"),
    ("/max_duration/2020/netflix/hours", "unknown duration type 'hours'; choose min or season"),
    ("/max_duration/2020/netflix", "expected /max_duration/<year>/<platform>/<duration_type>"),
    ("/max_duration", "expected /max_duration/"), ("/max_duration/", "expected /max_duration/"),
    ("/max_duration//netflix/min", "year is empty"),
    ("/max_duration//2020/netflix/min", "expected /max_duration/"),  # not a redirect to the merged path
    ("/score_count/netflix/7/2020", "score 7 is out of range; give a number from 0 to 5"),
    ("/score_count/netflix/NaN/2020", "score must be a number, not 'NaN'"),
    ("/score_count/netflix/-1/2020", "score -1 is out of range"),
    ("/score_count/netflix/3.5/abc", "year must be a whole number"),
    ("/score_count/netflix/3.5", "expected /score_count/<platform>/<scored>/<year>"),
    ("/score_count/netflix/3.5/2020/movie", "expected /score_count/"),
    ("/count_platform/hbo", "unknown platform 'hbo'"), ("/count_platform/n%C3%A9tflix", "unknown platform 'nétflix'"),
    ("/count_platform/%F0%9F%8E%AC", "unknown platform '🎬'"), ("/count_platform/%20", "platform is empty"),
    ("/count_platform/", "expected /count_platform/<platform>"),
    ("/get_actor/netflix/abc", "year must be a whole number, not 'abc'"),
    ("/get_actor/netflix/99999", "year 99999 is out of range"), ("/get_actor//2020", "platform is empty"),
    ("/get_actor/netflix/%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%90", "year must be a whole number"),
    ("/get_actor/netflix", "expected /get_actor/<platform>/<year>"),
    ("/api/max_duration?year=", "year is empty"), ("/api/max_duration?platform=", "platform is empty"),
    ("/api/max_duration?year=abc", "year must be a whole number"),
    ("/api/max_duration?platfrom=netflix", "unknown parameter 'platfrom' for /api/max_duration"),
    ("/api/max_duration?year=2020&year=2021", "parameter 'year' is given more than once"),
    ("/api/score_count?platform=netflix&year=2020", "missing parameter 'scored'"),
    ("/api/score_count?platform=netflix&scored=nan&year=2020", "score must be a number"),
    ("/api/score_count?platform=netflix&scored=3&year=2020&content_type=podcast", "unknown content type 'podcast'"),
    ("/api/count_platform", "missing parameter 'platform'"), ("/api/count_platform?platform=hbo", "unknown platform"),
    ("/api/get_actor?platform=netflix", "missing parameter 'year'"),
    ("/api/get_actor?platform=netflix&year=1e3", "year must be a whole number"),
    ("/api/top_actors?platform=netflix&year=2020&n=0", "n must be a whole number from 1 to 1000"),
    ("/api/longest_titles?n=many", "n must be a whole number"), ("/api/ranges?x=1", "unknown parameter 'x'"),
])
def test_bad_input_is_a_400_with_a_message(client, url, message):
    assert get_json(client, url, 400)["error"].startswith(message)


# ---------------------------------------------------------------------------------------------- not found
@pytest.mark.parametrize("url, message", [
    ("/max_duration/1800/netflix/min", "no netflix title released in 1800 has a duration in minutes"),
    ("/api/max_duration?year=2021&duration_type=season", "no title released in 2021 has a duration in seasons"),
    ("/get_actor/hulu/2020", "no hulu title released in 2020 lists a cast"),
    ("/api/get_actor?platform=netflix&year=2019", "no netflix title released in 2019 lists a cast"),
    ("/api/nothing", "no API route /api/nothing"), ("/api//max_duration", "no API route"),
])
def test_nothing_found_is_a_404_with_a_message(client, url, message):
    assert get_json(client, url, 404)["error"].startswith(message)


def test_other_methods_are_a_json_405(client):
    for url in ("/get_actor/netflix/2020", "/api/max_duration", "/api/nothing"):
        response = client.post(url)
        assert response.status_code == 405 and response.get_json() == {
            "error": "method POST not allowed; the API answers GET"}


def test_unexpected_error_is_a_json_500_and_logged(caplog):
    def broken():
        raise RuntimeError("boom")

    server = flask.Flask(__name__)
    register_api(server, broken)
    with caplog.at_level(logging.ERROR, logger="api"):
        answer = get_json(server.test_client(), "/get_actor/netflix/2020", 500)
    assert answer == {"error": "internal error while answering this request; the server log has the details"}
    assert "boom" not in answer["error"] and any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)


def test_missing_data_is_a_json_503_that_names_no_server_path(caplog):
    def missing():
        raise DataError("/nowhere: data folder not found")

    server = flask.Flask(__name__)
    register_api(server, missing)
    with caplog.at_level(logging.ERROR, logger="api"):
        assert get_json(server.test_client(), "/api/health", 503) == {
            "error": "data not available; the server log has the details"}
    assert "/nowhere: data folder not found" in caplog.text  # the operator still gets the path


def test_error_pages_outside_the_api_are_left_alone(small_catalog):
    server = flask.Flask(__name__)
    register_api(server, lambda: small_catalog)
    response = server.test_client().get("/elsewhere")
    assert response.status_code == 404 and not response.is_json


def test_malformed_api_paths_win_over_a_dash_catch_all(small_catalog):
    import dash
    from dash import html

    app = dash.Dash(__name__)
    app.layout = html.Div("page")
    register_api(app.server, lambda: small_catalog)
    client = app.server.test_client()
    assert get_json(client, "/get_actor/netflix", 400)["error"].startswith("expected /get_actor/")
    assert get_json(client, "/count_platform/netflix", 200)["total"] == 7
    assert not client.get("/some/page").is_json  # the dashboard's own pages are untouched


def test_register_api_twice_keeps_one_blueprint(small_catalog):
    server = flask.Flask(__name__)
    register_api(server, lambda: small_catalog)
    register_api(server, lambda: make_catalog(SMALL[:3]))
    assert get_json(server.test_client(), "/count_platform/netflix", 200)["total"] == 3


# ---------------------------------------------------------------------------------------------- recommender routes
@pytest.fixture(scope="module")
def demo():
    """A test client of the app over the demo data with its model fitted, the model, a known user and a title."""
    from app import create_app
    from core.demo import ensure_demo_raw

    server = create_app(ensure_demo_raw(), model="wait").server
    model = server.extensions["streaming"]["model"].get()
    return server.test_client(), model, int(model.known_user_ids()[0]), "ns1"


def test_predict(demo):
    client, model, user, title = demo
    predicted = model.predict(user, title)
    assert get_json(client, f"/api/predict?user={user}&title={title}", 200) == {
        "user": user, "title": title, "known_user": True, "predicted_rating": round(predicted, 2),
        "verdict": verdict(predicted)}
    # Parsed as /api/recommend parses them: spaces and case in the title, spaces around the user id.
    assert get_json(client, f"/api/predict?user=%20{user}%20&title=%20{title.upper()}", 200)["title"] == title
    unknown = 2**31 - 1  # no such user in the demo data: the title's mean
    new_user = get_json(client, f"/api/predict?user={unknown}&title={title}", 200)
    assert new_user["known_user"] is False and new_user["predicted_rating"] == round(model.predict(unknown, title), 2)


def test_recommend_answers_the_prediction_too(demo):
    client, _, user, title = demo
    answer = get_json(client, f"/api/recommend?user={user}&title={title}&k=3", 200)
    assert len(answer.pop("recommendations")) == 3
    assert answer == get_json(client, f"/api/predict?user={user}&title={title}", 200)


def test_similar(demo):
    client, model, _, title = demo
    assert get_json(client, f"/api/similar?title={title}&k=3", 200) == {
        "title": title, "similar": model.similar_titles(title, 3)}
    assert len(get_json(client, f"/api/similar?title={title}", 200)["similar"]) == 10  # k defaults to 10
    assert len(get_json(client, f"/api/similar?title={title}&k=50", 200)["similar"]) == 50


@pytest.mark.parametrize("url, message", [
    ("/api/predict?title=ns1", "missing parameter 'user'; /api/predict needs user, title"),
    ("/api/predict?user=1", "missing parameter 'title'"),
    ("/api/predict?user=abc&title=ns1", "user id must be a whole number from 1 to 2147483647, not 'abc'"),
    ("/api/predict?user=0&title=ns1", "user id must be a whole number from 1"),
    ("/api/predict?user=2147483648&title=ns1", "user id must be a whole number from 1"),
    ("/api/predict?user=1.5&title=ns1", "user id must be a whole number from 1"),
    ("/api/predict?user=1&title=", "title id must be a non-empty string"),
    ("/api/predict?user=1&title=ns1&k=3", "unknown parameter 'k' for /api/predict; it takes user, title"),
    ("/api/predict?user=1&user=2&title=ns1", "parameter 'user' is given more than once"),
    ("/api/similar", "missing parameter 'title'"), ("/api/similar?title=%20", "title id must be a non-empty string"),
    ("/api/similar?title=ns1&k=0", "k must be a whole number from 1 to 50, not 0"),
    ("/api/similar?title=ns1&k=51", "k must be a whole number from 1 to 50, not 51"),
    ("/api/similar?title=ns1&k=ten", "k must be a whole number from 1 to 50"),
    ("/api/similar?title=ns1&user=1", "unknown parameter 'user' for /api/similar; it takes title, k"),
    ("/api/recommend?user=1&title=ns1&k=51", "k must be a whole number from 1 to 50"),
])
def test_recommender_routes_bad_input_is_a_400(demo, url, message):
    assert get_json(demo[0], url, 400)["error"].startswith(message)


@pytest.mark.parametrize("url", ["/api/predict?user=1&title=zz999", "/api/similar?title=zz999",
                                 "/api/recommend?user=1&title=zz999"])
def test_recommender_routes_unknown_title_is_a_404(demo, url):
    assert get_json(demo[0], url, 404) == {"error": "unknown title id 'zz999': no title of the catalogue has this id"}


class PreparingService:
    """A model service whose model is still being fitted."""

    progress = {"stage": "latent factors", "step": 5, "steps": 7, "fraction": 0.6}

    def get(self):
        raise NotReady("The recommender is being prepared; try again in a few seconds", self.progress)


@pytest.mark.parametrize("url", ["/api/predict?user=1&title=ns1", "/api/similar?title=ns1&k=3",
                                 "/api/recommend?user=1&title=ns1"])
def test_recommender_routes_are_a_503_while_the_model_is_prepared(small_catalog, url):
    server = flask.Flask(__name__)
    register_api(server, lambda: small_catalog, PreparingService)
    client = server.test_client()
    response = client.get(url)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json() == {"error": "The recommender is being prepared; try again in a few seconds",
                                   "progress": PreparingService.progress}
    # Bad input is still a 400 while the model is prepared: the parameters are checked first.
    assert get_json(client, url.replace("title=ns1", "title=ns1&k=0").replace("user=1", "user=x"), 400)
    bare = flask.Flask(__name__)
    register_api(bare, lambda: small_catalog)
    assert get_json(bare.test_client(), url, 503) == {"error": "this server has no recommender"}


# ---------------------------------------------------------------------------------------------- real data
@pytest.mark.real_data
def test_real_data_answers(real_catalog):
    server = flask.Flask(__name__)
    register_api(server, lambda: real_catalog)
    client = server.test_client()
    assert get_json(client, "/count_platform/netflix", 200) == {"platform": "netflix", "movies": 6131,
                                                                "tv_shows": 2676, "total": 8807}
    assert get_json(client, "/max_duration/2018/netflix/min", 200)["title"] == "black mirror: bandersnatch"
    assert get_json(client, "/score_count/netflix/3.5/2020", 200)["count"] == 164
    assert get_json(client, "/get_actor/netflix/2020", 200)["actor"] == "blossom chukwujekwu"
    assert get_json(client, "/get_actor/hulu/2020", 404)["error"] == "no hulu title released in 2020 lists a cast"
