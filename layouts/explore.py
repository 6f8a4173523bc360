"""Explore panel: a global filter bar, headline numbers that follow it, ten charts comparing the platforms and a
top-rated titles table with a CSV download.

The filters live in the URL query (`?platforms=netflix,hulu&type=movie&years=2000-2010&genres=drama,sci-fi-fantasy
&min_ratings=50`): `layout(**query)` pre-fills the widgets from it, replacing invalid values by defaults with an
inline notice. Genres are the canonical ones (core.genres), written in the URL by their slugs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import dcc, html

from core import eda, title_ratings
from core.config import PLATFORMS
from core.genres import display_name, parse_genre, slug
from core.errors import InvalidQuery
from core.text import bounded, quoted
from core.queries import parse_content_type, parse_platform
from layouts import ids
from layouts.explore_charts import color, empty, label
from layouts.header import page_header
from layouts.state import catalog
from layouts.tables import csv_download_button, scroll_region
from layouts.urlstate import split_list, to_query_string

TYPE_OPTIONS = (("all", "All"), ("movie", "Movies"), ("tv show", "TV shows"))
TYPE_IN_URL = {"movie": "movie", "tv show": "tv"}
DEFAULT_MIN_RATINGS = 100
MAX_MIN_RATINGS = 100_000
YEAR_SEPARATOR = re.compile(r"-|–|,|\.\.|:|to")  # 2000-2010, 2000–2010, 2000..2010, 2000:2010, 2000 to 2010
TOP_TITLES = 20
SCORE_SCALE = "0.5\u2060–\u20605"  # word joiners: the range never breaks at its dash
GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": "hover",
                "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
                "toImageButtonOptions": {"format": "png", "scale": 2}}
# (graph id, title, caption, height in px)
CHARTS = (
    (ids.EXPLORE_CHART_TYPES, "Titles by platform and type",
     "Movies solid, TV shows hatched; click a bar to keep its platform", 360),
    (ids.EXPLORE_CHART_RELEASES, "Releases per year", "Titles by release year; click a point to keep its year", 360),
    (ids.EXPLORE_CHART_MINUTES, "Movie runtimes",
     "Box: middle half of movies; whiskers: 5th–95th percentile; dashed: mean; click a box to keep its platform",
     360),
    (ids.EXPLORE_CHART_SEASONS, "TV show seasons", "Share of each platform's shows by number of seasons", 360),
    (ids.EXPLORE_CHART_MATURITY, "Maturity ratings mix",
     "Rating codes grouped into audiences (hover for the codes); click a bar to keep its platform", 360),
    (ids.EXPLORE_CHART_GENRES, "Top genres per platform",
     "Each platform's six most common genres (one vocabulary for all four); cells: share of its titles; click a "
     "cell to keep its genre", 500),
    (ids.EXPLORE_CHART_COUNTRIES, "Top countries", "Ten countries with most titles; co-productions count for each",
     500),
    (ids.EXPLORE_CHART_SCORES, "Mean score distribution", "Mean user score of each rated title", 360),
    (ids.EXPLORE_CHART_ACTIVITY, "Rating activity over time", "Ratings given to these titles per month", 360),
    (ids.EXPLORE_CHART_USERS, "Ratings per user (long tail)",
     "Users by how many of these titles they rated; line: their share of the ratings", 360),
)


# ---------------------------------------------------------------------------------------------- URL state
@dataclass(frozen=True)
class ExploreState:
    """Widget values of the panel: platforms, content type, release-year range, table's minimum ratings, genres."""

    platforms: tuple[str, ...]
    content_type: str
    years: tuple[int, int]
    min_ratings: int
    genres: tuple[str, ...] = ()


def default_state(bounds: tuple[int, int]) -> ExploreState:
    """Every platform, both types, every year, the default minimum number of ratings, every genre."""
    return ExploreState(PLATFORMS, "all", bounds, DEFAULT_MIN_RATINGS)


def parse_platform_list(text: str) -> tuple[str, ...]:
    """Platforms from 'netflix,Disney+' ('none': no platform); InvalidQuery for unknown names or an empty list."""
    if bounded(text, "platforms").strip().lower() == "none":
        return ()
    names = split_list(text)
    if not names:
        raise InvalidQuery("no platform named")
    chosen = {parse_platform(name) for name in names}
    return tuple(p for p in PLATFORMS if p in chosen)


def parse_genre_list(text: str, known: tuple[str, ...]) -> tuple[str, ...]:
    """Genres from 'drama,sci-fi-fantasy' (slugs or names), in the catalogue's order; InvalidQuery for unknown ones."""
    names = split_list(bounded(text, "genres", 2000))
    if not names:
        raise InvalidQuery("no genre named")
    chosen = {parse_genre(name, known) for name in names}
    return tuple(name for name in known if name in chosen)


def parse_year_range(text: str, bounds: tuple[int, int]) -> tuple[int, int]:
    """'2000-2010' (or a single year) as an ordered range clipped to bounds; InvalidQuery if it misses them."""
    # Split on the separator alone and strip the parts: a pattern with optional spaces on both sides of the
    # separator backtracks quadratically over a run of spaces.
    parts = [p.strip() for p in YEAR_SEPARATOR.split(bounded(text, "years", 40))]
    parts = [p for p in parts if p]
    if not 1 <= len(parts) <= 2 or not all(re.fullmatch(r"\d{1,4}", p) for p in parts):
        raise InvalidQuery(f"not a year range: {quoted(text)}")
    start, end = sorted(int(p) for p in (parts * 2)[:2])
    low, high = bounds
    if end < low or start > high:
        raise InvalidQuery(f"years {quoted(text)} are outside {low}-{high}")
    return max(start, low), min(end, high)


def parse_min_ratings(value: object) -> int:
    """A whole number of ratings from 0 to MAX_MIN_RATINGS; InvalidQuery otherwise."""
    message = f"Enter a whole number of ratings from 0 to {MAX_MIN_RATINGS:,}"
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        raise InvalidQuery(message)
    if isinstance(value, str) and len(value) > 20:  # float() of a long digit string is no number anyone typed
        raise InvalidQuery(message)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidQuery(message) from None
    if not number.is_integer() or not 0 <= number <= MAX_MIN_RATINGS:
        raise InvalidQuery(message)
    return int(number)


def state_from_query(query: dict[str, str], bounds: tuple[int, int],
                     known_genres: tuple[str, ...] = ()) -> tuple[ExploreState, list[str]]:
    """Widget values from URL query parameters, and the names of the parameters that were invalid (defaulted)."""
    state, invalid = default_state(bounds), []
    values = {}
    readers = {"platforms": parse_platform_list,
               "type": lambda text: parse_content_type(text),
               "years": lambda text: parse_year_range(text, bounds),
               "genres": lambda text: parse_genre_list(text, known_genres),
               "min_ratings": parse_min_ratings}
    for key, read in readers.items():
        if key in query:
            try:
                values[key] = read(str(query[key]))
            except (InvalidQuery, ValueError, TypeError):
                invalid.append(key)
    return ExploreState(platforms=values.get("platforms", state.platforms),
                        content_type=values.get("type", state.content_type),
                        years=values.get("years", state.years),
                        min_ratings=values.get("min_ratings", state.min_ratings),
                        genres=values.get("genres", state.genres)), invalid


def query_string(platforms: object, content_type: object, years: object, min_ratings: object,
                 bounds: tuple[int, int], genres: object = None, known_genres: tuple[str, ...] = ()) -> str:
    """The URL search ('?type=movie&years=2000-2010', '' for defaults) of widget values; invalid ones are left out."""
    values: dict[str, object] = {}
    try:
        filters = eda.make_filters(platforms, content_type, years, bounds, genres, known_genres)
    except InvalidQuery:
        filters = None
    if filters is not None:
        if set(filters.platforms) != set(PLATFORMS):
            values["platforms"] = list(filters.platforms) or "none"
        values["type"] = TYPE_IN_URL.get(filters.content_type)
        values["years"] = f"{filters.years[0]}-{filters.years[1]}" if filters.years else None
        values["genres"] = [slug(genre) for genre in filters.genres]
    try:
        count = parse_min_ratings(min_ratings)
        values["min_ratings"] = count if count != DEFAULT_MIN_RATINGS else None
    except InvalidQuery:
        pass
    return to_query_string(values).replace("%2C", ",")  # commas are fine in a query and easier to read


# ---------------------------------------------------------------------------------------------- components
def year_marks(bounds: tuple[int, int]) -> dict[int, str]:
    """Slider marks every 20 years (on round years), plus both ends when not crowded."""
    low, high = bounds
    step = 20 if high - low > 60 else 10 if high - low > 20 else 5 if high - low > 5 else 1
    marks = {year: str(year) for year in range(-(-low // step) * step, high + 1, step)}
    for end in (low, high):
        if all(abs(end - year) >= step / 2 for year in marks):
            marks[end] = str(end)
    return dict(sorted(marks.items()))


def platform_option(platform: str) -> dict:
    """A checklist option: colour swatch and display name."""
    return {"label": html.Span([html.Span(className="platform-swatch", style={"backgroundColor": color(platform)}),
                                label(platform)]),
            "value": platform}


def genre_options(known: tuple[str, ...]) -> list[dict]:
    """The genre picker's options: canonical genres by display name."""
    return [{"label": display_name(genre), "value": genre} for genre in known]


def filter_bar(state: ExploreState, bounds: tuple[int, int], known_genres: tuple[str, ...] = ()) -> dbc.Card:
    """Platforms, content type, release-year range and genres: they drive every chart and the headline numbers."""
    return dbc.Card(dbc.CardBody(dbc.Row([
        dbc.Col([dbc.Label("Platforms", html_for=ids.EXPLORE_PLATFORMS, class_name="filter-label"),
                 dbc.Checklist(id=ids.EXPLORE_PLATFORMS, options=[platform_option(p) for p in PLATFORMS],
                               value=list(state.platforms), inline=True, class_name="platform-checklist")],
                xs=12, md=6, xl=4),
        dbc.Col([dbc.Label("Content type", html_for=ids.EXPLORE_TYPE, class_name="filter-label"),
                 html.Div(dbc.RadioItems(id=ids.EXPLORE_TYPE, options=[{"label": text, "value": value}
                                                                       for value, text in TYPE_OPTIONS],
                                         value=state.content_type, class_name="btn-group",
                                         input_class_name="btn-check",
                                         label_class_name="btn btn-outline-primary btn-sm",
                                         label_checked_class_name="active"))],
                xs=12, md=6, xl=3),
        dbc.Col([dbc.Label("Release years", html_for=ids.EXPLORE_YEARS, class_name="filter-label"),
                 dcc.RangeSlider(id=ids.EXPLORE_YEARS, min=bounds[0], max=bounds[1], step=1,
                                 value=list(state.years), marks=year_marks(bounds), allowCross=False,
                                 updatemode="mouseup", className="year-slider",
                                 tooltip={"placement": "bottom", "always_visible": False})],
                xs=12, md=9, xl=4),
        dbc.Col(dbc.Button("Reset", id=ids.EXPLORE_RESET, color="secondary", outline=True, size="sm",
                           title="Back to every platform, type, year and genre"),
                xs=12, md=3, xl=1, class_name="d-flex align-items-end justify-content-md-end"),
        dbc.Col([dbc.Label("Genres", html_for=ids.EXPLORE_GENRES, class_name="filter-label"),
                 dcc.Dropdown(id=ids.EXPLORE_GENRES, options=genre_options(known_genres), value=list(state.genres),
                              multi=True, placeholder="All genres: pick one or more to keep titles of any of them",
                              className="genre-picker")],
                xs=12),
    ], class_name="g-3 align-items-start")), class_name="explore-filters mb-3")


def headline_card(card_id: str, name: str, value: str, note: str) -> dbc.Col:
    """One headline number with a short explanation."""
    return dbc.Col(dbc.Card(dbc.CardBody([
        html.Div(name, className="text-body-secondary small text-uppercase fw-semibold kpi-name"),
        html.Div(value, id=card_id, className="fw-semibold kpi-value"),
        html.Div(note, className="text-body-secondary small kpi-note"),
    ]), class_name="h-100 kpi-card"), xs=6, lg=3)


def headline_cards(numbers: eda.Headline, catalogue_titles: int) -> list[dbc.Col]:
    """The four headline cards: titles, users, ratings, mean title score."""
    share = 100 * numbers["titles"] / catalogue_titles if catalogue_titles else 0.0
    score = "—" if numbers["mean_score"] is None else f"{numbers['mean_score']:.2f}"
    return [
        headline_card(ids.EXPLORE_KPI_TITLES, "Titles", f"{numbers['titles']:,}",
                      f"{share:.0f}% of {catalogue_titles:,} in the catalogues"),
        headline_card(ids.EXPLORE_KPI_USERS, "Users", f"{numbers['users']:,}", "who rated these titles"),
        headline_card(ids.EXPLORE_KPI_RATINGS, "Ratings", f"{numbers['ratings']:,}", "given to these titles"),
        headline_card(ids.EXPLORE_KPI_SCORE, "Mean score", score,
                      f"average over {numbers['rated_titles']:,} rated titles, scale {SCORE_SCALE}"),
    ]


def chart_card(graph_id: str, title: str, caption: str, height: int) -> dbc.Col:
    """A chart in a card, with a loading spinner for slow updates, and its text alternative: a sentence saying what
    it shows (filled with the figure) and its numbers as a table behind a toggle (filled when opened)."""
    graph = dcc.Graph(id=graph_id, figure=empty("", None), config=GRAPH_CONFIG, style={"height": f"{height}px"},
                      className="explore-graph")
    return dbc.Col(dbc.Card([
        dbc.CardHeader([html.H2(title, className="h6 mb-0"), html.Small(caption, className="text-body-secondary")]),
        dbc.CardBody([
            dcc.Loading(graph, type="circle", delay_show=200, color="var(--bs-primary)"),
            html.P(id=ids.EXPLORE_CHART_SUMMARIES[graph_id], className="chart-summary"),
            table_toggle(ids.EXPLORE_CHART_TABLE_TOGGLES[graph_id], ids.EXPLORE_CHART_TABLES[graph_id], False),
            scroll_region(ids.EXPLORE_CHART_TABLES[graph_id], f"{title}: data table", "chart-data", hidden=True),
        ], class_name="p-2"),
    ], class_name="h-100 chart-card"), xs=12, xl=6)


def table_toggle(toggle_id: str, table_id: str, is_open: bool) -> html.Button:
    """The 'Show as table' / 'Hide table' button of a chart (a disclosure: aria-expanded, aria-controls)."""
    return html.Button(table_toggle_text(is_open), id=toggle_id, type="button", n_clicks=0,
                       className="btn btn-link btn-sm p-0 chart-table-toggle",
                       **{"aria-expanded": "true" if is_open else "false", "aria-controls": table_id})


def table_toggle_text(is_open: bool) -> list:
    """The toggle's label, with a disclosure triangle screen readers skip (aria-expanded says it)."""
    return [html.Span("▾ " if is_open else "▸ ", **{"aria-hidden": "true"}), "Hide table" if is_open else "Show as table"]


def top_titles_card(state: ExploreState) -> dbc.Col:
    """The best-scored titles under the filters, with a minimum number of ratings and a CSV download."""
    return dbc.Col(dbc.Card([
        dbc.CardHeader(dbc.Row([
            dbc.Col([html.H2(f"Top {TOP_TITLES} titles by mean score", className="h6 mb-0"),
                     html.Small("Under the filters above; ties: more ratings first", className="text-body-secondary")],
                    xs=12, md=True),
            dbc.Col(dbc.InputGroup([
                dbc.InputGroupText(html.Label("Min. ratings", htmlFor=ids.EXPLORE_TOP_MIN_RATINGS, className="mb-0")),
                dbc.Input(id=ids.EXPLORE_TOP_MIN_RATINGS, type="number", min=0, max=MAX_MIN_RATINGS, step=1,
                          value=state.min_ratings, debounce=0.5, html_size=6),
                dbc.FormFeedback(f"Enter a whole number from 0 to {MAX_MIN_RATINGS:,}", type="invalid"),
            ], size="sm", class_name="has-validation"), xs="auto"),
            dbc.Col(csv_download_button(ids.EXPLORE_TOP_CSV_BUTTON, ids.EXPLORE_TOP_CSV), xs="auto"),
        ], class_name="g-2 align-items-center")),
        dbc.CardBody(dcc.Loading(scroll_region(ids.EXPLORE_TOP_TABLE, f"Top {TOP_TITLES} titles by mean score",
                                               "top-table"), type="circle", delay_show=200), class_name="p-0"),
    ], class_name="chart-card"), xs=12)


def link_alert(invalid: list[str]) -> dbc.Alert | None:
    """A notice that some URL parameters were invalid and replaced by defaults."""
    if not invalid:
        return None
    return dbc.Alert([html.Strong("Some settings in this link were not valid "), f"({', '.join(invalid)}) ",
                      "and were reset to their defaults."],
                     id=ids.EXPLORE_LINK_ALERT, color="warning", dismissable=True, class_name="py-2")


def layout(**query: str) -> html.Div:
    """The Explore page, with filters pre-filled from the URL query."""
    data = catalog()
    bounds, known = eda.year_bounds(data.titles), eda.genre_names(data.titles)
    state, invalid = state_from_query(query, bounds, known)
    return html.Div([
        dcc.Location(id=ids.EXPLORE_URL, refresh=False),
        page_header("Explore the catalogues",
                    "Compare Amazon Prime, Disney+, Hulu and Netflix: every number and chart follows the filters; "
                    "click a platform, a year or a genre cell in a chart to filter by it"),
        filter_bar(state, bounds, known),
        link_alert(invalid),
        html.Div(id=ids.EXPLORE_ALERT),
        dbc.Row(headline_cards(_initial_headline(data, state, bounds), len(data.titles)), id=ids.EXPLORE_HEADLINES,
                class_name="g-3 mb-3"),
        dbc.Row([chart_card(*chart) for chart in CHARTS] + [top_titles_card(state)], class_name="g-3"),
    ], className="explore-page")


def _initial_headline(data, state: ExploreState, bounds: tuple[int, int]) -> eda.Headline:
    """Headline numbers of the pre-filled filters, so the cards are right before any callback runs."""
    filters = eda.make_filters(list(state.platforms), state.content_type, list(state.years), bounds,
                               list(state.genres), eda.genre_names(data.titles))
    titles = eda.select(data.titles, filters)
    ratings = title_ratings.for_catalog(data) if filters.genres else None
    return eda.headline(titles, eda.kept_user_totals(titles, filters, data.user_segments, ratings))

