"""Explore panel callbacks: widget values -> core.eda -> figures, headline cards, top-titles table, CSV and URL.

Each callback is a thin wrapper around a pure function taking the catalog (`explore_view`, `top_titles_view`,
`top_titles_frame`, `filters_sync`, `clicked_filter`): tests call those directly. Invalid widget values become
inline messages; an unexpected error is logged and shown as a short alert, never as a traceback. Clicking a
platform in a chart, a year in the releases chart or a genre cell of the heatmap sets that filter, through the
same URL sync as the widgets (so the back button undoes it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from core import Catalog, eda, title_ratings
from core.errors import InvalidQuery
from core.genres import display_name, parse_genre
from core.queries import parse_platform
from layouts import explore_charts as charts
from layouts import explore_summaries as summaries
from layouts import explore_tables as tables
from layouts import ids
from layouts.explore import (TOP_TITLES, default_state, headline_cards, parse_min_ratings, query_string,
                             state_from_query, table_toggle_text)
from layouts.explore_charts import NO_MATCH, label
from layouts.state import ViewCache, catalog, explore_views
from layouts.tables import TYPE_NAMES, display_text, frame_table, send_csv, title_link
from layouts.urlstate import from_query_string, page_of

logger = logging.getLogger(__name__)
FILTER_INPUTS = [Input(ids.EXPLORE_PLATFORMS, "value"), Input(ids.EXPLORE_TYPE, "value"),
                 Input(ids.EXPLORE_YEARS, "value"), Input(ids.EXPLORE_GENRES, "value")]
FILTER_STATES = [State(ids.EXPLORE_PLATFORMS, "value"), State(ids.EXPLORE_TYPE, "value"),
                 State(ids.EXPLORE_YEARS, "value"), State(ids.EXPLORE_GENRES, "value")]
# Charts whose clicks set a filter: what a click names (the point's x or y) and which filter it sets.
CLICKABLE = {ids.EXPLORE_CHART_TYPES: ("x", "platforms"), ids.EXPLORE_CHART_MINUTES: ("x", "platforms"),
             ids.EXPLORE_CHART_MATURITY: ("y", "platforms"), ids.EXPLORE_CHART_RELEASES: ("x", "years"),
             ids.EXPLORE_CHART_GENRES: ("y", "genres")}
FAILED = "Something went wrong while computing this view. Try other filters or reload the page."


@dataclass(frozen=True)
class ExploreView:
    """Everything the filter bar drives: an alert (or None), the headline cards, one figure per chart id and the
    sentence that says what each chart shows."""

    alert: object
    headlines: list
    figures: dict[str, dict]
    summaries: dict[str, str]

    def outputs(self) -> list:
        """The values in the order of the update_explore outputs."""
        return [self.alert, self.headlines, *(self.figures[chart] for chart in ids.EXPLORE_CHARTS),
                *(self.summaries[chart] for chart in ids.EXPLORE_CHARTS)]

    @classmethod
    def from_outputs(cls, outputs: list) -> "ExploreView":
        """The view of a list of outputs (as the view cache keeps them)."""
        alert_, headlines, *rest = outputs
        count = len(ids.EXPLORE_CHARTS)
        return cls(alert_, headlines, dict(zip(ids.EXPLORE_CHARTS, rest[:count])),
                   dict(zip(ids.EXPLORE_CHARTS, rest[count:])))


class Selected:
    """The titles the filters keep, and (computed once, when a chart needs them) their raters' rating counts and
    the ratings they got per month."""

    def __init__(self, cat: Catalog, filters: eda.Filters, titles: eda.Selection | None = None):
        self.cat, self.filters = cat, filters
        self.titles = titles if titles is not None else eda.select(cat.titles, filters)
        # a genre filter cuts across the rating segments: its counts come from the per-title ratings
        self.ratings = title_ratings.for_catalog(cat) if filters.genres else None

    @cached_property
    def user_counts(self) -> np.ndarray:
        """Each user's number of ratings of the kept titles."""
        return eda.kept_user_totals(self.titles, self.filters, self.cat.user_segments, self.ratings)

    @cached_property
    def activity(self) -> eda.Table:
        """Ratings of the kept titles per month and platform."""
        return eda.kept_rating_activity(self.titles, self.filters, self.cat.activity, self.ratings)


# Per chart: the core.eda tables it draws (from the selection), and what draws them: its figure (tables + theme),
# its one-sentence summary and its data table (tables alone). Summary and table read the figure's own tables.
CHART_DATA: dict[str, Callable[[Selected], tuple]] = {
    ids.EXPLORE_CHART_TYPES: lambda s: (eda.titles_by_platform_type(s.titles),),
    ids.EXPLORE_CHART_RELEASES: lambda s: (eda.releases_per_year(s.titles),),
    ids.EXPLORE_CHART_MINUTES: lambda s: (eda.movie_minutes(s.titles),),
    ids.EXPLORE_CHART_SEASONS: lambda s: (eda.show_seasons(s.titles),),
    ids.EXPLORE_CHART_MATURITY: lambda s: (eda.maturity_mix(s.titles),),
    ids.EXPLORE_CHART_GENRES: lambda s: (eda.top_genres(s.titles),),
    ids.EXPLORE_CHART_COUNTRIES: lambda s: (eda.top_countries(s.titles), eda.known_country_share(s.titles)),
    ids.EXPLORE_CHART_SCORES: lambda s: (eda.score_distribution(s.titles), eda.mean_scores(s.titles)),
    ids.EXPLORE_CHART_ACTIVITY: lambda s: (s.activity,),
    ids.EXPLORE_CHART_USERS: lambda s: (eda.ratings_per_user(s.user_counts), eda.top_user_share(s.user_counts)),
}
CHART_DRAWERS = {  # chart id -> (figure, summary, data table)
    ids.EXPLORE_CHART_TYPES: (charts.types_figure, summaries.types_summary, tables.types_table),
    ids.EXPLORE_CHART_RELEASES: (charts.releases_figure, summaries.releases_summary, tables.releases_table),
    ids.EXPLORE_CHART_MINUTES: (charts.minutes_figure, summaries.minutes_summary, tables.minutes_table),
    ids.EXPLORE_CHART_SEASONS: (charts.seasons_figure, summaries.seasons_summary, tables.seasons_table),
    ids.EXPLORE_CHART_MATURITY: (charts.maturity_figure, summaries.maturity_summary, tables.maturity_table),
    ids.EXPLORE_CHART_GENRES: (charts.genres_figure, summaries.genres_summary, tables.genres_table),
    ids.EXPLORE_CHART_COUNTRIES: (charts.countries_figure, summaries.countries_summary, tables.countries_table),
    ids.EXPLORE_CHART_SCORES: (charts.scores_figure, summaries.scores_summary, tables.scores_table),
    ids.EXPLORE_CHART_ACTIVITY: (charts.activity_figure, summaries.activity_summary, tables.activity_table),
    ids.EXPLORE_CHART_USERS: (charts.users_figure, summaries.users_summary, tables.users_table),
}


def alert(message: str, color: str = "info") -> dbc.Alert:
    """An inline message above the charts."""
    return dbc.Alert(message, color=color, class_name="py-2 mb-3", id=f"{ids.EXPLORE_ALERT}-message")


def blank_view(cat: Catalog, message: str, color: str, figure_text: str, theme: str | None) -> ExploreView:
    """Every chart empty with a reason, headline numbers of an empty selection, and an inline alert."""
    numbers = eda.headline(cat.titles.iloc[0:0], np.zeros(0, dtype=np.int64))  # nothing selected: no users
    return ExploreView(alert(message, color), headline_cards(numbers, len(cat.titles)),
                       {chart: charts.empty(figure_text, theme) for chart in ids.EXPLORE_CHARTS},
                       {chart: f"{figure_text}." for chart in ids.EXPLORE_CHARTS})


def make_filters(cat: Catalog, platforms: object, content_type: object, years: object,
                 genres: object = None) -> eda.Filters:
    """eda.make_filters over this catalogue's years and genres."""
    return eda.make_filters(platforms, content_type, years, eda.year_bounds(cat.titles), genres,
                            eda.genre_names(cat.titles))


def explore_view(cat: Catalog, platforms: object, content_type: object, years: object, theme: str | None,
                 cache: ViewCache | None = None, genres: object = None) -> ExploreView:
    """Headline cards and every chart of the filtered catalogue, or empty charts with an inline message.

    cache: where views of valid filters are shared by every process (kept as JSON: a view from it holds plain
    dicts and lists, which Dash sends as they are), keyed by the normalised filters and the theme.
    """
    try:
        filters = make_filters(cat, platforms, content_type, years, genres)
    except InvalidQuery as exc:
        return blank_view(cat, f"{exc}.", "warning", "Fix the filters above", theme)
    if not filters.platforms:
        return blank_view(cat, "Pick at least one platform to see the charts.", "warning", "No platform selected",
                          theme)
    theme = "dark" if theme == "dark" else "light"  # what the figures use: one view per theme
    if cache is None:
        return filtered_view(cat, filters, theme)
    return ExploreView.from_outputs(cache.get((filters, theme), lambda: filtered_view(cat, filters, theme).outputs()))


def filtered_view(cat: Catalog, filters: eda.Filters, theme: str) -> ExploreView:
    """explore_view for valid filters with at least one platform."""
    titles = eda.select(cat.titles, filters)
    if not titles.mask.any():
        return blank_view(cat, "No titles match these filters: add platforms, content types or genres, or widen "
                               "the release years.", "info", NO_MATCH, theme)
    selected = Selected(cat, filters, titles)
    data = {chart: CHART_DATA[chart](selected) for chart in ids.EXPLORE_CHARTS}
    figures = {chart: CHART_DRAWERS[chart][0](*data[chart], theme) for chart in ids.EXPLORE_CHARTS}
    sentences = {chart: CHART_DRAWERS[chart][1](*data[chart]) for chart in ids.EXPLORE_CHARTS}
    return ExploreView(None, headline_cards(eda.headline(titles, selected.user_counts), len(cat.titles)), figures,
                       sentences)


def chart_tables_view(cat: Catalog, platforms: object, content_type: object, years: object,
                      open_charts: list[str], genres: object = None) -> dict[str, object]:
    """The data table of each open chart (chart id -> table, or a message when the filters are invalid or keep
    nothing), computed from the same core.eda tables as the charts."""
    try:
        filters = make_filters(cat, platforms, content_type, years, genres)
    except InvalidQuery as exc:
        return {chart: tables.empty_note(f"{exc}.") for chart in open_charts}
    selected = Selected(cat, filters)
    if not filters.platforms or not selected.titles.mask.any():
        return {chart: tables.empty_note("No titles match these filters.") for chart in open_charts}
    return {chart: CHART_DRAWERS[chart][2](*CHART_DATA[chart](selected)) for chart in open_charts}


def filters_sync(trigger: str | None, widgets: tuple, search: str | None, on_panel: bool,
                 bounds: tuple[int, int], known_genres: tuple[str, ...] = (), click: object = None) -> tuple:
    """(URL search, platforms, type, years, min ratings, genres) to output; `no_update` where nothing changes.

    widgets: (platforms, type, years, min ratings, genres). A widget change writes the URL query; a URL change
    (back/forward: the browser changed it) sets the widgets that differ from it; the reset button sets the
    defaults and clears the query; a click on a chart (trigger: its id, click: its clickData) sets the filter it
    names and writes the URL, so back undoes it.
    """
    keep = (no_update,) * 6
    if trigger == ids.EXPLORE_RESET:
        state = default_state(bounds)
        return ("", list(state.platforms), state.content_type, list(state.years), state.min_ratings, [])
    if trigger in CLICKABLE:
        changed = clicked_filter(trigger, click, bounds, known_genres)
        if changed is None:
            return keep
        new = dict(zip(("platforms", "type", "years", "min_ratings", "genres"), widgets), **changed)
        values = (new["platforms"], new["type"], new["years"], new["min_ratings"], new["genres"])
        return (query_string(*values[:4], bounds, values[4], known_genres),
                *(value if name in changed else no_update for name, value in new.items()))
    if trigger == ids.EXPLORE_URL:
        if not on_panel:
            return keep  # leaving the panel: the page is about to change
        query = from_query_string(search if isinstance(search, str) else "")
        state, _ = state_from_query(query, bounds, known_genres)
        platforms, content_type, years, min_ratings, genres = widgets
        wanted = (list(state.platforms), state.content_type, list(state.years), state.min_ratings,
                  list(state.genres))
        current = (sorted(map(str, platforms)) if isinstance(platforms, list) else platforms, content_type,
                   list(years) if isinstance(years, list) else years, min_ratings,
                   sorted(map(str, genres)) if isinstance(genres, list) else genres or [])
        same = (current[0] == sorted(state.platforms), current[1] == wanted[1], current[2] == wanted[2],
                current[3] == wanted[3], current[4] == sorted(state.genres))
        return (no_update, *(no_update if unchanged else value for unchanged, value in zip(same, wanted)))
    return (query_string(*widgets[:4], bounds, widgets[4], known_genres), *keep[1:])


def clicked_filter(chart: str, click: object, bounds: tuple[int, int],
                   known_genres: tuple[str, ...]) -> dict[str, object] | None:
    """The filter a click on a chart sets ({'platforms': [...]}, {'years': [y, y]} or {'genres': [...]}), or None
    when the click names nothing usable (no point, a label that is no platform, year or genre)."""
    axis, target = CLICKABLE[chart]
    try:
        point = click["points"][0]  # type: ignore[index]
        value = point[axis]
    except (TypeError, KeyError, IndexError):
        return None
    try:
        if target == "platforms":  # the runtimes chart's labels read 'Netflix<br>6,131 movies'
            return {"platforms": [parse_platform(str(value).split("<br>")[0])]}
        if target == "years":
            year = int(float(value)) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else None
            return {"years": [year, year]} if year is not None and bounds[0] <= year <= bounds[1] else None
        return {"genres": [parse_genre(str(value), known_genres)]}
    except (InvalidQuery, ValueError, OverflowError):
        return None


def top_titles_frame(cat: Catalog, platforms: object, content_type: object, years: object,
                     min_ratings: object, genres: object = None) -> pd.DataFrame:
    """The top-rated titles under the filters (data values, lower-case); InvalidQuery for impossible inputs."""
    filters = make_filters(cat, platforms, content_type, years, genres)
    return eda.top_titles(cat.titles, n=TOP_TITLES, min_ratings=parse_min_ratings(min_ratings),
                          kept=eda.select(cat.titles, filters).mask)


def csv_frame(top: pd.DataFrame) -> pd.DataFrame:
    """The downloadable form of the top-titles table: rank first, plain column names; canonical genres, then the
    catalogue's own labels."""
    out = top.rename(columns={"score": "mean_score", "n_ratings": "ratings", "listed_in": "labels"})
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def genre_text(genres: object) -> str:
    """Canonical genres as shown: 'comedy, drama' -> 'Comedy, Drama'; none -> '—'."""
    names = [name.strip() for name in genres.split(",")] if isinstance(genres, str) else []
    return ", ".join(display_name(name) for name in names if name) or "—"


def top_titles_table(top: pd.DataFrame) -> html.Div:
    """The top-titles table for display (title case, platform names), or a note when it is empty."""
    if top.empty:
        return html.Div("No title under these filters has that many ratings.", className="p-3 text-body-secondary")
    shown = csv_frame(top)
    shown["title"] = [title_link(title_id, title) for title_id, title in zip(shown["id"], shown["title"])]
    formats = {"rank": str, "title": lambda v: v, "platform": label,
               "type": lambda v: TYPE_NAMES.get(v, display_text(v)),
               "release_year": lambda v: "—" if pd.isna(v) else str(int(v)),
               "mean_score": lambda v: f"{v:.2f}", "ratings": lambda v: f"{int(v):,}", "genres": genre_text}
    columns = {"rank": "#", "title": "Title", "platform": "Platform", "type": "Type", "release_year": "Year",
               "mean_score": "Mean score", "ratings": "Ratings", "genres": "Genres"}
    return frame_table(shown, columns, formats, numeric=("rank", "release_year", "mean_score", "ratings"),
                       responsive=False)  # the panel's scroll region scrolls it both ways


def top_titles_view(cat: Catalog, platforms: object, content_type: object, years: object,
                    min_ratings: object, genres: object = None) -> tuple[object, bool, bool]:
    """(table or message, min-ratings input invalid?, CSV button disabled?) for the widget values."""
    try:
        min_count = parse_min_ratings(min_ratings)
    except InvalidQuery:  # the field itself says what is allowed
        return html.Div("Fix the minimum number of ratings to see the table.",
                        className="p-3 text-body-secondary"), True, True
    try:
        top = top_titles_frame(cat, platforms, content_type, years, min_count, genres)
    except InvalidQuery as exc:
        return html.Div(f"{exc}.", className="p-3 text-body-secondary"), False, True
    return top_titles_table(top), False, top.empty


# ---------------------------------------------------------------------------------------------- wiring
@callback(
    output=[Output(ids.EXPLORE_ALERT, "children"), Output(ids.EXPLORE_HEADLINES, "children"),
            *(Output(chart, "figure") for chart in ids.EXPLORE_CHARTS),
            *(Output(ids.EXPLORE_CHART_SUMMARIES[chart], "children") for chart in ids.EXPLORE_CHARTS)],
    inputs=[*FILTER_INPUTS, Input(ids.THEME_STORE, "data")],
)
def update_explore(platforms, content_type, years, genres, theme):
    """Redraw the headline cards and every chart when a filter or the theme changes."""
    cat = catalog()
    try:
        return explore_view(cat, platforms, content_type, years, theme, explore_views(), genres).outputs()
    except Exception:  # noqa: BLE001 -- the user sees a short alert; the log has the traceback
        logger.exception("explore: charts failed for %r %r %r %r", platforms, content_type, years, genres)
        return blank_view(cat, FAILED, "danger", "Could not draw this chart", theme).outputs()


@callback(
    Output(ids.EXPLORE_TOP_TABLE, "children"), Output(ids.EXPLORE_TOP_MIN_RATINGS, "invalid"),
    Output(ids.EXPLORE_TOP_CSV_BUTTON, "disabled"),
    *FILTER_INPUTS, Input(ids.EXPLORE_TOP_MIN_RATINGS, "value"),
)
def update_top_titles(platforms, content_type, years, genres, min_ratings):
    """Refill the top-titles table (and flag an invalid minimum) when its inputs change."""
    try:
        return top_titles_view(catalog(), platforms, content_type, years, min_ratings, genres)
    except Exception:  # noqa: BLE001
        logger.exception("explore: top titles failed")
        return html.Div(FAILED, className="p-3 text-danger"), False, True


@callback(
    output=[*(Output(ids.EXPLORE_CHART_TABLES[chart], "children") for chart in ids.EXPLORE_CHARTS),
            *(Output(ids.EXPLORE_CHART_TABLES[chart], "hidden") for chart in ids.EXPLORE_CHARTS),
            *(Output(ids.EXPLORE_CHART_TABLE_TOGGLES[chart], "children") for chart in ids.EXPLORE_CHARTS),
            *(Output(ids.EXPLORE_CHART_TABLE_TOGGLES[chart], "aria-expanded") for chart in ids.EXPLORE_CHARTS)],
    inputs=[*FILTER_INPUTS, *(Input(ids.EXPLORE_CHART_TABLE_TOGGLES[chart], "n_clicks") for chart in ids.EXPLORE_CHARTS)],
)
def update_chart_tables(platforms, content_type, years, genres, *clicks):
    """Show or hide a chart's data table when its toggle is pressed, and refill the open tables when a filter
    changes (nothing to do while every table is closed)."""
    # Every output every time: Dash drops the answer of a request overtaken by a newer one (two quick presses), so
    # each answer holds the whole state, not just the change.
    open_charts = [chart for chart, count in zip(ids.EXPLORE_CHARTS, clicks) if isinstance(count, int) and count % 2]
    if not open_charts and ctx.triggered_id not in ids.EXPLORE_CHART_TABLE_TOGGLES.values():
        raise PreventUpdate
    try:
        filled = chart_tables_view(catalog(), platforms, content_type, years, open_charts,
                                   genres) if open_charts else {}
    except Exception:  # noqa: BLE001
        logger.exception("explore: chart tables failed")
        filled = {chart: html.P(FAILED, className="p-2 text-danger") for chart in open_charts}
    shown = [chart in open_charts for chart in ids.EXPLORE_CHARTS]
    return [*(filled.get(chart) for chart in ids.EXPLORE_CHARTS), *(not is_open for is_open in shown),
            *(table_toggle_text(is_open) for is_open in shown), *("true" if is_open else "false" for is_open in shown)]


@callback(
    Output(ids.EXPLORE_TOP_CSV, "data"),
    Input(ids.EXPLORE_TOP_CSV_BUTTON, "n_clicks"), *FILTER_STATES, State(ids.EXPLORE_TOP_MIN_RATINGS, "value"),
    prevent_initial_call=True,
)
def download_top_titles(n_clicks, platforms, content_type, years, genres, min_ratings):
    """The top-titles table as a CSV file."""
    try:
        top = top_titles_frame(catalog(), platforms, content_type, years, min_ratings, genres)
    except InvalidQuery:
        return no_update
    return send_csv(csv_frame(top), "top-titles.csv")


@callback(
    Output(ids.EXPLORE_URL, "search"),
    Output(ids.EXPLORE_PLATFORMS, "value"), Output(ids.EXPLORE_TYPE, "value"), Output(ids.EXPLORE_YEARS, "value"),
    Output(ids.EXPLORE_TOP_MIN_RATINGS, "value"), Output(ids.EXPLORE_GENRES, "value"),
    *FILTER_INPUTS, Input(ids.EXPLORE_TOP_MIN_RATINGS, "value"),
    Input(ids.EXPLORE_URL, "search"), Input(ids.EXPLORE_RESET, "n_clicks"),
    *(Input(chart, "clickData") for chart in CLICKABLE),
    State(ids.EXPLORE_URL, "pathname"),
    prevent_initial_call=True,
)
def sync_filters(platforms, content_type, years, genres, min_ratings, search, reset_clicks, *clicks_and_path):
    """Keep filters and URL query in step: widgets -> URL (a history entry), URL (back/forward) -> widgets, reset,
    chart clicks -> the filter they name."""
    *clicks, pathname = clicks_and_path
    try:
        cat, trigger = catalog(), ctx.triggered_id
        click = dict(zip(CLICKABLE, clicks)).get(trigger)
        on_panel = page_of(pathname) == ""  # Explore is the root
        return filters_sync(trigger, (platforms, content_type, years, min_ratings, genres), search, on_panel,
                            eda.year_bounds(cat.titles), eda.genre_names(cat.titles), click)
    except Exception:  # noqa: BLE001 -- keep the page as it is rather than fail
        logger.exception("explore: filter/URL sync failed")
        return (no_update,) * 6
