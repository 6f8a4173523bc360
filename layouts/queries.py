"""Queries panel: one card per catalogue question, every widget pre-filled from the URL query string.

URL parameters (all optional; a bad value falls back to its default):
    longest_year, longest_platform, longest_unit            -- query 1, longest title
    score_platform, score_min, score_year, score_type       -- query 2, titles above a mean score
    count_platform                                          -- query 3, titles per platform
    actor_platform, actor_year                              -- query 4, most frequent actor
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from core.config import PLATFORMS
from core.errors import InvalidQuery
from core.queries import (parse_content_type, parse_duration_type, parse_platform, parse_score, parse_year,
                          query_ranges)
from layouts import ids
from layouts.figures import PLATFORM_LABELS
from layouts.header import page_header
from layouts.state import catalog
from layouts.tables import chart_data_details, csv_download_button

ALL = "all"  # the 'no platform filter' option of query 1
DEFAULT_PLATFORM = "netflix"
DEFAULT_YEAR = 2019
DEFAULT_SCORE = 3.5
DEFAULT_UNIT = "min"
DEFAULT_CONTENT = "movie"
YEAR_DEBOUNCE_MS = 500

# URL parameter -> (component id, property): the one list both the layout and the URL writer use.
FIELDS: dict[str, tuple[str, str]] = {
    "longest_year": (ids.QUERIES_LONGEST_YEAR, "value"),
    "longest_platform": (ids.QUERIES_LONGEST_PLATFORM, "value"),
    "longest_unit": (ids.QUERIES_LONGEST_UNIT, "value"),
    "score_platform": (ids.QUERIES_SCORE_PLATFORM, "value"),
    "score_min": (ids.QUERIES_SCORE_THRESHOLD, "value"),
    "score_year": (ids.QUERIES_SCORE_YEAR, "value"),
    "score_type": (ids.QUERIES_SCORE_TYPE, "value"),
    "count_platform": (ids.QUERIES_COUNT_PLATFORM, "value"),
    "actor_platform": (ids.QUERIES_ACTOR_PLATFORM, "value"),
    "actor_year": (ids.QUERIES_ACTOR_YEAR, "value"),
}
UNIT_OPTIONS = [{"label": "Minutes", "value": "min"}, {"label": "Seasons", "value": "season"}]
CONTENT_OPTIONS = [{"label": "Movies", "value": "movie"}, {"label": "TV shows", "value": "tv show"},
                   {"label": "All titles", "value": "all"}]


# ---------------------------------------------------------------------------------------------- URL -> values
def year_span(ranges: dict) -> tuple[int, int]:
    """The release years the data covers (min, max); the core's limits when the data has no years."""
    low, high = ranges.get("year_min"), ranges.get("year_max")
    if low is None or high is None:
        low, high = ranges["year_limits"]
    return int(low), int(high)


def _or_default(parse, value: str | None, default):
    """parse(value), or the default when the value is missing or invalid."""
    if value is None:
        return default
    try:
        return parse(value)
    except InvalidQuery:
        return default


def _data_year(value: str | None, span: tuple[int, int], default: int | None) -> int | None:
    """A year from the URL when it is a valid year inside the data's span, else the default."""
    year = _or_default(parse_year, value, None)
    return year if year is not None and span[0] <= year <= span[1] else default


def _threshold(value: str | None) -> float:
    """A score threshold from the URL (0-5, rounded to 2 decimals), else the default."""
    return round(_or_default(parse_score, value, DEFAULT_SCORE), 2)


def initial_values(query: dict[str, str], ranges: dict) -> dict[str, object]:
    """Every widget's value from the URL query parameters: validated, bad or missing ones -> defaults."""
    span = year_span(ranges)
    default_year = min(max(DEFAULT_YEAR, span[0]), span[1])
    longest_platform = _or_default(parse_platform, query.get("longest_platform"), ALL)
    return {
        "longest_year": _data_year(query.get("longest_year"), span, None),
        "longest_platform": longest_platform,
        "longest_unit": _or_default(parse_duration_type, query.get("longest_unit"), DEFAULT_UNIT),
        "score_platform": _or_default(parse_platform, query.get("score_platform"), DEFAULT_PLATFORM),
        "score_min": _threshold(query.get("score_min")),
        "score_year": _data_year(query.get("score_year"), span, default_year),
        "score_type": _or_default(parse_content_type, query.get("score_type"), DEFAULT_CONTENT),
        "count_platform": _or_default(parse_platform, query.get("count_platform"), DEFAULT_PLATFORM),
        "actor_platform": _or_default(parse_platform, query.get("actor_platform"), DEFAULT_PLATFORM),
        "actor_year": _data_year(query.get("actor_year"), span, default_year),
    }


def url_values(values: dict[str, object]) -> dict[str, object]:
    """Widget values as URL parameters: query 1's 'all platforms' is left out (it is the default)."""
    out = dict(values)
    if out.get("longest_platform") == ALL:
        out["longest_platform"] = None
    return out


# ---------------------------------------------------------------------------------------------- widgets
def platform_options(with_all: bool = False) -> list[dict]:
    """The platforms as select options, optionally led by 'All platforms'."""
    options = [{"label": PLATFORM_LABELS.get(p, p.title()), "value": p} for p in PLATFORMS]
    return ([{"label": "All platforms", "value": ALL}] if with_all else []) + options


def field(label: str, control, width: int = 6, hint: str | None = None) -> dbc.Col:
    """A labelled widget in the card's form row."""
    control_id = getattr(control, "id", None)
    parts = [dbc.Label(label, html_for=control_id if isinstance(control_id, str) else None,
                       className="small fw-semibold mb-1"), control]
    if hint:
        parts.append(dbc.FormText(hint, className="small"))
    return dbc.Col(parts, xs=12, sm=width)


def year_input(component_id: str, value: int | None, span: tuple[int, int], optional: bool) -> dbc.Input:
    """A release-year field (empty means 'any year' when optional).

    A text field with a numeric keyboard rather than type=number: a number input reports out-of-range or
    malformed entries as empty, which would silently mean 'any year'; here every entry reaches the callback,
    which explains what is wrong with it.
    """
    return dbc.Input(id=component_id, type="text", value=value, inputmode="numeric", debounce=YEAR_DEBOUNCE_MS,
                     placeholder="Any year" if optional else f"{span[0]}–{span[1]}", autocomplete="off")


def select(component_id: str, value: str, options: list[dict]) -> dbc.Select:
    """A native select (keyboard friendly, no free text)."""
    return dbc.Select(id=component_id, options=options, value=value)


def radios(component_id: str, value: str, options: list[dict]) -> dbc.RadioItems:
    """Inline radio buttons."""
    return dbc.RadioItems(id=component_id, options=options, value=value, inline=True, className="pt-1")


def results(answer_id: str, chart_id: str, title: str) -> dcc.Loading:
    """The answer in words and its context chart, with the chart's text alternative (a sentence and its numbers
    behind 'Show as table'); a spinner shows when an update takes over 200 ms."""
    return dcc.Loading(html.Div([
        html.Div(id=answer_id, className="queries-answer", **{"aria-live": "polite"}),
        dcc.Graph(id=chart_id, className="queries-chart", style={"height": "340px"},
                  config={"displaylogo": False, "responsive": True,
                          "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}),
        html.P(id=ids.QUERIES_CHART_SUMMARIES[chart_id], className="chart-summary"),
        chart_data_details(ids.QUERIES_CHART_TABLES[chart_id], f"{title}: the chart's data"),
    ]), delay_show=200, type="circle", color="var(--bs-primary)")


def download(button_id: str, download_id: str, what: str) -> html.Div:
    """The CSV download button of a card's table (the app's shared button) and what it contains."""
    return html.Div([csv_download_button(button_id, download_id),
                     html.Small(what, className="text-body-secondary ms-2")],
                    className="d-flex align-items-center")


def card(number: int, title: str, question: str, controls: list, answer_id: str, chart_id: str,
         button_id: str, download_id: str, what: str) -> dbc.Col:
    """One query card: header, widgets, answer, chart, CSV download."""
    return dbc.Col(dbc.Card([
        dbc.CardHeader(html.Div([
            html.Span(str(number), className="queries-number", **{"aria-hidden": "true"}),
            html.Div([html.H2(title, className="h6 mb-0"),
                      html.Div(question, className="small text-body-secondary")]),
        ], className="d-flex align-items-center gap-2")),
        dbc.CardBody([dbc.Row(controls, className="g-2 mb-3"), results(answer_id, chart_id, title)]),
        dbc.CardFooter(download(button_id, download_id, what)),
    ], className="h-100 queries-card"), xs=12, xl=6)


# ---------------------------------------------------------------------------------------------- page
def layout(**query: str) -> html.Div:
    """The Queries page, widgets pre-filled from the URL query parameters."""
    ranges = query_ranges(catalog())
    span = year_span(ranges)
    v = initial_values(query, ranges)
    return html.Div([
        page_header("Queries", "Four questions about the catalogues. Change a filter and the answer updates; the "
                               "address bar keeps every choice, so you can bookmark or share it."),
        dbc.Row([
            card(1, "Longest title", "Which title runs longest, in minutes or in seasons?", [
                field("Release year", year_input(ids.QUERIES_LONGEST_YEAR, v["longest_year"], span, True), 4,
                      hint="Leave empty for any year"),
                field("Platform", select(ids.QUERIES_LONGEST_PLATFORM, v["longest_platform"],
                                         platform_options(with_all=True)), 4),
                field("Duration in", radios(ids.QUERIES_LONGEST_UNIT, v["longest_unit"], UNIT_OPTIONS), 4),
            ], ids.QUERIES_LONGEST_ANSWER, ids.QUERIES_LONGEST_CHART, ids.QUERIES_LONGEST_CSV_BUTTON,
                ids.QUERIES_LONGEST_CSV, "the 10 longest titles"),
            card(2, "Titles above a score", "How many titles have a mean user score above a threshold?", [
                field("Platform", select(ids.QUERIES_SCORE_PLATFORM, v["score_platform"], platform_options()), 4),
                field("Release year", year_input(ids.QUERIES_SCORE_YEAR, v["score_year"], span, False), 3),
                field("Content", radios(ids.QUERIES_SCORE_TYPE, v["score_type"], CONTENT_OPTIONS), 5),
                field("Mean score above", dcc.Slider(
                    id=ids.QUERIES_SCORE_THRESHOLD, min=0, max=5, step=0.1, value=v["score_min"],
                    marks={i: str(i) for i in range(6)}, className="queries-slider"), 12),
            ], ids.QUERIES_SCORE_ANSWER, ids.QUERIES_SCORE_CHART, ids.QUERIES_SCORE_CSV_BUTTON,
                ids.QUERIES_SCORE_CSV, "the matching titles"),
            card(3, "Titles per platform", "How many movies and TV shows does a platform offer?", [
                field("Platform", select(ids.QUERIES_COUNT_PLATFORM, v["count_platform"], platform_options()), 4),
            ], ids.QUERIES_COUNT_ANSWER, ids.QUERIES_COUNT_CHART, ids.QUERIES_COUNT_CSV_BUTTON,
                ids.QUERIES_COUNT_CSV, "the counts of all four platforms"),
            card(4, "Most frequent actor", "Who appears in the most titles of a platform and year?", [
                field("Platform", select(ids.QUERIES_ACTOR_PLATFORM, v["actor_platform"], platform_options()), 4),
                field("Release year", year_input(ids.QUERIES_ACTOR_YEAR, v["actor_year"], span, False), 4),
            ], ids.QUERIES_ACTOR_ANSWER, ids.QUERIES_ACTOR_CHART, ids.QUERIES_ACTOR_CSV_BUTTON,
                ids.QUERIES_ACTOR_CSV, "the 10 most frequent actors"),
        ], className="g-3"),
    ], className="queries-panel")
