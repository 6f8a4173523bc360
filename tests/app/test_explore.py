"""Explore panel: URL state, layout, callback logic as plain functions, the callbacks through the server, and one
browser test (charts render, filters write the URL, a URL restores the filters, back restores them too)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import plotly.graph_objects as go
import pytest
from dash import html, no_update
from plotly.utils import PlotlyJSONEncoder
from selenium.common.exceptions import StaleElementReferenceException

from callbacks import explore as cb
from core import eda
from core.config import PLATFORMS
from layouts import explore as panel
from layouts import explore_charts as charts
from layouts import ids, tables
from tests.app.components import find, text_of, wait_until

BOUNDS = (1920, 2021)


@pytest.fixture(scope="module")
def bounds(data):
    return eda.year_bounds(data.titles)


def count(data, platforms=PLATFORMS, content_type="all", years=None) -> int:
    """How many titles core.eda keeps for these filters."""
    return len(eda.filter_titles(data.titles, eda.Filters(tuple(platforms), content_type, years)))


def ids_in(node) -> set[str]:
    """Every string id in a serialised layout."""
    found = set()
    if isinstance(node, dict):
        if isinstance(node.get("props", {}).get("id"), str):
            found.add(node["props"]["id"])
        for value in node.get("props", {}).values():
            found |= ids_in(value)
    elif isinstance(node, list):
        for item in node:
            found |= ids_in(item)
    return found


def is_message(figure: dict, message: str) -> bool:
    """True when the figure is an empty chart showing this message."""
    return not figure["data"] and [a["text"] for a in figure["layout"].get("annotations", [])] == [message]


# ---------------------------------------------------------------------------------------------- tables helpers
def test_display_text_title_cases_data_text_and_marks_missing_values():  # title_case itself: tests/core/test_text.py
    assert tables.display_text("kids' tv") == "Kids' TV" and tables.display_text(None) == "—"


def test_frame_table_csv_button_and_payload():
    frame = pd.DataFrame({"title": ["the irishman"], "ratings": [1234]})
    table = tables.frame_table(frame, {"title": "Title", "ratings": "Ratings"}, {"ratings": lambda v: f"{v:,}"},
                               numeric=("ratings",))
    assert text_of(table) == "Title Ratings The Irishman 1,234"
    button = tables.csv_download_button("some-button", "some-download")
    assert find(button, "some-button") is not None and find(button, "some-download") is not None
    payload = tables.send_csv(frame, "x.csv")
    assert payload["filename"] == "x.csv" and payload["content"] == "title,ratings\nthe irishman,1234\n"


# ---------------------------------------------------------------------------------------------- URL state
def test_query_string_leaves_defaults_out_and_round_trips():
    assert panel.query_string(list(PLATFORMS), "all", list(BOUNDS), 100, BOUNDS) == ""
    search = panel.query_string(["netflix"], "movie", [2000, 2010], 50, BOUNDS)
    assert search == "?platforms=netflix&type=movie&years=2000-2010&min_ratings=50"
    state, invalid = panel.state_from_query({k: v[0] for k, v in parse_qs(search[1:]).items()}, BOUNDS)
    assert state == panel.ExploreState(("netflix",), "movie", (2000, 2010), 50) and invalid == []
    tv = panel.query_string(["hulu", "disney"], "tv show", list(BOUNDS), 100, BOUNDS)
    assert tv == "?platforms=disney,hulu&type=tv"


def test_query_string_keeps_an_empty_platform_choice_and_drops_invalid_values():
    assert panel.query_string([], "all", list(BOUNDS), 100, BOUNDS) == "?platforms=none"
    assert panel.state_from_query({"platforms": "none"}, BOUNDS)[0].platforms == ()
    assert panel.query_string(["netflix"], "all", ["x", 5], -3, BOUNDS) == ""  # invalid filters, invalid minimum


def test_state_from_query_reads_aliases_and_orders_and_clips_years():
    state, invalid = panel.state_from_query({"platforms": "Netflix, disney+", "type": "TV", "years": "2010-1990",
                                             "min_ratings": "0"}, BOUNDS)
    assert state == panel.ExploreState(("disney", "netflix"), "tv show", (1990, 2010), 0) and invalid == []
    assert panel.state_from_query({"years": "1900-1950"}, BOUNDS)[0].years == (1920, 1950)
    assert panel.state_from_query({"years": "2015"}, BOUNDS)[0].years == (2015, 2015)


@pytest.mark.parametrize("query, bad", [
    ({"platforms": "hbo"}, "platforms"),
    ({"platforms": ","}, "platforms"),
    ({"type": "cartoon"}, "type"),
    ({"years": "abc"}, "years"),
    ({"years": "1700-1800"}, "years"),
    ({"years": "2000-2005-2010"}, "years"),
    ({"min_ratings": "-4"}, "min_ratings"),
    ({"min_ratings": "2.5"}, "min_ratings"),
    ({"min_ratings": "1e9"}, "min_ratings"),
])
def test_state_from_query_falls_back_to_defaults_for_bad_values(query, bad):
    state, invalid = panel.state_from_query(query, BOUNDS)
    assert state == panel.default_state(BOUNDS) and invalid == [bad]


# ---------------------------------------------------------------------------------------------- layout
def test_layout_prefills_the_widgets_and_headline_from_the_query(app, data, bounds):
    with app.server.test_request_context("/"):
        page = panel.layout(platforms="netflix", type="movie", years=f"{bounds[0]}-{bounds[1] - 1}")
    assert find(page, ids.EXPLORE_PLATFORMS).value == ["netflix"]
    assert find(page, ids.EXPLORE_TYPE).value == "movie"
    assert find(page, ids.EXPLORE_YEARS).value == [bounds[0], bounds[1] - 1]
    expected = count(data, ["netflix"], "movie", (bounds[0], bounds[1] - 1))
    assert find(page, ids.EXPLORE_KPI_TITLES).children == f"{expected:,}"
    assert find(page, ids.EXPLORE_LINK_ALERT) is None
    charts = [find(page, chart) for chart in ids.EXPLORE_CHARTS]
    assert all(chart is not None for chart in charts) and len(charts) >= 9


def test_layout_with_a_bad_link_shows_defaults_and_a_notice(app, data, bounds):
    with app.server.test_request_context("/"):
        page = panel.layout(platforms="hbo", years="soon")
    assert find(page, ids.EXPLORE_PLATFORMS).value == list(PLATFORMS)
    assert find(page, ids.EXPLORE_YEARS).value == list(bounds)
    assert "platforms, years" in text_of(find(page, ids.EXPLORE_LINK_ALERT))
    assert find(page, ids.EXPLORE_KPI_TITLES).children == f"{len(data.titles):,}"


def test_the_router_serves_the_panel_for_a_url_with_a_query(app, bounds):
    """The page as the browser gets it: the pages router callback, called over HTTP."""
    client = app.server.test_client()
    client.get("/")
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/"},
                       {"id": "_pages_location", "property": "search", "value": "?platforms=hulu&type=tv"}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    content = response.get_json()["response"]["_pages_content"]["children"]
    assert {ids.EXPLORE_PLATFORMS, ids.EXPLORE_YEARS, ids.EXPLORE_TOP_CSV_BUTTON, *ids.EXPLORE_CHARTS} <= ids_in(content)
    assert '"value": ["hulu"]' in json.dumps(content) and '"value": "tv show"' in json.dumps(content)


# ---------------------------------------------------------------------------------------------- callbacks
def test_explore_view_draws_every_chart_with_the_headline_of_core_eda(data, bounds):
    view = cb.explore_view(data, ["netflix", "hulu"], "all", [bounds[0] + 1, bounds[1]], "light")
    assert view.alert is None and len(view.figures) == len(ids.EXPLORE_CHARTS) >= 9
    for chart_id, figure in view.figures.items():
        go.Figure(figure)  # every property is valid Plotly
        assert figure["data"], chart_id
    cards = {card: find(html.Div(view.headlines), card).children for card in
             (ids.EXPLORE_KPI_TITLES, ids.EXPLORE_KPI_RATINGS, ids.EXPLORE_KPI_USERS, ids.EXPLORE_KPI_SCORE)}
    filters = eda.Filters(("hulu", "netflix"), "all", (bounds[0] + 1, bounds[1]))
    numbers = eda.headline(eda.filter_titles(data.titles, filters), eda.user_totals(data.user_segments, filters))
    assert cards[ids.EXPLORE_KPI_TITLES] == f"{numbers['titles']:,}"
    assert cards[ids.EXPLORE_KPI_RATINGS] == f"{numbers['ratings']:,}"
    assert cards[ids.EXPLORE_KPI_USERS] == f"{numbers['users']:,}"
    assert cards[ids.EXPLORE_KPI_SCORE] == f"{numbers['mean_score']:.2f}"
    platforms = {trace["name"] for trace in view.figures[ids.EXPLORE_CHART_RELEASES]["data"]}
    assert platforms == {"Hulu", "Netflix"}  # display names, only the chosen platforms


def test_users_card_and_user_charts_follow_type_and_year_filters(data, bounds):
    every = cb.explore_view(data, list(PLATFORMS), "all", list(bounds), "light")
    narrow = cb.explore_view(data, ["disney"], "tv show", [bounds[1] - 10, bounds[1]], "light")
    users = {name: int(find(html.Div(view.headlines), ids.EXPLORE_KPI_USERS).children.replace(",", ""))
             for name, view in (("every", every), ("narrow", narrow))}
    assert users["every"] == len(data.users) and 0 < users["narrow"] < users["every"] / 2
    bars = narrow.figures[ids.EXPLORE_CHART_USERS]["data"][0]
    assert sum(bars["y"]) == users["narrow"]  # every user who rated one of these titles, in some bin
    ratings = int(find(html.Div(narrow.headlines), ids.EXPLORE_KPI_RATINGS).children.replace(",", ""))
    activity = narrow.figures[ids.EXPLORE_CHART_ACTIVITY]["data"]
    assert [trace["name"] for trace in activity] == ["Disney+"] and sum(activity[0]["y"]) == ratings


FIGURES = Path(__file__).with_name("explore_figures.json")
# Filter settings of the demo data (years 1941-2021) that the figures of FIGURES were drawn for.
SETTINGS = {
    "no filter": (list(PLATFORMS), "all", None, "light"),
    "one platform": (["netflix"], "all", None, "dark"),
    "tv only": (["amazon", "hulu"], "tv show", None, "light"),
    "movies, narrow years": (list(PLATFORMS), "movie", [2015, 2016], "light"),
    "old years": (["disney", "netflix"], "all", [1950, 1990], "dark"),
    "one title": (["disney"], "tv show", [1955, 1955], "dark"),
    "empty": (["disney"], "tv show", [1959, 1964], "light"),
}
TRACE_KEYS = ("type", "name", "orientation", "x", "y", "z", "text", "customdata", "q1", "median", "q3",
              "lowerfence", "upperfence", "mean")


def unknown_years(catalog, year: int = 2010):
    """The catalog with one release year made unknown in the titles and both rating summaries."""
    frames = {name: getattr(catalog, name).assign(release_year=lambda f: f["release_year"].mask(
        f["release_year"] == year)) for name in ("titles", "user_segments", "activity")}
    return dataclasses.replace(catalog, **frames)


def figures_as_data(catalog) -> dict:
    """The Explore view of every setting (the demo catalog as is, and with titles without a release year): headline
    numbers, and per figure the traces' data, annotations, axis titles and category orders."""
    views = {}
    for prefix, cat in (("", catalog), ("unknown 2010, ", unknown_years(catalog))):
        bounds = eda.year_bounds(cat.titles)
        for name, (platforms, kind, years, theme) in SETTINGS.items():
            view = cb.explore_view(cat, platforms, kind, years or list(bounds), theme)
            views[prefix + name] = {"headlines": text_of(html.Div(view.headlines)),
                                    "figures": {chart: figure_data(f) for chart, f in view.figures.items()}}
    return json.loads(json.dumps(views, cls=PlotlyJSONEncoder))


def figure_data(figure: dict) -> dict:
    """What a figure shows, as data."""
    layout = figure["layout"]
    axes = {key: value for key, value in layout.items() if key.startswith(("xaxis", "yaxis"))}
    return {"traces": [{key: trace[key] for key in TRACE_KEYS if key in trace} for trace in figure["data"]],
            "annotations": [note.get("text") for note in layout.get("annotations", [])],
            "axis titles": {key: (axis.get("title") or {}).get("text") for key, axis in axes.items()},
            "category orders": {key: axis["categoryarray"] for key, axis in axes.items() if "categoryarray" in axis}}


def test_explore_figures_are_those_drawn_before_the_segment_codes(demo_catalog):
    # FIGURES holds figures_as_data(demo catalog) as computed by the pandas version of core.eda (commit 02c1640),
    # which filtered the titles frame and grouped it once per chart: the numpy rewrite draws the very same data.
    # The genres heatmap's entries were redrawn once, unchanged otherwise, when it moved from the catalogues' own
    # labels to the canonical genres (issue 16; its counts are checked by hand in tests/core/test_eda.py).
    expected = json.loads(FIGURES.read_text(encoding="utf-8"))
    actual = figures_as_data(demo_catalog)
    assert list(actual) == list(expected)
    for setting, view in expected.items():
        assert actual[setting]["headlines"] == view["headlines"], setting
        for chart, figure in view["figures"].items():  # as JSON text: 3 and 3.0 differ
            assert json.dumps(actual[setting]["figures"][chart]) == json.dumps(figure), f"{setting}: {chart}"
    assert "No titles match" in expected["empty"]["figures"][ids.EXPLORE_CHART_TYPES]["annotations"][0]


def test_explore_view_follows_the_theme(data, bounds):
    light = cb.explore_view(data, list(PLATFORMS), "all", list(bounds), "light").figures
    dark = cb.explore_view(data, list(PLATFORMS), "all", list(bounds), "dark").figures
    for chart in ids.EXPLORE_CHARTS:
        assert light[chart]["layout"]["template"] != dark[chart]["layout"]["template"]
        assert dark[chart]["layout"]["template"]["layout"]["paper_bgcolor"] == "rgb(17,17,17)"


def test_explore_view_only_tv_shows_explains_the_empty_movie_chart(data, bounds):
    figures = cb.explore_view(data, list(PLATFORMS), "tv show", list(bounds), None).figures
    assert is_message(figures[ids.EXPLORE_CHART_MINUTES], "No movies match these filters")
    assert figures[ids.EXPLORE_CHART_SEASONS]["data"]


def test_explore_view_without_platforms_or_matches_says_so_inline(data, bounds):
    view = cb.explore_view(data, [], "all", list(bounds), "light")
    assert view.alert.color == "warning" and "at least one platform" in view.alert.children
    assert all(is_message(f, "No platform selected") for f in view.figures.values())
    empty_year = next(year for year in range(bounds[0], bounds[1] + 1) if not count(data, ["disney"], "all",
                                                                                     (year, year)))
    view = cb.explore_view(data, ["disney"], "all", [empty_year, empty_year], "light")
    assert view.alert.color == "info" and "No titles match" in view.alert.children
    assert all(is_message(f, "No titles match these filters") for f in view.figures.values())
    assert find(html.Div(view.headlines), ids.EXPLORE_KPI_TITLES).children == "0"


@pytest.mark.parametrize("platforms, kind, years", [
    (["hbo"], "all", None), (["netflix"], "cartoon", None), (["netflix"], "all", [2010, 2000]),
    (["netflix"], "all", ["a", "b"]), ("netflix", "all", None), (["netflix"], "all", [1000, 3000]),
])
def test_explore_view_invalid_widget_values_are_an_inline_message(data, platforms, kind, years):
    view = cb.explore_view(data, platforms, kind, years, "light")
    assert view.alert.color == "warning" and len(view.outputs()) == 2 + 2 * len(ids.EXPLORE_CHARTS)


def test_top_titles_view_table_and_invalid_minimum(data, bounds):
    table, invalid, disabled = cb.top_titles_view(data, list(PLATFORMS), "all", list(bounds), 0)
    assert not invalid and not disabled
    rows = table.children[1].children
    assert len(rows) == min(panel.TOP_TITLES, int(data.titles["score"].notna().sum()))
    link = rows[0].children[1].children  # the title cell links to the title's page
    top = cb.top_titles_frame(data, list(PLATFORMS), "all", list(bounds), 0)
    assert link.href == f"/title?id={top['id'].iloc[0]}" and link.children == tables.display_text(top["title"].iloc[0])
    genres = rows[0].children[-1].children
    assert genres == cb.genre_text(top["genres"].iloc[0]) and genres == genres.title() or "&" in genres
    for bad in (None, "", "abc", -1, 2.5, 10**9):
        message, invalid, disabled = cb.top_titles_view(data, list(PLATFORMS), "all", list(bounds), bad)
        assert invalid and disabled and "minimum number of ratings" in message.children
    message, invalid, disabled = cb.top_titles_view(data, list(PLATFORMS), "all", list(bounds), 100_000)
    assert not invalid and disabled and "No title" in message.children


def test_top_titles_csv_matches_the_table(data, bounds):
    top = cb.top_titles_frame(data, ["netflix"], "all", list(bounds), 0)
    payload = cb.send_csv(cb.csv_frame(top), "top-titles.csv")
    assert payload["filename"] == "top-titles.csv"
    rows = list(csv.DictReader(io.StringIO(payload["content"])))
    assert list(rows[0]) == ["rank", "id", "title", "platform", "type", "release_year", "mean_score", "ratings",
                             "genres", "labels"]
    assert [row["title"] for row in rows] == top["title"].tolist() and {r["platform"] for r in rows} == {"netflix"}
    scores = [float(row["mean_score"]) for row in rows]
    assert scores == sorted(scores, reverse=True)


GENRES = ("action & adventure", "comedy", "drama", "sci-fi & fantasy")


def test_filters_sync_writes_the_url_reads_it_back_and_resets():
    widgets = (["netflix"], "movie", [2000, 2010], 100, [])
    assert cb.filters_sync(ids.EXPLORE_PLATFORMS, widgets, "", True, BOUNDS, GENRES) == (
        "?platforms=netflix&type=movie&years=2000-2010", *(no_update,) * 5)
    back = cb.filters_sync(ids.EXPLORE_URL, widgets, "?platforms=netflix,hulu&type=movie&years=2000-2010", True,
                           BOUNDS, GENRES)
    assert back == (no_update, ["hulu", "netflix"], no_update, no_update, no_update, no_update)  # only what differs
    assert cb.filters_sync(ids.EXPLORE_URL, widgets, "?platforms=netflix", False, BOUNDS) == (no_update,) * 6
    assert cb.filters_sync(ids.EXPLORE_RESET, widgets, "?type=movie", True, BOUNDS) == (
        "", list(PLATFORMS), "all", list(BOUNDS), panel.DEFAULT_MIN_RATINGS, [])


def test_genres_go_to_the_url_as_slugs_and_come_back():
    widgets = (list(PLATFORMS), "all", list(BOUNDS), 100, ["sci-fi & fantasy", "drama"])
    search, *_ = cb.filters_sync(ids.EXPLORE_GENRES, widgets, "", True, BOUNDS, GENRES)
    assert search == "?genres=drama,sci-fi-fantasy"
    state, invalid = panel.state_from_query({"genres": "Sci-Fi-Fantasy, DRAMA"}, BOUNDS, GENRES)
    assert state.genres == ("drama", "sci-fi & fantasy") and not invalid
    state, invalid = panel.state_from_query({"genres": "drama,unknown"}, BOUNDS, GENRES)
    assert state.genres == () and invalid == ["genres"]
    back = cb.filters_sync(ids.EXPLORE_URL, (list(PLATFORMS), "all", list(BOUNDS), 100, ["drama"]),
                           "?genres=comedy", True, BOUNDS, GENRES)
    assert back == (no_update, no_update, no_update, no_update, no_update, ["comedy"])
    assert panel.query_string(list(PLATFORMS), "all", None, 100, BOUNDS, ["nope"], GENRES) == ""  # invalid: left out


def click(**point) -> dict:
    """A Plotly clickData payload with one point."""
    return {"points": [{"curveNumber": 0, "pointNumber": 1, **point}]}


@pytest.mark.parametrize("chart, data, changed", [
    (ids.EXPLORE_CHART_TYPES, click(x="Disney+", y=1052), {"platforms": ["disney"]}),
    (ids.EXPLORE_CHART_MINUTES, click(x="Netflix<br>6,131 movies"), {"platforms": ["netflix"]}),
    (ids.EXPLORE_CHART_MATURITY, click(x=40.2, y="Amazon Prime"), {"platforms": ["amazon"]}),
    (ids.EXPLORE_CHART_RELEASES, click(x=2019, y=120), {"years": [2019, 2019]}),
    (ids.EXPLORE_CHART_GENRES, click(x="Hulu", y="Sci-Fi & Fantasy", z=12.5), {"genres": ["sci-fi & fantasy"]}),
])
def test_a_chart_click_sets_its_filter_and_writes_the_url(chart, data, changed):
    assert cb.clicked_filter(chart, data, BOUNDS, GENRES) == changed
    widgets = (list(PLATFORMS), "movie", list(BOUNDS), 50, ["drama"])
    out = cb.filters_sync(chart, widgets, "?type=movie&genres=drama&min_ratings=50", True, BOUNDS, GENRES, data)
    names = ("platforms", "type", "years", "min_ratings", "genres")
    assert out[1:] == tuple(changed.get(name, no_update) for name in names)
    new = {**dict(zip(names, widgets)), **changed}
    assert out[0] == panel.query_string(new["platforms"], new["type"], new["years"], new["min_ratings"], BOUNDS,
                                        new["genres"], GENRES)
    assert out[0] != "?type=movie&genres=drama&min_ratings=50"


@pytest.mark.parametrize("chart, data", [
    (ids.EXPLORE_CHART_TYPES, click(x="HBO")), (ids.EXPLORE_CHART_RELEASES, click(x=1700)),
    (ids.EXPLORE_CHART_RELEASES, click(x="soon")), (ids.EXPLORE_CHART_GENRES, click(y="Space Westerns")),
    (ids.EXPLORE_CHART_GENRES, {"points": []}), (ids.EXPLORE_CHART_TYPES, None), (ids.EXPLORE_CHART_MINUTES, "x"),
    (ids.EXPLORE_CHART_RELEASES, click(x=True)), (ids.EXPLORE_CHART_RELEASES, click(x=float("inf"))),
])
def test_a_click_that_names_nothing_changes_nothing(chart, data):
    assert cb.clicked_filter(chart, data, BOUNDS, GENRES) is None
    widgets = (list(PLATFORMS), "all", list(BOUNDS), 100, [])
    assert cb.filters_sync(chart, widgets, "", True, BOUNDS, GENRES, data) == (no_update,) * 6


def test_explore_view_with_a_genre_filter_counts_users_and_ratings_of_those_titles(data, bounds):
    genre = eda.genre_names(data.titles)[0]
    view = cb.explore_view(data, list(PLATFORMS), "all", list(bounds), "light", genres=[genre])
    kept = data.titles[data.titles["genres"].fillna("").str.split(", ").map(lambda g: genre in g)]
    kpi = {name: int(find(html.Div(view.headlines), name).children.replace(",", ""))
           for name in (ids.EXPLORE_KPI_TITLES, ids.EXPLORE_KPI_RATINGS, ids.EXPLORE_KPI_USERS)}
    assert kpi[ids.EXPLORE_KPI_TITLES] == len(kept) and kpi[ids.EXPLORE_KPI_RATINGS] == kept["n_ratings"].sum()
    ratings = data.ratings(["user_id", "id"])
    assert kpi[ids.EXPLORE_KPI_USERS] == ratings.loc[ratings["id"].astype(str).isin(kept["id"]), "user_id"].nunique()
    heatmap = view.figures[ids.EXPLORE_CHART_GENRES]["data"][0]
    assert heatmap["y"][0] == genre.title() or "&" in heatmap["y"][0]  # the chosen genre leads: 100% of titles
    assert sum(view.figures[ids.EXPLORE_CHART_ACTIVITY]["data"][0]["y"]) > 0
    bad = cb.explore_view(data, list(PLATFORMS), "all", list(bounds), "light", genres=["no such genre"])
    assert bad.alert.color == "warning" and "unknown genre" in text_of(bad.alert)


HOSTILE = [None, "", "netflix", 7, -1, 10**400, 1e308, float("nan"), True, [], [None], ["netflix", 7], [{"a": 1}],
           [2000], [2000, "x"], [10**400, 2000], {"a": 1}, "<script>", "2000-2010", [[2000, 2010]]]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_pure_callback_functions_never_raise_on_hostile_values(data, value):
    """Whatever a browser sends, the functions answer (a message, not an exception)."""
    view = cb.explore_view(data, value, value, value, value)
    assert len(view.outputs()) == 2 + 2 * len(ids.EXPLORE_CHARTS)
    view = cb.explore_view(data, ["netflix"], "all", value, "dark")
    assert view.alert is None or view.alert.color in ("warning", "info")
    table, invalid, disabled = cb.top_titles_view(data, ["netflix"], "all", None, value)
    assert isinstance(invalid, bool) and isinstance(disabled, bool)
    assert isinstance(panel.query_string(value, value, value, value, BOUNDS, value, GENRES), str)
    view = cb.explore_view(data, ["netflix"], "all", None, "dark", genres=value)
    assert view.alert is None or view.alert.color in ("warning", "info")
    for trigger in (ids.EXPLORE_PLATFORMS, ids.EXPLORE_URL, ids.EXPLORE_RESET, None, *cb.CLICKABLE):
        assert len(cb.filters_sync(trigger, (value,) * 5, value, True, BOUNDS, GENRES, value)) == 6


def post_callback(client, output: str, inputs: list[tuple[str, str, object]], state=()) -> dict:
    """Call a callback over HTTP like the browser does; the JSON response."""
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in output.strip(".").split("...")]
    body = {"output": output, "outputs": outputs if output.startswith("..") else outputs[0],
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
            "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:500]
    return response.get_json()["response"]


def test_callbacks_over_http_answer_hostile_values_with_messages(app):
    client = app.server.test_client()
    client.get("/")
    charts = "..explore-alert.children...explore-headlines.children..." + "...".join(
        [f"{chart}.figure" for chart in ids.EXPLORE_CHARTS]
        + [f"{ids.EXPLORE_CHART_SUMMARIES[chart]}.children" for chart in ids.EXPLORE_CHARTS]) + ".."
    for years in (["x", None], [2030, 1800], None):
        answer = post_callback(client, charts, [(ids.EXPLORE_PLATFORMS, "value", ["netflix", 7]),
                                                (ids.EXPLORE_TYPE, "value", {"a": 1}), (ids.EXPLORE_YEARS, "value", years),
                                                (ids.EXPLORE_GENRES, "value", [{"a": 1}]),
                                                (ids.THEME_STORE, "data", "dark")])
        assert answer[ids.EXPLORE_ALERT]["children"]["props"]["color"] == "warning"
    table = "..explore-top-table.children...explore-top-min-ratings.invalid...explore-top-csv-button.disabled.."
    answer = post_callback(client, table, [(ids.EXPLORE_PLATFORMS, "value", ["netflix"]), (ids.EXPLORE_TYPE, "value", "all"),
                                           (ids.EXPLORE_YEARS, "value", None), (ids.EXPLORE_GENRES, "value", None),
                                           (ids.EXPLORE_TOP_MIN_RATINGS, "value", "lots")])
    assert answer[ids.EXPLORE_TOP_MIN_RATINGS]["invalid"] is True
    answer = post_callback(client, "explore-top-csv.data", [(ids.EXPLORE_TOP_CSV_BUTTON, "n_clicks", 1)],
                           [(ids.EXPLORE_PLATFORMS, "value", ["hulu"]), (ids.EXPLORE_TYPE, "value", "movie"),
                            (ids.EXPLORE_YEARS, "value", None), (ids.EXPLORE_GENRES, "value", ["drama"]),
                            (ids.EXPLORE_TOP_MIN_RATINGS, "value", 0)])
    assert answer["explore-top-csv"]["data"]["content"].startswith("rank,id,title,platform")


# ---------------------------------------------------------------------------------------------- browser
def checked_platforms(dash_duo) -> list[str]:
    """The ticked platform boxes."""
    boxes = dash_duo.find_elements(f"#{ids.EXPLORE_PLATFORMS} input")
    return sorted(box.get_attribute("value") for box in boxes if box.is_selected())


def checked_type(dash_duo) -> str:
    """The selected content type."""
    return next(radio.get_attribute("value") for radio in dash_duo.find_elements(f"#{ids.EXPLORE_TYPE} input")
                if radio.is_selected())


@pytest.mark.browser
def test_browser_charts_filters_url_and_history(dash_duo, app, data, bounds):
    dash_duo.start_server(app)
    # every chart renders, headline numbers are core.eda's
    wait_until(lambda: len(dash_duo.find_elements(".js-plotly-plot")) >= len(ids.EXPLORE_CHARTS), 20, "charts")
    wait_until(lambda: dash_duo.find_elements(f"#{ids.EXPLORE_CHART_TYPES} .bars"), 10, "bars")
    assert dash_duo.find_element(f"#{ids.EXPLORE_KPI_TITLES}").text == f"{len(data.titles):,}"
    wait_until(lambda: dash_duo.find_elements(f"#{ids.EXPLORE_TOP_TABLE} tbody tr"), 10, "top titles")

    # a filter change writes the URL and updates the headline
    dash_duo.find_element(f"#{ids.EXPLORE_TYPE} label[for$='movie'], #{ids.EXPLORE_TYPE} input[value='movie'] + label").click()
    wait_until(lambda: "type=movie" in dash_duo.driver.current_url, 10, "URL with type=movie")
    movies = f"{count(data, PLATFORMS, 'movie'):,}"
    dash_duo.wait_for_text_to_equal(f"#{ids.EXPLORE_KPI_TITLES}", movies, timeout=10)

    # a URL with a query restores the widgets
    low, high = bounds[0] + 10, bounds[1] - 5
    dash_duo.driver.get(f"{dash_duo.server_url}/?platforms=netflix&type=tv&years={low}-{high}")
    expected = f"{count(data, ['netflix'], 'tv show', (low, high)):,}"
    dash_duo.wait_for_text_to_equal(f"#{ids.EXPLORE_KPI_TITLES}", expected, timeout=10)
    assert checked_platforms(dash_duo) == ["netflix"] and checked_type(dash_duo) == "tv show"
    inputs = dash_duo.find_elements(f"#{ids.EXPLORE_YEARS} input")
    assert [int(box.get_attribute("value")) for box in inputs[:2]] == [low, high]

    # another change, then back: the widgets follow the URL
    dash_duo.find_element(f"#{ids.EXPLORE_PLATFORMS} input[value='hulu']").click()
    wait_until(lambda: "hulu" in urlparse(dash_duo.driver.current_url).query, 10, "URL with hulu")
    dash_duo.driver.back()
    wait_until(lambda: checked_platforms(dash_duo) == ["netflix"], 10, "platforms restored by back")
    dash_duo.wait_for_text_to_equal(f"#{ids.EXPLORE_KPI_TITLES}", expected, timeout=10)

    # reset: every title again, clean URL; nothing went to the console
    dash_duo.find_element(f"#{ids.EXPLORE_RESET}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.EXPLORE_KPI_TITLES}", f"{len(data.titles):,}", timeout=10)
    assert urlparse(dash_duo.driver.current_url).query == ""
    assert dash_duo.get_logs() == []


def click_at(dash_duo, element, dx: float = 0, point: tuple[float, float] | None = None) -> None:
    """A real mouse click (Plotly reads clicks from its drag layer): at an element's centre plus dx, or at a point
    of the window."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    driver = dash_duo.driver
    if point is None:
        # 'instant': Bootstrap makes scrolling smooth, and a click computed mid-scroll lands elsewhere
        driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
        point = driver.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];",
            element)
    x, y = point
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(int(x + dx), int(y))
    actions.pointer_action.click()
    actions.perform()


def query_of(dash_duo) -> dict[str, str]:
    """The current URL's query parameters."""
    return {key: values[0] for key, values in parse_qs(urlparse(dash_duo.driver.current_url).query).items()}


def tick_texts(dash_duo, chart: str, axis: str) -> list[str]:
    """The tick labels of one axis of a chart."""
    return [tick.text for tick in dash_duo.find_elements(f"#{chart} .{axis}tick text")]


SLOW = 30  # seconds a step of the click-to-filter test may take on a machine loaded by other jobs


def settled(dash_duo) -> bool:
    """No Dash callback is pending (components being updated carry data-dash-is-loading)."""
    return not dash_duo.driver.execute_script(
        "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length")


def click_until(dash_duo, click, done, what: str, tries: int = 3) -> None:
    """Click (a function that finds its target afresh and clicks it) once the page has settled, until done(); a
    chart redrawn under the pointer swallows a click, so a click that left the URL as it was is tried again (one
    that changed it is never repeated: that would add a history entry)."""
    for attempt in range(tries):
        wait_until(lambda: settled(dash_duo), SLOW, "callbacks to settle")
        time.sleep(0.5)  # Plotly draws after the callback's answer
        before = dash_duo.driver.current_url
        try:
            click()
            wait_until(lambda: dash_duo.driver.current_url != before, 10, what)
        except (AssertionError, StaleElementReferenceException):
            if attempt == tries - 1:
                raise
            continue
        wait_until(done, 10, f"{what} (the URL is {dash_duo.driver.current_url})")
        return


def nearest_bar(dash_duo, chart: str, label: str):
    """The bar of a chart drawn closest to an x-axis label."""
    tick = next(t for t in dash_duo.find_elements(f"#{chart} .xtick text") if t.text == label)
    centre = tick.rect["x"] + tick.rect["width"] / 2
    return min(dash_duo.find_elements(f"#{chart} .bars .point path"),
               key=lambda bar: abs(bar.rect["x"] + bar.rect["width"] / 2 - centre))


@pytest.mark.browser
def test_browser_click_to_filter_back_and_title_pages(dash_duo, app, data, bounds):
    from core.genres import slug

    dash_duo.start_server(app)
    wait_until(lambda: dash_duo.find_elements(f"#{ids.EXPLORE_CHART_TYPES} .bars .point path"), SLOW, "bars")

    # 1. a platform's bar in the types chart: only that platform, in the URL and the headline
    click_until(dash_duo, lambda: click_at(dash_duo, nearest_bar(dash_duo, ids.EXPLORE_CHART_TYPES, "Netflix")),
                lambda: query_of(dash_duo) == {"platforms": "netflix"}, "?platforms=netflix")
    dash_duo.wait_for_text_to_equal(f"#{ids.EXPLORE_KPI_TITLES}", f"{count(data, ['netflix']):,}", timeout=SLOW)
    assert checked_platforms(dash_duo) == ["netflix"]

    # 2. a genre cell of the heatmap (redrawn for Netflix alone): that genre joins the filters
    shown = [charts.genre_text(g) for g in dict.fromkeys(eda.top_genres(eda.select(data.titles, eda.Filters(
        ("netflix",))))["genre"])]
    wait_until(lambda: sorted(tick_texts(dash_duo, ids.EXPLORE_CHART_GENRES, "y")) == sorted(shown), SLOW,
               "the heatmap redrawn for Netflix")
    genre = shown[len(shown) // 2]

    def click_genre() -> None:
        """Click the middle of the genre's cell, placed by Plotly's own axes (tick labels can lag a redraw)."""
        graph = dash_duo.find_element(f"#{ids.EXPLORE_CHART_GENRES} .js-plotly-plot")
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", graph)
        x, y = dash_duo.driver.execute_script(
            "const gd = arguments[0], row = gd.data[0].y.indexOf(arguments[1]), box = gd.getBoundingClientRect();"
            "const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;"
            "return row < 0 ? [null, null] : [box.left + xa._offset + xa.l2p(0), box.top + ya._offset + ya.l2p(row)];",
            graph, genre)
        assert x is not None, f"{genre} is not a row of the heatmap"
        click_at(dash_duo, None, point=(x, y))

    wanted = {"platforms": "netflix", "genres": slug(genre)}
    click_until(dash_duo, click_genre, lambda: query_of(dash_duo) == wanted, f"heatmap click: ?genres={slug(genre)}")
    kept = eda.filter_titles(data.titles, eda.Filters(("netflix",), genres=(genre.lower(),)))
    dash_duo.wait_for_text_to_equal(f"#{ids.EXPLORE_KPI_TITLES}", f"{len(kept):,}", timeout=SLOW)
    assert dash_duo.find_element(f"#{ids.EXPLORE_GENRES}").text.splitlines()[0] == genre

    # 3. a year in the releases chart (one hover label for all lines: any point of the plot names a year)
    click_until(dash_duo, lambda: click_at(dash_duo, dash_duo.find_element(f"#{ids.EXPLORE_CHART_RELEASES} .nsewdrag"),
                                           dx=-60), lambda: "years" in query_of(dash_duo), "a year in the URL")
    year = query_of(dash_duo)["years"].split("-")
    assert year[0] == year[1] and bounds[0] <= int(year[0]) <= bounds[1]
    inputs = dash_duo.find_elements(f"#{ids.EXPLORE_YEARS} input")
    wait_until(lambda: [box.get_attribute("value") for box in inputs[:2]] == year, SLOW, "the year slider")

    # 4. back undoes each click in turn
    dash_duo.driver.back()
    wait_until(lambda: query_of(dash_duo) == wanted, SLOW, "back: the year gone")
    dash_duo.wait_for_text_to_equal(f"#{ids.EXPLORE_KPI_TITLES}", f"{len(kept):,}", timeout=SLOW)
    dash_duo.driver.back()
    wait_until(lambda: query_of(dash_duo) == {"platforms": "netflix"}, SLOW, "back: the genre gone")
    wait_until(lambda: not dash_duo.find_element(f"#{ids.EXPLORE_GENRES}").text.startswith(genre), SLOW, "no genre")
    dash_duo.driver.back()
    wait_until(lambda: query_of(dash_duo) == {} and checked_platforms(dash_duo) == sorted(PLATFORMS), SLOW,
               "back: every platform")

    # 5. a title of the top-titles table opens its page, which links to Recommend with it chosen
    wait_until(lambda: settled(dash_duo), SLOW, "callbacks to settle")
    link = dash_duo.find_elements(f"#{ids.EXPLORE_TOP_TABLE} tbody tr a.title-link")[0]
    name, target = link.text, urlparse(link.get_attribute("href"))
    click_until(dash_duo, lambda: click_at(dash_duo, dash_duo.find_elements(
        f"#{ids.EXPLORE_TOP_TABLE} tbody tr a.title-link")[0]), lambda: "/title" in dash_duo.driver.current_url,
        "the title page")
    dash_duo.wait_for_text_to_equal(f"#{ids.TITLE_HEADING}", name, timeout=SLOW)
    wait_until(lambda: dash_duo.driver.title == f"{name} · Streaming Atlas", SLOW, "the tab to name the title")
    title_id = target.query.split("=", 1)[1]
    assert urlparse(dash_duo.driver.current_url).query == f"id={title_id}"
    assert dash_duo.find_element(f"#{ids.TITLE_RECOMMEND_LINK}").get_attribute("href").endswith(
        f"/recommend?title={title_id}")
    wait_until(lambda: dash_duo.find_elements(f"#{ids.TITLE_DISTRIBUTION} .bars"), SLOW, "the rating chart")

    # 6. the navigation search finds genres by any of their labels: choosing one opens Explore filtered by it
    from callbacks import title as title_callbacks

    served = [option["label"] for option in title_callbacks.search_options(data, "documentaries")]
    assert served[0] == "Genre: Documentary (in Explore)"
    shown = lambda: [o.text for o in dash_duo.find_elements("[role=option]")]  # noqa: E731

    def choose_first_genre():
        dash_duo.driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'});")  # the bar is at the top
        if not shown():  # (again, if an earlier try closed the list)
            dash_duo.find_element(f"#{ids.NAV_SEARCH}").click()
            dash_duo.wait_for_element(".dash-dropdown-search", timeout=5).send_keys("documentaries")
        wait_until(lambda: shown() == served, SLOW, "the server's answer to the whole word")  # not a keystroke's
        dash_duo.find_elements("[role=option]")[0].click()

    click_until(dash_duo, choose_first_genre, lambda: query_of(dash_duo) == {"genres": "documentary"},
                "Explore filtered by the genre")
    assert urlparse(dash_duo.driver.current_url).path == "/"
    documentaries = eda.filter_titles(data.titles, eda.Filters(genres=("documentary",)))
    dash_duo.wait_for_text_to_equal(f"#{ids.EXPLORE_KPI_TITLES}", f"{len(documentaries):,}", timeout=SLOW)
    assert dash_duo.get_logs() == []
