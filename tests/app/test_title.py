"""The title page (/title?id=...), GET /api/title and the navigation bar's search, over the demo data (a movie, a
TV show, a title nobody rated, unknown and missing ids) and, when present, the real data (ns2544)."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from dash import dcc, no_update

from callbacks import title as cb
from core import title_ratings
from core.errors import InvalidQuery, NotFound
from core.genres import display_name, slug
from core.titles import title_details
from layouts import ids
from layouts import title as page
from tests.app.components import find, text_of


@pytest.fixture(scope="module")
def app():
    """The app over the demo data, its model fitted (similar titles need it)."""
    from app import create_app
    from core.demo import ensure_demo_raw

    return create_app(ensure_demo_raw(), model="wait")


@pytest.fixture(scope="module")
def model(app):
    return app.server.extensions["streaming"]["model"].get()


def pick(data, mask) -> str:
    """The most rated title id among a mask (the first when none is rated)."""
    return str(data.titles[mask].sort_values(["n_ratings", "id"], ascending=[False, True])["id"].iloc[0])


@pytest.fixture(scope="module")
def movie(data) -> str:
    return pick(data, (data.titles["type"] == "movie") & data.titles["genres"].notna())


@pytest.fixture(scope="module")
def show(data) -> str:
    return pick(data, (data.titles["type"] == "tv show") & (data.titles["duration_int"] > 1))


@pytest.fixture(scope="module")
def unrated(data) -> str:
    return pick(data, data.titles["n_ratings"] == 0)


def links(node) -> list[dcc.Link]:
    """Every dcc.Link in a component tree."""
    found = [node] if isinstance(node, dcc.Link) else []
    children = getattr(node, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            found += links(child)
    return found


def render(app, **query):
    """The title page's layout for a query, in the app's request context."""
    with app.server.test_request_context("/title"):
        return page.layout(**query)


# ---------------------------------------------------------------------------------------------- core.titles
def test_details_of_a_movie_against_its_platform(data, movie):
    details = title_details(data.titles, title_ratings.for_catalog(data), movie.upper() + " ")
    row = data.titles.loc[movie]
    assert details["id"] == movie and details["title"] == row["title"] and details["type"] == "movie"
    assert details["genres"] == row["genres"].split(", ") and set(details["facets"]) == {
        "origin", "audience", "format", "community", "collection"}
    ratings = details["ratings"]
    assert ratings["count"] == row["n_ratings"] == sum(ratings["stars"].values())
    assert ratings["mean"] == pytest.approx(row["score"], abs=0.03)  # half-star bins of the same ratings
    same = data.titles[data.titles["platform"] == row["platform"]]
    assert ratings["platform_count"] == same["n_ratings"].sum()
    assert ratings["platform_mean_score"] == pytest.approx(same["score"].mean(), abs=1e-4)
    rated = same[same["score"].notna()].sort_values(["score", "n_ratings", "title"], ascending=[False, False, True])
    assert details["rank_by_score"]["position"] == list(rated["id"]).index(movie) + 1
    assert details["rank_by_score"]["of"] == len(rated)
    assert details["rank_by_ratings"]["position"] == int((same["n_ratings"] > row["n_ratings"]).sum()) + 1


def test_details_of_an_unrated_title_and_bad_ids(data, unrated):
    index = title_ratings.for_catalog(data)
    details = title_details(data.titles, index, unrated)
    assert details["ratings"]["count"] == 0 and details["ratings"]["mean"] is None
    assert details["rank_by_score"] is None and details["rank_by_ratings"]["of"] > 0
    with pytest.raises(NotFound):
        title_details(data.titles, index, "ns99999999")
    for bad in (None, "", "   ", "x" * 41, True, 3.5, ["ns1"]):
        with pytest.raises(InvalidQuery):
            title_details(data.titles, index, bad)


# ---------------------------------------------------------------------------------------------- page
def test_the_page_of_a_movie(app, data, movie):
    layout = render(app, id=movie)
    row = data.titles.loc[movie]
    assert text_of(find(layout, ids.TITLE_HEADING)) == page.title_case(row["title"])
    facts = text_of(find(layout, ids.TITLE_FACTS))
    assert "Movie" in facts and str(row["release_year"]) in facts and row["rating"].upper() in facts
    assert f"{int(row['duration_int']) % 60} min" in facts
    hrefs = {link.href for link in links(layout)}
    assert f"/recommend?title={movie}" in hrefs
    assert {f"/?genres={slug(g)}" for g in row["genres"].split(", ")} <= hrefs
    text = text_of(layout)
    assert all(display_name(g) in text for g in row["genres"].split(", "))
    assert f"{row['score']:.2f}"[:3] in text_of(find(layout, ids.TITLE_SCORE))
    assert "by mean score" in text_of(find(layout, ids.TITLE_RANKS))
    assert find(layout, ids.TITLE_ID_STORE).data == movie


def test_the_page_of_a_tv_show_and_its_chart(app, data, show):
    layout = render(app, id=show)
    seasons = int(data.titles.loc[show, "duration_int"])
    assert f"{seasons} seasons" in text_of(find(layout, ids.TITLE_FACTS))
    assert "TV show" in text_of(find(layout, ids.TITLE_FACTS))
    figure = cb.chart_view(data, show, "dark")
    go.Figure(figure)  # a valid Plotly figure
    title_bars, platform_bars = figure["data"]
    assert title_bars["x"] == [f"{k / 2:.1f}" for k in range(1, 11)]
    assert sum(title_bars["customdata"]) == data.titles.loc[show, "n_ratings"]
    assert sum(title_bars["y"]) == pytest.approx(100, abs=0.1) and sum(platform_bars["y"]) == pytest.approx(100, abs=0.1)


def test_the_page_of_a_title_nobody_rated(app, data, unrated):
    layout = render(app, id=unrated)
    assert text_of(find(layout, ids.TITLE_SCORE)) == "No ratings yet"
    assert "Not ranked by mean score" in text_of(find(layout, ids.TITLE_RANKS))
    figure = cb.chart_view(data, unrated, "light")
    go.Figure(figure)
    assert len(figure["data"]) == 1 and "No ratings of this title yet" in figure["layout"]["annotations"][0]["text"]


@pytest.mark.parametrize("query, heading", [
    ({"id": "ns99999999"}, "Title not found"), ({"id": "<script>alert(1)</script>"}, "Title not found"),
    ({}, "Which title?"), ({"id": ""}, "Which title?"), ({"id": "x" * 5000}, "Which title?"),
    ({"id": "ns1", "other": "x"}, None),
])
def test_unknown_or_missing_ids_get_a_clear_page(app, query, heading):
    layout = render(app, **query)
    if heading is None:
        assert find(layout, ids.TITLE_NOT_FOUND) is None
        return
    assert text_of(find(layout, ids.TITLE_HEADING)) == heading
    assert find(layout, ids.TITLE_ID_STORE).data is None
    assert "/" in {link.href for link in links(layout)}
    assert cb.chart_view(None, None, "light")["data"] == [] and cb.similar_view(None, None, None) == (None, True)


def test_similar_titles_link_to_their_pages(data, model, movie):
    listed, poll_disabled = cb.similar_view(data, lambda: model, movie)
    assert poll_disabled
    hrefs = [link.href for link in links(listed)]
    expected = [row["id"] for row in model.similar_titles(movie, cb.SIMILAR_K)]
    assert hrefs == [f"/title?id={title_id}" for title_id in expected]


def test_similar_titles_wait_for_the_model(data, movie):
    from core.errors import NotReady

    def preparing():
        raise NotReady("the recommender is being prepared", {"stage": "latent factors", "step": 5, "steps": 7,
                                                             "fraction": 0.6})

    shown, poll_disabled = cb.similar_view(data, preparing, movie)
    assert not poll_disabled and "Preparing the recommender" in text_of(shown)


def test_the_pages_are_served(app, movie):
    client = app.server.test_client()
    for path in (f"/title?id={movie}", "/title?id=nope", "/title"):
        response = client.get(path)
        assert response.status_code == 200 and b"Streaming Atlas" in response.data
    layout = client.get("/_dash-layout").get_json()
    assert ids.NAV_SEARCH in str(layout) and ids.NAV_GO in str(layout)


def test_the_browser_tab_names_the_title(app, data, movie):
    """Dash gives a page's title function no query: the tab's title comes from the request, on a page load and on
    the page callback of a navigation inside the app."""
    named = f"{page.title_case(data.titles.loc[movie, 'title'])} · Streaming Atlas"
    with app.server.test_request_context(f"/title?id={movie.upper()}"):
        assert page.page_title() == named
    navigation = {"inputs": [{"id": "_pages_location", "property": "pathname", "value": "/title"},
                             {"id": "_pages_location", "property": "search", "value": f"?id={movie}"}]}
    with app.server.test_request_context("/_dash-update-component", method="POST", json=navigation):
        assert page.page_title() == named
    for path, body in (("/title?id=nope", None), ("/title", None), ("/_dash-update-component", {"inputs": 3}),
                       ("/_dash-update-component", {"inputs": [{"property": "search", "value": 7}]})):
        with app.server.test_request_context(path, method="POST" if body else "GET", json=body):
            assert page.page_title() == "Title · Streaming Atlas"
    assert page.page_title() == "Title · Streaming Atlas"  # outside a request
    served = app.server.test_client().get(f"/title?id={movie}").get_data(as_text=True)
    assert f'og:title" content="{html.escape(named)}"' in served  # link previews; the tab is set by the callback


# ---------------------------------------------------------------------------------------------- API
def test_api_title_for_a_movie_a_show_an_unrated_title_and_bad_ids(app, data, movie, show, unrated):
    client = app.server.test_client()
    for title_id in (movie, show, unrated):
        answer = client.get(f"/api/title?id={title_id}")
        assert answer.status_code == 200
        body = answer.get_json()
        assert body["id"] == title_id and body["ratings"]["count"] == data.titles.loc[title_id, "n_ratings"]
    assert client.get(f"/api/title?id={show}").get_json()["duration_unit"] == "season"
    assert client.get(f"/api/title?id={unrated}").get_json()["rank_by_score"] is None
    missing = client.get("/api/title?id=ns99999999")
    assert missing.status_code == 404 and "unknown title id" in missing.get_json()["error"]
    for bad in ("/api/title", "/api/title?id=", "/api/title?id=" + "x" * 41, "/api/title?id=ns1&id=ns2",
                "/api/title?title=ns1"):
        response = client.get(bad)
        assert response.status_code == 400 and response.get_json()["error"], bad


# ---------------------------------------------------------------------------------------------- search box
def test_search_offers_genres_and_titles_and_forgives_typos(data):
    options = cb.search_options(data, "documentaries")
    assert options[0]["value"] == "genre:documentary" and options[0]["label"].startswith("Genre: Documentary")
    most_rated = data.titles.sort_values("n_ratings", ascending=False).iloc[0]
    typo = most_rated["title"][:-1] + "x" if len(most_rated["title"]) >= 6 else most_rated["title"]
    values = [o["value"] for o in cb.search_options(data, typo)]
    assert f"title:{most_rated['id']}" in values
    assert all(typo.lower() in o["search"] for o in cb.search_options(data, typo))
    assert cb.search_options(data, "") == [] and cb.search_options(data, None) == []


@pytest.mark.parametrize("value, href", [
    ("title:ns12", "/title?id=ns12"), ("genre:sci-fi & fantasy", "/?genres=sci-fi-fantasy"),
    ("genre:drama", "/?genres=drama"), ("ns12", None), (None, None), ("title:", None), (5, None),
    ("title:" + "x" * 200, None),
])
def test_a_choice_leads_to_its_page(value, href):
    assert cb.destination(value) == href
    assert cb.go_to_choice(value) == ((href, None) if href else (no_update, no_update))


# ---------------------------------------------------------------------------------------------- links elsewhere
def test_recommend_tables_link_every_title_to_its_page(model, data, movie):
    from callbacks import recommend as rcb
    from layouts import recommend as rpanel

    user = int(data.users.sort_values("n_ratings").iloc[-1]["user_id"])
    recs = rcb.recs_frame(data, model, user, movie, 5)
    hrefs = [link.href for link in links(rpanel.recs_table(recs))]
    assert hrefs == [f"/title?id={title_id}" for title_id in recs["id"]]
    similar = rcb.similar_frame(data, model, movie)
    assert [link.href for link in links(rpanel.similar_list(similar))] == \
        [f"/title?id={title_id}" for title_id in similar["id"]]


@pytest.mark.real_data
def test_the_real_page_of_ns2544(real_catalog):
    details = title_details(real_catalog.titles, title_ratings.for_catalog(real_catalog), "ns2544")
    assert details["title"] == "unbreakable kimmy schmidt: kimmy vs. the reverend" and details["duration"] == 190
    assert details["ratings"]["count"] == 1144 and details["rank_by_score"]["of"] == \
        int(real_catalog.titles.query("platform == 'netflix'")["score"].notna().sum())
    assert details["genres"] and np.isfinite(details["ratings"]["platform_mean_score"])
    assert pd.notna(real_catalog.titles.loc["ns2544", "score"])
