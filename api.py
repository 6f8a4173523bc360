"""JSON API of the catalogue queries and the recommender on the app's own Flask server: `register_api(app.server,
get_catalog, get_model_service)`.

Routes (GET): the original paths `/max_duration/<year>/<platform>/<duration_type>`, `/score_count/<platform>/<scored>/<year>`,
`/count_platform/<platform>`, `/get_actor/<platform>/<year>`; their query-string forms under `/api/...` with
every optional parameter; `/api/top_actors`, `/api/longest_titles`, `/api/recommend`, `/api/predict`,
`/api/similar`, `/api/title` (one title in full), `/api/ranges`, `/api/health` (liveness, with the model's state), `/api/ready` (readiness: 503 until
the model is ready), the index `/api`, the OpenAPI document `/api/openapi.json` (generated from `ROUTES`) and its
interactive docs at `/docs`.
Bad input -> 400, nothing found -> 404, data or model unavailable -> 503, each as `{"error": "..."}`; never HTML.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache
from typing import Any, Callable, TypedDict

import flask
from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from core import title_ratings
from core.catalog import Catalog
from core.config import PLATFORMS
from core.recommender import MAX_USER_ID, check_user_id, verdict
from core.text import quoted, shortened
from core.errors import DataError, InvalidQuery, NotFound, NotReady
from core.queries import (
    CONTENT_ALIASES,
    CONTENT_TYPES,
    DURATION_ALIASES,
    DURATION_TYPES,
    MAX_N,
    PLATFORM_ALIASES,
    SCORE_LIMITS,
    YEAR_LIMITS,
    ActorCount,
    LongestTitle,
    PlatformCount,
    QueryRanges,
    TopActor,
    get_actor,
    get_count_platform,
    get_max_duration,
    get_score_count,
    longest_titles,
    parse_content_type,
    parse_duration_type,
    parse_optional_platform,
    parse_count,
    parse_optional_year,
    parse_platform,
    parse_score,
    parse_year,
    query_ranges,
    top_actors,
)
from core.titles import MAX_ID, TitleDetails, find_title, title_details
from openapi import DOCS_URL, SPEC_URL, Param, docs_asset, docs_page, openapi_document

api = Blueprint("streaming_api", __name__)
EXTENSION = "streaming_api"
MAX_RECOMMENDATIONS = 50
DEFAULT_COUNT = "10"  # n and k when left out
API_VERSION = "1.2.0"  # 1.1: /api/predict, /api/similar, /api/openapi.json; 1.2: /api/title
RETRY_AFTER_S = 5  # what a 503 for a model being prepared tells clients to wait
log = logging.getLogger(__name__)


def register_api(server: flask.Flask, get_catalog: Callable[[], Catalog],
                 get_model_service: Callable[[], Any] | None = None) -> None:
    """Serve the API from `server`, answering from the catalogue `get_catalog()` returns at each request and
    the recommender service (`core.model_service.ModelService`) `get_model_service()` returns, if given."""
    server.extensions[EXTENSION] = (get_catalog, get_model_service)
    if api.name not in server.blueprints:
        server.register_blueprint(api)


def _catalog() -> Catalog:
    """The catalogue of the current app."""
    return current_app.extensions[EXTENSION][0]()


def _model_service():
    """The recommender service of the current app (None when the app serves no recommender)."""
    get_service = current_app.extensions[EXTENSION][1]
    return get_service() if get_service is not None else None


# ---------------------------------------------------------------------------------------------- answer shapes
class ScoreCount(TypedDict):
    """How many titles score strictly above a threshold, with the parameters as understood."""

    platform: str
    scored: float
    year: int
    content_type: str
    count: int


class TopActors(TypedDict):
    """The cast members in the most titles of a platform and release year, most titles first."""

    platform: str
    year: int
    actors: list[ActorCount]


class LongestTitles(TypedDict):
    """The longest titles matching the filters, longest first."""

    titles: list[LongestTitle]


class Prediction(TypedDict):
    """A user's predicted rating of a title (0.5-5) and what it means in words."""

    user: int
    title: str
    known_user: bool
    predicted_rating: float
    verdict: str


class Recommendations(Prediction):
    """The prediction and titles related to the chosen one that the user has not rated, each with a reason."""

    recommendations: list[dict[str, Any]]


class SimilarTitles(TypedDict):
    """The titles most similar in content to a title, most similar first, each with a reason."""

    title: str
    similar: list[dict[str, Any]]


# ---------------------------------------------------------------------------------------------- answers
def _where(platform: str | None, year: int | None) -> str:
    """'netflix title released in 2020' and the like, for not-found messages."""
    text = f"{platform} title" if platform else "title"
    return text + (f" released in {year}" if year is not None else "")


def max_duration_answer(year: Any = None, platform: Any = None, duration_type: Any = None) -> LongestTitle:
    """The longest title matching the optional filters (ties: the alphabetically first title); 404 when none."""
    year, platform = parse_optional_year(year), parse_optional_platform(platform)
    unit = parse_duration_type(duration_type)
    result = get_max_duration(_catalog(), year=year, platform=platform, duration_type=unit)
    if result is None:
        words = "minutes" if unit == "min" else "seasons"
        raise NotFound(f"no {_where(platform, year)} has a duration in {words}")
    return result


def longest_titles_answer(year: Any = None, platform: Any = None, duration_type: Any = None,
                          n: Any = DEFAULT_COUNT) -> LongestTitles:
    """The n longest titles matching the optional filters (an empty list when none)."""
    return {"titles": longest_titles(_catalog(), year=year, platform=platform, duration_type=duration_type, n=n)}


def score_count_answer(platform: Any = None, scored: Any = None, year: Any = None,
                       content_type: Any = None) -> ScoreCount:
    """How many titles of a platform and release year have a mean user score strictly above `scored`."""
    platform, threshold, year = parse_platform(platform), parse_score(scored), parse_year(year)
    kind = parse_content_type(content_type)
    count = get_score_count(_catalog(), platform, threshold, year, kind)
    return {"platform": platform, "scored": threshold, "year": year, "content_type": kind, "count": count}


def count_platform_answer(platform: Any = None) -> PlatformCount:
    """Movies, TV shows and all titles of a platform."""
    return get_count_platform(_catalog(), parse_platform(platform))


def actor_answer(platform: Any = None, year: Any = None) -> TopActor:
    """The cast member in the most titles of a platform and release year (ties: the first name); 404 when none."""
    platform, year = parse_platform(platform), parse_year(year)
    result = get_actor(_catalog(), platform, year)
    if result is None:
        raise NotFound(f"no {_where(platform, year)} lists a cast")
    return result


def top_actors_answer(platform: Any = None, year: Any = None, n: Any = DEFAULT_COUNT) -> TopActors:
    """The n cast members in the most titles of a platform and release year (an empty list when none)."""
    platform, year = parse_platform(platform), parse_year(year)
    return {"platform": platform, "year": year, "actors": top_actors(_catalog(), platform, year, n)}


def title_answer(id: Any = None) -> TitleDetails:  # noqa: A002 -- the query parameter's name
    """One title in full: metadata, canonical genres and facets, its ratings beside its platform's, its ranks there."""
    catalog = _catalog()
    key = find_title(catalog.titles, id)  # bad or unknown ids answer 400/404 before any data is read
    return title_details(catalog.titles, title_ratings.for_catalog(catalog), key)


def ranges_answer() -> QueryRanges:
    """Valid inputs (platforms, year and score limits, duration and content types) and each platform's data span."""
    return query_ranges(_catalog())


def health_answer() -> dict[str, Any]:
    """Liveness with readiness: "status" is "ok" once the data and the model are ready, "starting" while the
    model is prepared (its progress included), "degraded" when preparing it failed or a served build has no model
    and nowhere to fit one (the queries still work); "data_from" says whether a raw dir or a build's processed
    folder is served."""
    catalog, service = _catalog(), _model_service()
    model = {"model": "none"}
    if service is not None:
        service.ensure_started()
        model = service.status()
    status = {"ready": "ok", "failed": "degraded", "missing": "degraded", "none": "ok"}.get(model["model"],
                                                                                          "starting")
    return {"status": status, "data": "ready", **model, "source": "demo" if catalog.is_demo else "real",
            "data_from": catalog.origin, "titles": len(catalog.titles)}


def ready_answer() -> dict[str, Any]:
    """Readiness for an orchestrator: 200 once everything is ready, else 503 with the state and progress."""
    health = health_answer()
    if health["status"] != "ok":
        raise NotReady(f"not ready: the recommender model is {health['model']}", health.get("progress"))
    return health


_NO_USER = object()  # a route that takes no user


def _model_query(title: Any, k: Any = DEFAULT_COUNT, user: Any = _NO_USER) -> tuple[Any, str, int, int | None]:
    """The recommender with a request's title id, k (1-50) and user id (None for a route without one), each
    checked before the model is asked for: bad input is a 400 even while the model is prepared (503)."""
    count = parse_count(k, "k", MAX_RECOMMENDATIONS)
    user_id = None if user is _NO_USER else check_user_id(user)
    title_id = str(title or "").strip().lower()
    service = _model_service()
    if service is None:
        raise NotReady("this server has no recommender")
    return service.get(), title_id, count, user_id


def _prediction(model: Any, user_id: int, title_id: str) -> Prediction:
    """A user's predicted rating of a title, rounded, with its verdict (404 for an unknown title)."""
    predicted = float(model.predict(user_id, title_id))
    return {"user": user_id, "title": title_id, "known_user": bool(model.has_user(user_id)),
            "predicted_rating": round(predicted, 2), "verdict": verdict(predicted)}


def predict_answer(user: Any = None, title: Any = None) -> Prediction:
    """A user's predicted rating of a title with a verdict; a user without ratings gets the title's mean."""
    model, title_id, _, user_id = _model_query(title, user=user)
    return _prediction(model, user_id, title_id)


def recommend_answer(user: Any = None, title: Any = None, k: Any = DEFAULT_COUNT) -> Recommendations:
    """A user's predicted rating of a title and k titles related to it that the user has not rated."""
    model, title_id, count, user_id = _model_query(title, k, user)
    return {**_prediction(model, user_id, title_id), "recommendations": model.recommend(user_id, title_id, count)}


def similar_answer(title: Any = None, k: Any = DEFAULT_COUNT) -> SimilarTitles:
    """The k titles most similar in content to a title (genres, description, cast, director, ...)."""
    model, title_id, count, _ = _model_query(title, k)
    return {"title": title_id, "similar": model.similar_titles(title_id, count)}


# ---------------------------------------------------------------------------------------------- parameters
def _aliases(aliases: dict[str, str]) -> str:
    """The other accepted names of a parameter's choices, for its description."""
    return ", ".join(repr(name) for name, value in aliases.items() if name != value)


YEAR = Param("year", {"type": "integer", "minimum": YEAR_LIMITS[0], "maximum": YEAR_LIMITS[1]},
             f"Release year, a whole number from {YEAR_LIMITS[0]} to {YEAR_LIMITS[1]}.", 2020)
PLATFORM = Param("platform", {"type": "string", "enum": list(PLATFORMS)},
                 f"Platform, in any case; also {_aliases(PLATFORM_ALIASES)}.", "netflix")
SCORED = Param("scored", {"type": "number", "minimum": SCORE_LIMITS[0], "maximum": SCORE_LIMITS[1]},
               f"Mean user score from {SCORE_LIMITS[0]:g} to {SCORE_LIMITS[1]:g}: titles scoring strictly more count.",
               3.5)
DURATION_TYPE = Param("duration_type", {"type": "string", "enum": list(DURATION_TYPES), "default": "min"},
                      f"Duration unit: minutes (movies) or seasons (TV shows); also {_aliases(DURATION_ALIASES)}.",
                      "min")
CONTENT_TYPE = Param("content_type", {"type": "string", "enum": list(CONTENT_TYPES), "default": "movie"},
                     f"Which titles count; also {_aliases(CONTENT_ALIASES)}.", "movie")
N = Param("n", {"type": "integer", "minimum": 1, "maximum": MAX_N, "default": int(DEFAULT_COUNT)},
          f"How many rows, from 1 to {MAX_N}.", 5)
USER = Param("user", {"type": "integer", "minimum": 1, "maximum": MAX_USER_ID},
             "User id from the ratings; an id without ratings gets the title's mean rating.", 1)
TITLE = Param("title", {"type": "string", "minLength": 1},
              "Title id: the platform's letter and its show_id, e.g. ns1 (netflix) or as12 (amazon).", "ns1")
K = Param("k", {"type": "integer", "minimum": 1, "maximum": MAX_RECOMMENDATIONS, "default": int(DEFAULT_COUNT)},
          f"How many titles, from 1 to {MAX_RECOMMENDATIONS}.", 5)
TITLE_ID = Param("id", {"type": "string", "minLength": 1, "maxLength": MAX_ID},
                 "Title id: the platform's letter and its show_id, e.g. ns2544 (netflix) or as12 (amazon); any case.",
                 "ns1")


# ---------------------------------------------------------------------------------------------- routes
@dataclass(frozen=True)
class Route:
    """One query: its `/api/<name>` form, optional original path form, parameters, docs tag and examples."""

    name: str
    answer: Callable[..., Any]
    required: tuple[Param, ...] = ()
    optional: tuple[Param, ...] = ()
    path: tuple[str, ...] | None = None  # parameter names of the original path form's segments, if it has one
    example: str = ""
    path_example: str = ""
    tag: str = "queries"

    @property
    def params(self) -> tuple[str, ...]:
        """Every query-string parameter's name."""
        return tuple(p.name for p in (*self.required, *self.optional))

    @property
    def required_names(self) -> tuple[str, ...]:
        """The names of the parameters the query form needs."""
        return tuple(p.name for p in self.required)

    def spec(self, name: str) -> Param:
        """The parameter called `name`."""
        return next(p for p in (*self.required, *self.optional) if p.name == name)

    @property
    def path_rule(self) -> str:
        """The original path form, e.g. /get_actor/<platform>/<year>."""
        return "/" + "/".join([self.name, *(f"<{p}>" for p in self.path or ())])


ROUTES: tuple[Route, ...] = (
    Route("max_duration", max_duration_answer, optional=(YEAR, PLATFORM, DURATION_TYPE),
          path=("year", "platform", "duration_type"), example="/api/max_duration?platform=netflix&duration_type=season",
          path_example="/max_duration/2020/netflix/min"),
    Route("score_count", score_count_answer, required=(PLATFORM, SCORED, YEAR), optional=(CONTENT_TYPE,),
          path=("platform", "scored", "year"), example="/api/score_count?platform=netflix&scored=3.5&year=2020",
          path_example="/score_count/netflix/3.5/2020"),
    Route("count_platform", count_platform_answer, required=(PLATFORM,), path=("platform",),
          example="/api/count_platform?platform=disney%2B", path_example="/count_platform/disney+"),
    Route("get_actor", actor_answer, required=(PLATFORM, YEAR), path=("platform", "year"),
          example="/api/get_actor?platform=netflix&year=2020", path_example="/get_actor/netflix/2020"),
    Route("top_actors", top_actors_answer, required=(PLATFORM, YEAR), optional=(N,),
          example="/api/top_actors?platform=netflix&year=2020&n=5"),
    Route("longest_titles", longest_titles_answer, optional=(YEAR, PLATFORM, DURATION_TYPE, N),
          example="/api/longest_titles?platform=hulu&n=5"),
    Route("recommend", recommend_answer, required=(USER, TITLE), optional=(K,),
          example="/api/recommend?user=1&title=ns1&k=5", tag="recommender"),
    Route("predict", predict_answer, required=(USER, TITLE), example="/api/predict?user=1&title=ns1",
          tag="recommender"),
    Route("similar", similar_answer, required=(TITLE,), optional=(K,), example="/api/similar?title=ns1&k=5",
          tag="recommender"),
    Route("title", title_answer, required=(TITLE_ID,), example="/api/title?id=ns1", tag="titles"),
    Route("ranges", ranges_answer, example="/api/ranges", tag="service"),
    Route("health", health_answer, example="/api/health", tag="service"),
    Route("ready", ready_answer, example="/api/ready", tag="service"),
)
ROUTES_BY_NAME = {route.name: route for route in ROUTES}
PREFIXES = ("/api", DOCS_URL, *(f"/{route.name}" for route in ROUTES if route.path))
TAGS = {
    "queries": "The catalogue questions: the original path forms and their /api query forms.",
    "recommender": "Predicted ratings, recommendations and similar titles (503 while the model is prepared).",
    "titles": "One title in full, as its page in the app shows it (404 for an unknown id).",
    "service": "Valid inputs, liveness and readiness.",
    "meta": "This API's index, its OpenAPI document and these docs.",
}
INFO = {
    "title": "Streaming Atlas API",
    "version": API_VERSION,
    "description": "JSON answers of the Streaming Atlas dashboard's own server (GET only): the catalogue questions "
                   "over the Amazon Prime, Disney+, Hulu and Netflix catalogues, and the recommender. Errors are "
                   "JSON too: `{\"error\": \"...\"}` with 400 for bad input, 404 when nothing matches, 405 for "
                   "another method and 503 while the data or the model is not ready (with Retry-After).",
}


def _query_args(route: Route) -> dict[str, str]:
    """The query-string parameters of a request, checked against the route's (unknown, repeated, missing)."""
    args = request.args
    unknown = [key for key in args if key not in route.params]
    if unknown:
        takes = f"it takes {', '.join(route.params)}" if route.params else "it takes none"
        raise InvalidQuery(f"unknown parameter {quoted(unknown[0])} for /api/{route.name}; {takes}")
    repeated = [key for key in args if len(args.getlist(key)) > 1]
    if repeated:
        raise InvalidQuery(f"parameter {quoted(repeated[0])} is given more than once; give it once")
    needs = route.required_names
    missing = [key for key in needs if key not in args]
    if missing:
        raise InvalidQuery(f"missing parameter {missing[0]!r}; /api/{route.name} needs {', '.join(needs)}"
                           f" (example: {route.example})")
    return {key: args[key] for key in args}


def _usage(route: Route) -> str:
    """How to call a route's original path form."""
    return f"expected {route.path_rule}, e.g. {route.path_example} (or the query form {route.example})"


def api_query(name: str) -> flask.Response:
    """GET /api/<name>?...: a query from its query-string parameters."""
    route = ROUTES_BY_NAME.get(name.removesuffix("/"))
    if route is None:
        raise NotFound(f"no API route {shortened('/api/' + name, 80)}; the routes are listed at /api")
    return jsonify(route.answer(**_query_args(route)))


def path_query(name: str, rest: str = "", **segments: str) -> flask.Response:
    """GET /<name>/<segments>: the original path form; a malformed path gets its usage."""
    route = ROUTES_BY_NAME[name]
    if not segments:
        if not rest:
            raise InvalidQuery(_usage(route))
        parts = rest.split("/")
        if parts[-1] == "" and len(parts) > 1:  # one trailing slash is harmless
            parts.pop()
        if len(parts) != len(route.path or ()):
            raise InvalidQuery(_usage(route))
        segments = dict(zip(route.path or (), parts))
    return jsonify(route.answer(**segments))


def api_index() -> flask.Response:
    """GET /api: every route with its parameters and an example."""
    listing = [{"route": f"/api/{r.name}", "required": list(r.required_names),
                "optional": [p.name for p in r.optional], "path_form": r.path_rule if r.path else None,
                "example": r.example} for r in ROUTES]
    return jsonify({"routes": listing, "openapi": SPEC_URL, "docs": DOCS_URL})


@cache
def openapi_spec() -> dict[str, Any]:
    """The OpenAPI document of every route, built once per process from ROUTES."""
    return openapi_document(ROUTES, INFO, TAGS, api_index)


def api_openapi() -> flask.Response:
    """GET /api/openapi.json: the OpenAPI 3 document, its routes in the table's order."""
    return flask.Response(json.dumps(openapi_spec()), mimetype="application/json")


def api_docs() -> flask.Response:
    """GET /docs: the interactive docs (Swagger UI, served by this server)."""
    return docs_page(INFO["title"])


class RestConverter(BaseConverter):
    """The rest of a path, slashes and empty segments included (werkzeug's `path` refuses a leading slash)."""

    regex = ".*"
    part_isolating = False
    weight = 300


def _add_routes() -> None:
    """Register every route on the blueprint, and catch-alls under each name (slashes kept as given)."""
    api.record_once(lambda state: state.app.url_map.converters.setdefault("rest", RestConverter))
    api.add_url_rule("/api", "index", api_index, methods=["GET"], merge_slashes=False)
    api.add_url_rule("/api/", "index_slash", api_index, methods=["GET"], merge_slashes=False)
    api.add_url_rule("/api/<rest:name>", "query", api_query, methods=["GET"], merge_slashes=False)
    api.add_url_rule(SPEC_URL, "openapi", api_openapi, methods=["GET"])
    api.add_url_rule(DOCS_URL, "docs", api_docs, methods=["GET"])
    api.add_url_rule(f"{DOCS_URL}/<name>", "docs_asset", docs_asset, methods=["GET"])
    for route in ROUTES:
        if route.path:
            defaults = {"name": route.name}
            api.add_url_rule(route.path_rule, f"path_{route.name}", path_query, defaults=defaults, methods=["GET"],
                             merge_slashes=False)
            # Anything else under the route's name is malformed: answer with its usage, not the Dash page.
            for number, rule in enumerate((f"/{route.name}", f"/{route.name}/<rest:rest>")):
                api.add_url_rule(rule, f"usage_{route.name}_{number}", path_query, defaults=defaults,
                                 methods=["GET"], merge_slashes=False)


_add_routes()


# ---------------------------------------------------------------------------------------------- errors
def _error(message: str, status: int) -> tuple[flask.Response, int]:
    """A JSON error answer."""
    return jsonify({"error": message}), status


@api.errorhandler(InvalidQuery)
def _invalid(exc: InvalidQuery):
    return _error(str(exc), 400)


@api.errorhandler(NotFound)
def _not_found(exc: NotFound):
    return _error(str(exc), 404)


@api.errorhandler(NotReady)
def _not_ready(exc: NotReady):
    """503 with Retry-After, and the progress of what is being prepared."""
    response = jsonify({"error": str(exc), **({"progress": exc.progress} if exc.progress else {})})
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response, 503


@api.errorhandler(DataError)
def _no_data(exc: DataError):
    log.error("API %s: data not available: %s", request.path, exc)
    return _error("data not available; the server log has the details", 503)  # the message may name paths


def _http_error(exc: HTTPException):
    """An HTTP error (404, 405, ...) as JSON."""
    if exc.code == 405:
        return _error(f"method {request.method} not allowed; the API answers GET", 405)
    if exc.code == 404:
        return _error(f"no API route {shortened(request.path, 80)}; the routes are listed at /api", 404)
    return _error(exc.description or exc.name, exc.code or 500)


def _unexpected(exc: Exception):
    """Any other error: logged with its traceback, answered as a JSON 500."""
    original = getattr(exc, "original_exception", None) or exc
    log.error("API %s failed", request.path, exc_info=(type(original), original, original.__traceback__))
    return _error("internal error while answering this request; the server log has the details", 500)


for _code in (400, 404, 405, 413, 414, 431):
    api.register_error_handler(_code, _http_error)
api.register_error_handler(HTTPException, _http_error)
api.register_error_handler(500, _unexpected)
api.register_error_handler(Exception, _unexpected)


def _is_api_path(path: str) -> bool:
    """True for the paths this blueprint serves."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PREFIXES)


@api.app_errorhandler(404)
@api.app_errorhandler(405)
def _routing_error(exc: HTTPException):
    """Routing errors happen before a blueprint is chosen: JSON for the API's paths, the app's default elsewhere."""
    return _http_error(exc) if _is_api_path(request.path) else exc
