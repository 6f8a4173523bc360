"""Title page and navigation search callbacks: the rating chart (theme), similar titles (the recommender may still
be being prepared: the card polls until it is ready), and the search box's options and where a choice leads.

Each callback wraps a pure function (`distribution_figure`, `similar_view`, `search_options`, `destination`) that
the tests call directly; an unexpected error is logged and shown as a short message, never a traceback.
"""

from __future__ import annotations

import logging
from typing import Callable

import pandas as pd
from dash import Input, Output, State, callback, html, no_update

from core import Catalog, eda, search, title_ratings
from core.errors import InvalidQuery, ModelMissing, NotFound, NotReady
from core.genres import display_name, slug
from core.titles import Ratings, find_title, title_details
from layouts import ids
from layouts import title as page
from layouts.figures import PLATFORM_COLORS, empty_dict, merged, themed_layout
from layouts.recommend import preparing
from layouts.state import catalog, recommender
from layouts.tables import title_href

log = logging.getLogger(__name__)
SIMILAR_K = 10
SEARCH_TITLES, SEARCH_GENRES = 8, 3
PLATFORM_GREY = "#8c96a5"
FAILED = "Something went wrong while loading this part of the page; reload to try again."


# ---------------------------------------------------------------------------------------------- title page
def distribution_figure(ratings: Ratings, platform: str, theme: str | None) -> dict:
    """Share of the title's ratings per star value beside the share of its platform's (a Plotly JSON dict)."""
    if not ratings["platform_count"]:
        return empty_dict("No ratings on this platform", theme)
    stars = list(ratings["stars"])
    name = search.platform_name(platform)
    traces = []
    if ratings["count"]:
        traces.append(_bars("This title", [100 * ratings["stars"][s] / ratings["count"] for s in stars],
                            [ratings["stars"][s] for s in stars], stars, PLATFORM_COLORS.get(platform, "#4c78a8")))
    traces.append(_bars(f"All {name} titles", [100 * ratings["platform_stars"][s] / ratings["platform_count"]
                                               for s in stars], [ratings["platform_stars"][s] for s in stars],
                        stars, PLATFORM_GREY))
    notes = [] if ratings["count"] else [{"text": "No ratings of this title yet", "showarrow": False,
                                          "xref": "paper", "yref": "paper", "x": 0.02, "y": 0.98,
                                          "xanchor": "left", "yanchor": "top"}]
    return {"data": traces, "layout": merged(themed_layout(theme), {
        "margin": {"l": 40, "r": 8, "t": 28, "b": 32}, "barmode": "group", "bargap": 0.2, "annotations": notes,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0},
        "xaxis": {"type": "category", "title": {"text": "Rating (stars)"}, "fixedrange": True},
        "yaxis": {"title": {"text": "Share (%)"}, "ticksuffix": "%", "fixedrange": True, "rangemode": "tozero"}})}


def _bars(name: str, shares: list[float], counts: list[int], stars: list[str], color: str) -> dict:
    """One bar trace of shares per star value, counts on hover."""
    return {"type": "bar", "name": name, "x": stars, "y": [round(v, 2) for v in shares], "customdata": counts,
            "marker": {"color": color},
            "hovertemplate": f"{name}<br>%{{x}} stars: %{{y:.1f}}% (%{{customdata:,}} ratings)<extra></extra>"}


def chart_view(cat: Catalog, title_id: object, theme: str | None) -> dict:
    """The rating chart of the title shown (an empty chart on a not-found page or for an id that names none)."""
    if not title_id:
        return empty_dict("", theme)
    try:
        details = title_details(cat.titles, title_ratings.for_catalog(cat), title_id)
    except (InvalidQuery, NotFound):
        return empty_dict("No such title", theme)
    return distribution_figure(details["ratings"], details["platform"], theme)


def similar_view(cat: Catalog, get_model: Callable[[], object], title_id: object) -> tuple[object, bool]:
    """(similar titles or why there are none, poll disabled?) of the title shown."""
    if not title_id:
        return None, True
    try:
        rows = get_model().similar_titles(find_title(cat.titles, title_id), SIMILAR_K)
    except NotReady as exc:  # polled again while it is prepared; a missing model is said once
        return preparing(str(exc), exc.progress or {}), isinstance(exc, ModelMissing)
    except (InvalidQuery, NotFound) as exc:
        return html.P(f"{exc}.", className="mb-0 text-body-secondary"), True
    years = cat.titles["release_year"].reindex([row["id"] for row in rows])
    for row, year in zip(rows, years.tolist()):
        row.setdefault("release_year", None if pd.isna(year) else int(year))
    return page.similar_list(rows), True


@callback(Output(ids.TITLE_DISTRIBUTION, "figure"), Input(ids.TITLE_ID_STORE, "data"),
          Input(ids.THEME_STORE, "data"))
def update_distribution(title_id, theme):
    """Draw the title's rating distribution in the page's theme."""
    try:
        return chart_view(catalog(), title_id, theme)
    except Exception:  # noqa: BLE001 -- an empty chart with a reason; the log has the traceback
        log.exception("title page: chart failed for %r", title_id)
        return empty_dict("Could not draw this chart", theme)


@callback(Output(ids.TITLE_SIMILAR, "children"), Output(ids.TITLE_SIMILAR_POLL, "disabled"),
          Input(ids.TITLE_ID_STORE, "data"), Input(ids.TITLE_SIMILAR_POLL, "n_intervals"))
def update_similar(title_id, _poll):
    """List the similar titles (while the recommender is prepared: its progress, polled)."""
    try:
        return similar_view(catalog(), recommender, title_id)
    except Exception:  # noqa: BLE001
        log.exception("title page: similar titles failed for %r", title_id)
        return html.P(FAILED, className="mb-0 text-danger"), True


# ---------------------------------------------------------------------------------------------- search box
def search_options(cat: Catalog, text: object) -> list[dict]:
    """The search box's options for the typed text: matching canonical genres (to Explore), then titles (to their
    page). `search` holds the typed text too, so the dropdown's own filter keeps the server's typo matches."""
    typed = str(text or "")[:100]
    if not typed.strip():
        return []
    genres = search.search_genres(typed, eda.genre_names(cat.titles), SEARCH_GENRES)
    titles = search.search_titles(cat.titles, typed, SEARCH_TITLES)
    options = [{"label": f"Genre: {display_name(genre)} (in Explore)", "value": f"genre:{slug(genre)}"}
               for genre in genres]
    options += [{"label": label, "value": f"title:{title_id}"} for title_id, label in titles]
    return [{**option, "search": f"{search.normalize(option['label'])} {typed.lower()}"} for option in options]


def destination(value: object) -> str | None:
    """Where a chosen option leads: a title's page or Explore filtered by a genre; None for anything else."""
    if not isinstance(value, str) or len(value) > 120:
        return None
    kind, _, key = value.partition(":")
    if kind == "title" and key:
        return title_href(key)
    if kind == "genre" and key:
        return f"/?genres={slug(key)}"
    return None


@callback(Output(ids.NAV_SEARCH, "options"), Input(ids.NAV_SEARCH, "search_value"), State(ids.NAV_SEARCH, "value"),
          prevent_initial_call=True)
def update_search_options(text, value):
    """Titles and genres matching what is typed (searched on the server)."""
    try:
        return search_options(catalog(), text)
    except Exception:  # noqa: BLE001 -- keep the current options
        log.exception("navigation search failed for %r", text)
        return no_update


@callback(Output(ids.NAV_GO, "href"), Output(ids.NAV_SEARCH, "value"), Input(ids.NAV_SEARCH, "value"),
          prevent_initial_call=True)
def go_to_choice(value):
    """Open the chosen title's page (or Explore filtered by the chosen genre), then empty the box."""
    href = destination(value)
    return (href, None) if href else (no_update, no_update)
