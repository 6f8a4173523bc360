"""Queries panel callbacks: widget values -> `core.queries` -> answer in words, context chart, CSV; and the URL.

Each card has one view function (plain Python, tested without a browser) and a thin callback around it.
Invalid input (`InvalidQuery`) becomes an inline warning with the widget marked invalid; any other error is
logged and shown as a short apology, never as a traceback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, html, no_update

from core.catalog import Catalog
from core.config import PLATFORMS
from core.errors import InvalidQuery
from core.text import shortened
from core.queries import (MAX_N, get_actor, get_count_platform, get_max_duration, get_score_count, longest_titles,
                          parse_content_type, parse_duration_type, parse_platform, parse_score, parse_year,
                          query_ranges, top_actors)
from layouts import ids
from layouts import queries_render as render
from layouts.figures import empty_figure
from layouts.queries import ALL, FIELDS, initial_values, url_values, year_span
from layouts.state import catalog
from layouts.tables import send_csv
from layouts.urlstate import from_query_string, to_query_string

log = logging.getLogger(__name__)

TOP_N = 10
FIX_INPUT = "Fix the input above to see the chart"
GENERIC_PROBLEM = "Something went wrong while answering this question. Try other values; the error has been logged."


class YearProblem(InvalidQuery):
    """The release-year widget holds a value the query cannot use."""


@dataclass
class View:
    """What a card shows: the answer, its chart, whether the year widget is invalid, and its CSV table."""

    answer: object
    figure: go.Figure
    year_invalid: bool = False
    table: object = None  # a DataFrame to download, or None when there is nothing to download
    chart_summary: str = ""  # the chart in one sentence
    chart_table: object = None  # the chart's numbers as a table (None: nothing to show)

    def chart_text(self) -> tuple[str, object]:
        """The chart's sentence and its table (or a line saying there is nothing to tabulate)."""
        return self.chart_summary, self.chart_table if self.chart_table is not None else html.P(
            "Nothing to show.", className="small text-body-secondary mb-0 p-2")


# ---------------------------------------------------------------------------------------------- parsing
def user_message(exc: Exception) -> str:
    """A core error message as a sentence: capital first letter, final full stop."""
    text = str(exc).strip() or "Invalid input"
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def year_value(value: object, span: tuple[int, int], required: bool) -> int | None:
    """A release year from a widget, inside the data's span; YearProblem with what to enter otherwise."""
    low, high = span
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise YearProblem(f"Enter a release year from {low} to {high}.")
        return None
    try:
        year = parse_year(value)
    except InvalidQuery:
        raise YearProblem(f"{shortened(value)} is not a year: enter a whole year from {low} to {high}.") from None
    if not low <= year <= high:
        raise YearProblem(f"The catalogues have no titles from {year}: enter a year from {low} to {high}.")
    return year


def threshold_value(value: object) -> float:
    """The score threshold of the slider (0-5), rounded to 2 decimals."""
    return round(parse_score(value), 2)


def optional_platform(value: object) -> str | None:
    """None for 'All platforms' (or nothing), else a platform."""
    return None if value in (None, "", ALL) else parse_platform(value)


# ---------------------------------------------------------------------------------------------- rendering
def answer(sentence: str, note: str | None = None) -> list:
    """The answer in words (and an optional secondary note)."""
    parts = [html.P(sentence, className="queries-answer-text mb-1")]
    if note:
        parts.append(html.P(note, className="queries-answer-note small text-body-secondary mb-0"))
    return parts


def problem(message: str) -> dbc.Alert:
    """An inline warning in place of the answer."""
    return dbc.Alert(message, color="warning", className="queries-problem py-2 px-3 mb-0 small")


def guarded(view, theme: str | None, *args) -> View:
    """view(*args), with invalid input as an inline message and unexpected errors logged, never raised."""
    try:
        return view(*args)
    except YearProblem as exc:
        return View(problem(str(exc)), empty_figure(FIX_INPUT, theme), year_invalid=True, chart_summary=f"{FIX_INPUT}.")
    except InvalidQuery as exc:
        return View(problem(user_message(exc)), empty_figure(FIX_INPUT, theme), chart_summary=f"{FIX_INPUT}.")
    except Exception:  # noqa: BLE001 -- the user gets a sentence; the log gets the traceback
        log.exception("queries panel: %s failed for %r", getattr(view, "__name__", view), args)
        return View(problem(GENERIC_PROBLEM), empty_figure("No chart", theme), chart_summary="No chart.")


# ---------------------------------------------------------------------------------------------- views
def longest_view(data: Catalog, year: object, platform: object, unit: object, theme: str | None) -> View:
    """Query 1: the longest title for an optional year and platform, by minutes or seasons; top 10 in context."""
    year = year_value(year, year_span(query_ranges(data)), required=False)
    platform, unit = optional_platform(platform), parse_duration_type(unit)
    top = get_max_duration(data, year=year, platform=platform, duration_type=unit)
    rows = longest_titles(data, year=year, platform=platform, duration_type=unit, n=TOP_N)
    return View(answer(render.longest_sentence(top, year, platform, unit)),
                render.longest_figure(rows, unit, theme), table=render.longest_table(rows) if rows else None,
                chart_summary=render.longest_summary(rows, unit), chart_table=render.longest_rows_table(rows, unit))


def score_view(data: Catalog, platform: object, threshold: object, year: object, content_type: object,
               theme: str | None) -> View:
    """Query 2: how many titles have a mean score above the threshold; their score histogram in context."""
    year = year_value(year, year_span(query_ranges(data)), required=True)
    platform, threshold, kind = parse_platform(platform), threshold_value(threshold), parse_content_type(content_type)
    count = get_score_count(data, platform, threshold, year, kind)
    rated = render.rated_titles(data.titles, platform, year, kind)
    many = render.content_nouns(kind)[1]
    figure = render.score_figure(rated["score"].to_numpy(), threshold, theme, platform,
                                 empty_message=f"No rated {many} on {render.platform_label(platform)} from {year}")
    matching = render.titles_above(data.titles, platform, year, kind, threshold)
    scores = rated["score"].to_numpy()
    return View(answer(render.score_sentence(count, platform, threshold, year, kind),
                       f"{len(rated):,} rated {many} released that year; the chart shows their mean scores."),
                figure, table=matching if len(matching) else None,
                chart_summary=render.score_summary(scores, threshold, many),
                chart_table=render.score_rows_table(scores, threshold))


def count_view(data: Catalog, platform: object, theme: str | None) -> View:
    """Query 3: movies and TV shows of a platform; all four platforms stacked in context."""
    platform = parse_platform(platform)
    chosen = get_count_platform(data, platform)
    every = [get_count_platform(data, p) for p in PLATFORMS]
    return View(answer(render.count_sentence(chosen)), render.counts_figure(every, platform, theme),
                table=render.counts_table(every), chart_summary=render.counts_summary(every, platform),
                chart_table=render.counts_rows_table(every))


def has_cast(data: Catalog, platform: str) -> bool:
    """Whether any title of the platform lists its cast."""
    titles = data.titles
    return bool(titles.loc[titles["platform"] == platform, "cast"].notna().any())


def actor_view(data: Catalog, platform: object, year: object, theme: str | None) -> View:
    """Query 4: the cast member in the most titles of a platform and year; the top 10 in context."""
    year = year_value(year, year_span(query_ranges(data)), required=True)
    platform = parse_platform(platform)
    top = get_actor(data, platform, year)
    ranked = top_actors(data, platform, year, n=MAX_N)
    rows = ranked[:TOP_N]
    figure = render.actors_figure(rows, platform, theme, empty_message=(
        f"No cast listed for {render.platform_label(platform)} titles from {year}"))
    note = render.tie_note(ranked)
    if top is None and not has_cast(data, platform):
        note = render.no_cast_note(platform)
    return View(answer(render.actor_sentence(top, platform, year), note), figure,
                table=render.actors_table(rows, platform, year) if rows else None,
                chart_summary=render.actors_summary(rows), chart_table=render.actors_rows_table(rows))


def csv_download(view: View, *name_parts: object) -> dict | object:
    """The dcc.Download data of a view's table, or no_update when there is no table."""
    if view.table is None:
        return no_update
    return send_csv(view.table, render.csv_filename(*name_parts))


# ---------------------------------------------------------------------------------------------- callbacks
THEME = Input(ids.THEME_STORE, "data")


def chart_text_outputs(chart_id: str) -> tuple[Output, Output]:
    """The outputs of a chart's text alternative: its sentence and its data table."""
    return Output(ids.QUERIES_CHART_SUMMARIES[chart_id], "children"), Output(ids.QUERIES_CHART_TABLES[chart_id],
                                                                            "children")


@callback(Output(ids.QUERIES_LONGEST_ANSWER, "children"), Output(ids.QUERIES_LONGEST_CHART, "figure"),
          *chart_text_outputs(ids.QUERIES_LONGEST_CHART),
          Output(ids.QUERIES_LONGEST_YEAR, "invalid"), Output(ids.QUERIES_LONGEST_CSV_BUTTON, "disabled"),
          Input(ids.QUERIES_LONGEST_YEAR, "value"), Input(ids.QUERIES_LONGEST_PLATFORM, "value"),
          Input(ids.QUERIES_LONGEST_UNIT, "value"), THEME)
def update_longest(year, platform, unit, theme):
    """Query 1 card."""
    view = guarded(longest_view, theme, catalog(), year, platform, unit, theme)
    return view.answer, view.figure, *view.chart_text(), view.year_invalid, view.table is None


@callback(Output(ids.QUERIES_SCORE_ANSWER, "children"), Output(ids.QUERIES_SCORE_CHART, "figure"),
          *chart_text_outputs(ids.QUERIES_SCORE_CHART),
          Output(ids.QUERIES_SCORE_YEAR, "invalid"), Output(ids.QUERIES_SCORE_CSV_BUTTON, "disabled"),
          Input(ids.QUERIES_SCORE_PLATFORM, "value"), Input(ids.QUERIES_SCORE_THRESHOLD, "value"),
          Input(ids.QUERIES_SCORE_YEAR, "value"), Input(ids.QUERIES_SCORE_TYPE, "value"), THEME)
def update_score(platform, threshold, year, content_type, theme):
    """Query 2 card."""
    view = guarded(score_view, theme, catalog(), platform, threshold, year, content_type, theme)
    return view.answer, view.figure, *view.chart_text(), view.year_invalid, view.table is None


@callback(Output(ids.QUERIES_COUNT_ANSWER, "children"), Output(ids.QUERIES_COUNT_CHART, "figure"),
          *chart_text_outputs(ids.QUERIES_COUNT_CHART),
          Output(ids.QUERIES_COUNT_CSV_BUTTON, "disabled"),
          Input(ids.QUERIES_COUNT_PLATFORM, "value"), THEME)
def update_count(platform, theme):
    """Query 3 card."""
    view = guarded(count_view, theme, catalog(), platform, theme)
    return view.answer, view.figure, *view.chart_text(), view.table is None


@callback(Output(ids.QUERIES_ACTOR_ANSWER, "children"), Output(ids.QUERIES_ACTOR_CHART, "figure"),
          *chart_text_outputs(ids.QUERIES_ACTOR_CHART),
          Output(ids.QUERIES_ACTOR_YEAR, "invalid"), Output(ids.QUERIES_ACTOR_CSV_BUTTON, "disabled"),
          Input(ids.QUERIES_ACTOR_PLATFORM, "value"), Input(ids.QUERIES_ACTOR_YEAR, "value"), THEME)
def update_actor(platform, year, theme):
    """Query 4 card."""
    view = guarded(actor_view, theme, catalog(), platform, year, theme)
    return view.answer, view.figure, *view.chart_text(), view.year_invalid, view.table is None


@callback(Output(ids.QUERIES_LONGEST_CSV, "data"), Input(ids.QUERIES_LONGEST_CSV_BUTTON, "n_clicks"),
          State(ids.QUERIES_LONGEST_YEAR, "value"), State(ids.QUERIES_LONGEST_PLATFORM, "value"),
          State(ids.QUERIES_LONGEST_UNIT, "value"), prevent_initial_call=True)
def download_longest(_clicks, year, platform, unit):
    """Query 1 table as CSV."""
    view = guarded(longest_view, None, catalog(), year, platform, unit, None)
    return csv_download(view, "longest-titles", platform or ALL, year, unit)


@callback(Output(ids.QUERIES_SCORE_CSV, "data"), Input(ids.QUERIES_SCORE_CSV_BUTTON, "n_clicks"),
          State(ids.QUERIES_SCORE_PLATFORM, "value"), State(ids.QUERIES_SCORE_THRESHOLD, "value"),
          State(ids.QUERIES_SCORE_YEAR, "value"), State(ids.QUERIES_SCORE_TYPE, "value"), prevent_initial_call=True)
def download_score(_clicks, platform, threshold, year, content_type):
    """Query 2 matching titles as CSV."""
    view = guarded(score_view, None, catalog(), platform, threshold, year, content_type, None)
    return csv_download(view, "titles-above", render.format_score(threshold or 0), platform, year, content_type)


@callback(Output(ids.QUERIES_COUNT_CSV, "data"), Input(ids.QUERIES_COUNT_CSV_BUTTON, "n_clicks"),
          State(ids.QUERIES_COUNT_PLATFORM, "value"), prevent_initial_call=True)
def download_count(_clicks, platform):
    """Query 3 table as CSV."""
    return csv_download(guarded(count_view, None, catalog(), platform, None), "titles-per-platform")


@callback(Output(ids.QUERIES_ACTOR_CSV, "data"), Input(ids.QUERIES_ACTOR_CSV_BUTTON, "n_clicks"),
          State(ids.QUERIES_ACTOR_PLATFORM, "value"), State(ids.QUERIES_ACTOR_YEAR, "value"),
          prevent_initial_call=True)
def download_actor(_clicks, platform, year):
    """Query 4 table as CSV."""
    view = guarded(actor_view, None, catalog(), platform, year, None)
    return csv_download(view, "top-actors", platform, year)


def query_string(values: dict[str, object]) -> str:
    """The URL query string of the panel's widget values ('?longest_unit=min&score_platform=netflix&...')."""
    named = url_values(values)
    score = named.get("score_min")
    if isinstance(score, (int, float)) and not isinstance(score, bool):
        named["score_min"] = render.format_score(score)
    return to_query_string(named)


def new_search(current: str | None, values: dict[str, object], ranges: dict) -> str | None:
    """The query string to push for these widget values, or None when the URL already says the same.

    Dash fires the URL writer when the page renders (first load, reload, back button) as well as on edits;
    writing then would push a duplicate history entry and trap the back button, so only real changes count.
    """
    wanted = query_string(values)
    if initial_values(from_query_string(current), ranges) == initial_values(from_query_string(wanted), ranges):
        return None
    return wanted


@callback(Output(ids.URL, "search", allow_duplicate=True),
          [Input(component_id, prop) for component_id, prop in FIELDS.values()], State(ids.URL, "search"),
          prevent_initial_call=True)
def write_url(*args):
    """Every widget value into the address bar: shareable, reload-safe, and the back button restores it."""
    *values, current = args
    search = new_search(current, dict(zip(FIELDS, values)), query_ranges(catalog()))
    return no_update if search is None else search
