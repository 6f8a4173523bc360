"""OpenAPI 3 document of the JSON API, generated from `api.ROUTES`, and the interactive docs page at /docs.

The document comes from the route table alone: each route's parameters (`Param`: type, range or choices, default,
description, example), its answer function's docstring (summary) and return annotation (the 200 schema; TypedDicts
become named schemas), and the API's shared error answers. /docs is Swagger UI from the `swagger-ui-bundle`
package, served by this server (no CDN, works offline) and run by a static script (no inline script: the app's
Content-Security-Policy allows scripts from this server only).
"""

from __future__ import annotations

import inspect
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Union, get_args, get_origin, get_type_hints, is_typeddict

import flask
from markupsafe import escape
from swagger_ui_bundle import swagger_ui_path

from core.errors import NotFound
from core.text import quoted

if TYPE_CHECKING:
    from api import Route

OPENAPI_VERSION = "3.0.3"  # the version the bundled Swagger UI (4.x) renders
SPEC_URL = "/api/openapi.json"
DOCS_URL = "/docs"
VENDOR_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")  # all the page needs of the package
INIT_SCRIPT = "docs.js"
PRIMITIVES = {str: "string", int: "integer", float: "number", bool: "boolean"}


@dataclass(frozen=True)
class Param:
    """One kind of parameter, the same in every route that takes it: its name, JSON schema (type, range or
    choices, default), what it means and an example value."""

    name: str
    schema: dict[str, Any]
    description: str
    example: Any


# ---------------------------------------------------------------------------------------------- errors
def _error_schema(**extra: dict) -> dict[str, Any]:
    """The error answer's shape: {"error": message} plus `extra` properties."""
    message = {"type": "string", "description": "what went wrong and what to send instead"}
    return {"type": "object", "required": ["error"], "properties": {"error": message, **extra}}


ERROR_SCHEMAS = {
    "Error": _error_schema(),
    "Unavailable": _error_schema(progress={
        "type": "object", "additionalProperties": True,
        "description": "while the recommender model is prepared: stage, step, steps, fraction, seconds_left, ..."}),
}
# status -> (component name, description, schema, example message)
ERRORS = {
    "400": ("BadRequest", "Bad input: an unknown, repeated or missing parameter, or a value out of its range",
            "Error", "unknown platform 'hbo'; choose one of amazon, disney, hulu, netflix"),
    "404": ("NotFound", "Nothing matched (no such title, no title with a cast that year, ...)", "Error",
            "no hulu title released in 2020 lists a cast"),
    "405": ("MethodNotAllowed", "Any method but GET (and HEAD)", "Error",
            "method POST not allowed; the API answers GET"),
    "503": ("Unavailable", "The data is not available, or the recommender model is still being prepared (then with "
            "a Retry-After header and the progress)", "Unavailable",
            "The recommender is being prepared (latent factors 5/7); try again in a few seconds"),
}


def error_responses() -> dict[str, Any]:
    """The shared error answers, as components.responses."""
    retry = {"Retry-After": {"description": "seconds to wait before asking again", "schema": {"type": "integer"}}}
    return {name: {"description": text, **({"headers": retry} if status == "503" else {}),
                   "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"},
                                                    "example": {"error": example}}}}
            for status, (name, text, schema, example) in ERRORS.items()}


# ---------------------------------------------------------------------------------------------- schemas
def json_schema(kind: Any, named: dict[str, Any]) -> dict[str, Any]:
    """The schema of a Python type; TypedDicts are added to `named` and referred to by name."""
    origin, args = get_origin(kind), get_args(kind)
    if is_typeddict(kind):
        if kind.__name__ not in named:
            named[kind.__name__] = {}  # claimed before its fields, so a type that refers to itself ends
            fields = {key: json_schema(value, named) for key, value in get_type_hints(kind).items()}
            required = sorted(kind.__required_keys__)
            named[kind.__name__] = {"type": "object", "description": first_line(kind.__doc__),
                                    **({"required": required} if required else {}), "properties": fields}
        return {"$ref": f"#/components/schemas/{kind.__name__}"}
    if origin in (Union, types.UnionType):
        options = [json_schema(arg, named) for arg in args if arg is not type(None)]
        schema = options[0] if len(options) == 1 else {"anyOf": options}
        schema = {"allOf": [schema]} if "$ref" in schema else schema
        return {**schema, "nullable": True} if type(None) in args else schema
    if origin is list:
        return {"type": "array", "items": json_schema(args[0] if args else Any, named)}
    if origin is dict or kind is dict:
        return {"type": "object", "additionalProperties": json_schema(args[1], named) if args else True}
    return {"type": PRIMITIVES[kind]} if kind in PRIMITIVES else {}


def first_line(text: str | None) -> str:
    """The first line of a docstring."""
    return (text or "").strip().split("\n", 1)[0]


# ---------------------------------------------------------------------------------------------- document
def parameter(param: Param, where: str, required: bool) -> dict[str, Any]:
    """An OpenAPI parameter object (a required parameter has no default)."""
    schema = {key: value for key, value in param.schema.items() if not (required and key == "default")}
    return {"name": param.name, "in": where, "required": required, "description": param.description,
            "schema": schema, "example": param.example}


def operation(route: Route, operation_id: str, parameters: list[dict], example: str, note: str,
              named: dict[str, Any]) -> dict[str, Any]:
    """The GET operation of one form of a route: docstring, parameters, the answer's schema, the error answers."""
    doc = inspect.getdoc(route.answer) or route.name
    answer = json_schema(get_type_hints(route.answer).get("return", dict), named)
    return {"tags": [route.tag], "operationId": operation_id, "summary": first_line(doc),
            "description": f"{doc}\n\n{note}Example: `GET {example}`", "parameters": parameters,
            "responses": {"200": {"description": "the answer", "content": {"application/json": {"schema": answer}}},
                          **{status: {"$ref": f"#/components/responses/{name}"}
                             for status, (name, *_) in ERRORS.items()}}}


def route_paths(route: Route, named: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI paths of a route: its query form and, if it has one, its original path form."""
    query = [parameter(p, "query", p in route.required) for p in (*route.required, *route.optional)]
    paths = {f"/api/{route.name}": {"get": operation(route, route.name, query, route.example, "", named)}}
    if route.path:
        segments = [parameter(route.spec(name), "path", True) for name in route.path]
        note = f"The original path form of `/api/{route.name}`: every segment is required.\n\n"
        paths[path_template(route)] = {"get": operation(route, f"{route.name}_path", segments, route.path_example,
                                                        note, named)}
    return paths


def path_template(route: Route) -> str:
    """The original path form in OpenAPI's notation, e.g. /get_actor/{platform}/{year}."""
    return "/" + "/".join([route.name, *(f"{{{name}}}" for name in route.path or ())])


def meta_paths(index_answer: Callable[..., Any]) -> dict[str, Any]:
    """The routes about the API itself: its index, this document and the docs page."""
    def plain(summary: str, tag: str, media: str, schema: dict) -> dict:
        return {"get": {"tags": [tag], "summary": summary, "responses": {
            "200": {"description": summary, "content": {media: {"schema": schema}}},
            "405": {"$ref": "#/components/responses/MethodNotAllowed"}}}}

    return {"/api": plain(first_line(index_answer.__doc__), "meta", "application/json", {"type": "object"}),
            SPEC_URL: plain("This OpenAPI document", "meta", "application/json", {"type": "object"}),
            DOCS_URL: plain("Interactive docs of this API (Swagger UI, served offline)", "meta", "text/html",
                            {"type": "string"})}


def openapi_document(routes: Iterable[Route], info: dict[str, str], tags: dict[str, str],
                     index_answer: Callable[..., Any]) -> dict[str, Any]:
    """The OpenAPI 3 document of every route of the table, with the shared error answers."""
    named: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for route in routes:
        paths.update(route_paths(route, named))
    paths.update(meta_paths(index_answer))
    return {"openapi": OPENAPI_VERSION, "info": info,
            "tags": [{"name": name, "description": text} for name, text in tags.items()], "paths": paths,
            "components": {"schemas": {**ERROR_SCHEMAS, **named}, "responses": error_responses()}}


# ---------------------------------------------------------------------------------------------- docs page
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{docs}/favicon-32x32.png">
<link rel="stylesheet" href="{docs}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{docs}/swagger-ui-bundle.js"></script>
<script src="{docs}/{init}"></script>
</body>
</html>
"""
# No validator badge (it would call an outside service), no ?url= (the page shows this API's document only).
INIT_JS = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "%s",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    queryConfigEnabled: false,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
""" % SPEC_URL


def docs_page(title: str) -> flask.Response:
    """The /docs page: Swagger UI's stylesheet and script from this server, started by INIT_SCRIPT."""
    return flask.Response(PAGE.format(title=escape(title), docs=DOCS_URL, init=INIT_SCRIPT), mimetype="text/html")


def docs_asset(name: str) -> flask.Response:
    """One file of the docs page: Swagger UI's own (from the package) or the script that starts it."""
    if name == INIT_SCRIPT:
        return flask.Response(INIT_JS, mimetype="text/javascript")
    if name not in VENDOR_FILES:
        raise NotFound(f"no docs file {quoted(name)}; the docs are at {DOCS_URL}")
    return flask.send_from_directory(str(swagger_ui_path), name, max_age=3600)
