"""Queries panel: URL parsing, answers in words, charts and CSV tables as plain unit tests; one browser test."""

from __future__ import annotations

import base64
import logging
import time
from urllib.parse import parse_qs, urlparse

import dash
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callbacks import queries as cb
from core.config import PLATFORMS
from core.errors import InvalidQuery
from core.queries import (get_actor, get_count_platform, get_max_duration, get_score_count, longest_titles,
                          query_ranges, top_actors)
from layouts import ids
from layouts import queries as panel
from layouts import queries_render as render
from layouts.figures import styled
from layouts.urlstate import from_query_string
from tests.app.components import find, text_of


@pytest.fixture(scope="module")
def span(data):
    return panel.year_span(query_ranges(data))


def busiest_year(data, platform: str, column: str = "cast") -> int:
    """The release year with the most titles of a platform that have `column` set (a year with real answers)."""
    titles = data.titles
    rows = titles[(titles["platform"] == platform) & titles[column].notna()]
    return int(rows["release_year"].value_counts().idxmax())


# ---------------------------------------------------------------------------------------------- words
def test_score_sentence_counts_and_grammar():
    assert render.score_sentence(412, "netflix", 3.5, 2019, "movie") == \
        "On Netflix, 412 movies released in 2019 have a mean score above 3.5."
    assert render.score_sentence(1, "disney", 4.0, 2020, "tv show") == \
        "On Disney+, 1 TV show released in 2020 has a mean score above 4."
    assert render.score_sentence(0, "hulu", 4.25, 1999, "all") == \
        "On Hulu, no titles released in 1999 have a mean score above 4.25."
    assert render.score_sentence(1204, "amazon", 0, 2018, "movie").startswith("On Amazon Prime, 1,204 movies")


def test_longest_sentence_names_only_what_the_filters_leave_open():
    row = {"id": "ns1", "title": "the irishman", "platform": "netflix", "type": "movie", "release_year": 2019,
           "duration_int": 209, "duration_type": "min"}
    assert render.longest_sentence(row, None, None, "min") == \
        "The longest title on any platform is “The Irishman”, a Netflix movie from 2019, at 209 minutes."
    assert render.longest_sentence(row, 2019, "netflix", "min") == \
        "The longest title on Netflix released in 2019 is “The Irishman” at 209 minutes."
    show = dict(row, title="grey's anatomy", type="tv show", platform="amazon", duration_int=1, duration_type="season")
    assert render.longest_sentence(show, 2019, None, "season") == \
        "The title with the most seasons on any platform released in 2019 is “Grey's Anatomy”, " \
        "an Amazon Prime TV show, with 1 season."
    assert render.longest_sentence(None, 1930, "disney", "season") == \
        "No title on Disney+ released in 1930 has a duration in seasons."


def test_count_and_actor_sentences():
    assert render.count_sentence({"platform": "netflix", "movies": 6131, "tv_shows": 2676, "total": 8807}) == \
        "Netflix has 8,807 titles: 6,131 movies and 2,676 TV shows."
    assert render.actor_sentence({"actor": "ryan reynolds", "count": 4}, "netflix", 2019) == \
        "The actor in the most Netflix titles released in 2019 is Ryan Reynolds, with 4 titles."
    assert render.actor_sentence(None, "hulu", 1950) == "No Hulu title released in 1950 lists its cast."


def test_tie_note():
    rank = [{"actor": n, "count": c} for n, c in [("ann lee", 3), ("bo park", 3), ("cy ode", 3), ("di fe", 3),
                                                   ("ed gu", 3), ("fi ho", 2)]]
    assert render.tie_note(rank[:1]) is None
    assert render.tie_note([rank[0], rank[5]]) is None
    assert render.tie_note(rank[:2]) == "Tied with Bo Park."
    assert render.tie_note(rank[:3]) == "Tied with Bo Park and Cy Ode."
    assert render.tie_note(rank) == "Tied with Bo Park, Cy Ode, Di Fe and 1 other."


def test_csv_filename_is_safe():
    assert render.csv_filename("top-actors", "netflix", 2019) == "top-actors-netflix-2019.csv"
    assert render.csv_filename("titles-above", "3.5", "hulu", None, "tv show") == "titles-above-3.5-hulu-tv-show.csv"


# ---------------------------------------------------------------------------------------------- URL state
def test_initial_values_defaults_and_url(data, span):
    ranges = query_ranges(data)
    defaults = panel.initial_values({}, ranges)
    assert defaults["longest_platform"] == panel.ALL and defaults["longest_year"] is None
    assert defaults["longest_unit"] == "min" and defaults["score_type"] == "movie"
    assert defaults["score_min"] == 3.5 and span[0] <= defaults["score_year"] <= span[1]
    values = panel.initial_values({"longest_year": str(span[1]), "longest_platform": "Disney+",
                                   "longest_unit": "seasons", "score_platform": "prime", "score_min": "4.2",
                                   "score_year": str(span[0]), "score_type": "tv show", "count_platform": "hulu",
                                   "actor_platform": "amazon", "actor_year": str(span[1])}, ranges)
    assert values == {"longest_year": span[1], "longest_platform": "disney", "longest_unit": "season",
                      "score_platform": "amazon", "score_min": 4.2, "score_year": span[0], "score_type": "tv show",
                      "count_platform": "hulu", "actor_platform": "amazon", "actor_year": span[1]}


@pytest.mark.parametrize("key, bad", [
    ("longest_year", "19x9"), ("longest_year", "1700"), ("longest_platform", "hbo"), ("longest_unit", "hours"),
    ("score_platform", ""), ("score_min", "7"), ("score_min", "nan"), ("score_year", "3000"),
    ("score_type", "podcast"), ("count_platform", "peacock"), ("actor_platform", "x" * 500), ("actor_year", "-1"),
])
def test_initial_values_bad_values_fall_back(data, key, bad):
    ranges = query_ranges(data)
    assert panel.initial_values({key: bad}, ranges)[key] == panel.initial_values({}, ranges)[key]


def test_a_year_outside_the_data_falls_back(data, span):
    assert panel.initial_values({"actor_year": str(span[0] - 1)}, query_ranges(data))["actor_year"] != span[0] - 1


def widget_values(span):
    """Strategy: any valid set of the panel's widget values."""
    years = st.integers(span[0], span[1])
    platforms = st.sampled_from(PLATFORMS)
    return st.fixed_dictionaries({
        "longest_year": st.none() | years, "longest_platform": st.sampled_from((panel.ALL, *PLATFORMS)),
        "longest_unit": st.sampled_from(("min", "season")), "score_platform": platforms,
        "score_min": st.integers(0, 50).map(lambda i: i / 10), "score_year": years,
        "score_type": st.sampled_from(("movie", "tv show", "all")), "count_platform": platforms,
        "actor_platform": platforms, "actor_year": years})


def test_url_round_trip(data, span):
    """Widget values -> URL -> layout values gives back the same values (shareable, reload-safe)."""
    ranges = query_ranges(data)

    @settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(widget_values(span))
    def round_trip(values):
        search = cb.query_string(values)
        assert search.startswith("?")
        assert panel.initial_values(from_query_string(search), ranges) == values

    round_trip()


def test_query_string_rounds_slider_noise():
    search = cb.query_string({"score_min": 3.5000000000000004, "longest_platform": panel.ALL, "longest_year": None})
    assert search == "?score_min=3.5"


def test_new_search_only_for_real_changes(data):
    ranges = query_ranges(data)
    defaults = panel.initial_values({}, ranges)
    # Page render with the URL's own values (first load, reload, back button): nothing to push.
    assert cb.new_search("", defaults, ranges) is None
    assert cb.new_search("?count_platform=Netflix&actor_year=abc", defaults, ranges) is None
    # A user edit: the full state is pushed.
    changed = dict(defaults, count_platform="hulu")
    search = cb.new_search("", changed, ranges)
    assert from_query_string(search)["count_platform"] == "hulu"
    assert panel.initial_values(from_query_string(search), ranges) == changed


def test_write_url_covers_every_widget():
    assert set(panel.FIELDS) == {"longest_year", "longest_platform", "longest_unit", "score_platform", "score_min",
                                 "score_year", "score_type", "count_platform", "actor_platform", "actor_year"}
    assert len({component for component, _ in panel.FIELDS.values()}) == len(panel.FIELDS)


def test_layout_prefills_widgets_from_the_url(app, data, span):
    with app.server.test_request_context("/queries"):
        page = panel.layout(longest_year=str(span[1]), longest_platform="hulu", longest_unit="season",
                            score_min="4.1", score_type="all", actor_year="not-a-year", count_platform="disney")
    assert find(page, ids.QUERIES_LONGEST_YEAR).value == span[1]
    assert find(page, ids.QUERIES_LONGEST_PLATFORM).value == "hulu"
    assert find(page, ids.QUERIES_LONGEST_UNIT).value == "season"
    assert find(page, ids.QUERIES_SCORE_THRESHOLD).value == 4.1
    assert find(page, ids.QUERIES_SCORE_TYPE).value == "all"
    assert find(page, ids.QUERIES_COUNT_PLATFORM).value == "disney"
    assert find(page, ids.QUERIES_ACTOR_YEAR).value == panel.initial_values({}, query_ranges(data))["actor_year"]
    assert find(page, ids.QUERIES_SCORE_YEAR).placeholder == f"{span[0]}–{span[1]}"


# ---------------------------------------------------------------------------------------------- widget parsing
def test_year_value(span):
    low, high = span
    assert cb.year_value(None, span, required=False) is None
    assert cb.year_value(high, span, required=True) == high
    assert cb.year_value(float(low), span, required=True) == low
    assert cb.year_value(f" {high} ", span, required=True) == high
    assert cb.year_value("", span, required=False) is None
    with pytest.raises(cb.YearProblem, match="19x9 is not a year"):
        cb.year_value("19x9", span, required=False)
    with pytest.raises(cb.YearProblem, match=f"Enter a release year from {low} to {high}"):
        cb.year_value(None, span, required=True)
    with pytest.raises(cb.YearProblem, match="no titles from 1800"):
        cb.year_value(1800, span, required=False)
    with pytest.raises(cb.YearProblem, match="is not a year"):
        cb.year_value(2019.5, span, required=True)
    assert issubclass(cb.YearProblem, InvalidQuery)


def test_user_message_is_a_sentence():
    assert cb.user_message(InvalidQuery("unknown platform 'hbo'; choose one of amazon")) == \
        "Unknown platform 'hbo'; choose one of amazon."


# ---------------------------------------------------------------------------------------------- views
def sentence(view: cb.View) -> str:
    """The answer sentence of a view."""
    return view.answer[0].children


def test_longest_view_answers_like_the_core(data):
    for year, platform, unit in [(None, panel.ALL, "min"), (None, "netflix", "season"),
                                 (busiest_year(data, "hulu", "title"), "hulu", "min")]:
        view = cb.longest_view(data, year, platform, unit, "light")
        core_platform = None if platform == panel.ALL else platform
        top = get_max_duration(data, year=year, platform=core_platform, duration_type=unit)
        assert top is not None
        assert sentence(view) == render.longest_sentence(top, year, core_platform, unit)
        assert render.title_case(top["title"]) in sentence(view)
        rows = longest_titles(data, year=year, platform=core_platform, duration_type=unit, n=10)
        assert list(view.table["id"]) == [r["id"] for r in rows]
        assert view.table["duration"].is_monotonic_decreasing
        assert not view.year_invalid
        # The context rows really match the filters (read from the raw titles, not from the core's answer).
        titles = data.titles.loc[view.table["id"]]
        assert (titles["duration_type"] == unit).all()
        if year is not None:
            assert (titles["release_year"] == year).all()
        if core_platform is not None:
            assert (titles["platform"] == core_platform).all()


def test_longest_view_with_no_match(data, span):
    titles = data.titles
    years = set(titles.loc[titles["platform"] == "disney", "release_year"].dropna().astype(int))
    empty = next((y for y in range(span[0], span[1] + 1) if y not in years), None)
    if empty is None:
        pytest.skip("every year has a Disney+ title")
    view = cb.longest_view(data, empty, "disney", "min", None)
    assert sentence(view).startswith("No title on Disney+")
    assert view.table is None


def test_score_view_answers_like_the_core(data):
    platform = "netflix"
    year = busiest_year(data, platform, "title")
    for threshold, kind in [(3.5, "movie"), (0.0, "all"), (4.1, "tv show"), (5.0, "movie")]:
        view = cb.score_view(data, platform, threshold, year, kind, "dark")
        count = get_score_count(data, platform, threshold, year, kind)
        assert sentence(view) == render.score_sentence(count, platform, threshold, year, kind)
        assert (0 if view.table is None else len(view.table)) == count
        if view.table is not None:
            assert (view.table["mean_score"] > threshold - 0.001).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(platform=st.sampled_from(PLATFORMS), threshold=st.integers(0, 50).map(lambda i: i / 10),
       kind=st.sampled_from(("movie", "tv show", "all")), year_offset=st.integers(0, 40))
def test_matching_titles_are_the_ones_the_core_counts(data, span, platform, threshold, kind, year_offset):
    year = max(span[0], span[1] - year_offset)
    matching = render.titles_above(data.titles, platform, year, kind, threshold)
    assert len(matching) == get_score_count(data, platform, threshold, year, kind)


def test_score_figure_splits_at_the_threshold():
    fig = render.score_figure([1.0, 2.0, 3.5, 3.6, 4.9], 3.5, "light", "hulu")
    go.Figure(fig)  # passes Plotly's full validation
    below, above = (np.frombuffer(base64.b64decode(trace["x"]["bdata"]), trace["x"]["dtype"]) for trace in fig["data"])
    assert list(below) == [1.0, 2.0, 3.5] and list(above) == [3.6, 4.9]
    assert fig["layout"]["shapes"][0]["x0"] == 3.5  # the threshold line
    empty = render.score_figure([], 3.5, "light", "hulu", "nothing here")
    assert empty["layout"]["annotations"][0]["text"] == "nothing here"


def test_count_view_answers_like_the_core(data):
    view = cb.count_view(data, "disney", None)
    assert sentence(view) == render.count_sentence(get_count_platform(data, "disney"))
    assert list(view.table["platform"]) == ["Amazon Prime", "Disney+", "Hulu", "Netflix"]
    assert (view.table["movies"] + view.table["tv_shows"] == view.table["total"]).all()
    movies = go.Figure(view.figure).data[0]
    assert list(movies.marker.opacity) == [0.35, 1.0, 0.35, 0.35]
    assert [bool(text) for text in movies.text] == [False, True, False, False]


def test_actor_view_answers_like_the_core(data):
    platform = "netflix"
    year = busiest_year(data, platform)
    view = cb.actor_view(data, platform, year, "light")
    top = get_actor(data, platform, year)
    assert top is not None
    assert sentence(view) == render.actor_sentence(top, platform, year)
    rows = top_actors(data, platform, year, n=10)
    assert list(view.table["actor"]) == [render.title_case(r["actor"]) for r in rows]
    # The leader's count is the number of that platform's titles of that year whose cast names them.
    titles = data.titles
    casts = titles.loc[(titles["platform"] == platform) & (titles["release_year"] == year), "cast"].dropna()
    assert top["count"] == sum(top["actor"] in [n.strip() for n in c.split(",")] for c in casts)
    assert list(view.figure["data"][0]["x"]) == [r["count"] for r in rows]


def test_actor_view_without_any_cast(data):
    titles = data.titles
    no_cast = titles.groupby(["platform", "release_year"])["cast"].apply(lambda s: s.isna().all())
    if not no_cast.any():
        pytest.skip("every platform and year has a cast")
    platform, year = no_cast[no_cast].index[0]
    view = cb.actor_view(data, platform, int(year), None)
    assert sentence(view) == render.actor_sentence(None, platform, int(year))
    assert view.table is None and view.figure["layout"]["annotations"][0]["text"].startswith("No cast listed")
    note = view.answer[1].children if len(view.answer) > 1 else None
    assert (note == render.no_cast_note(platform)) == (not cb.has_cast(data, platform))


def test_invalid_input_becomes_an_inline_message(data, span):
    view = cb.guarded(cb.actor_view, "light", data, "netflix", span[1] + 5, "light")
    assert view.year_invalid and view.table is None
    assert "no titles from" in text_of(view.answer)
    assert view.answer.color == "warning"
    view = cb.guarded(cb.count_view, "light", data, "hbo", "light")
    assert not view.year_invalid and text_of(view.answer).startswith("Unknown platform")
    view = cb.guarded(cb.score_view, None, data, "netflix", 3.5, None, "movie", None)
    assert view.year_invalid and "Enter a release year" in text_of(view.answer)


def test_unexpected_errors_are_logged_not_raised(caplog):
    def broken(*_args):
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="callbacks.queries"):
        view = cb.guarded(broken, "dark", 1, 2)
    assert text_of(view.answer) == cb.GENERIC_PROBLEM
    assert isinstance(view.figure, go.Figure)
    assert "boom" in caplog.text


def test_longest_figure_keeps_duplicate_titles_apart():
    rows = [{"id": f"x{i}", "title": "same title", "platform": p, "type": "movie", "release_year": 2000,
             "duration_int": 100 - i, "duration_type": "min"} for i, p in enumerate(["netflix", "hulu", "netflix"])]
    fig = go.Figure(render.longest_figure(rows, "min", "dark"))  # also passes Plotly's full validation
    assert sorted(y for trace in fig.data for y in trace.y) == [0, 1, 2]
    assert [t.name for t in fig.data] == ["Hulu", "Netflix"]
    assert fig.layout.template.layout.paper_bgcolor is not None  # the dark template is applied



@pytest.mark.parametrize("theme, name", [("light", "plotly_white"), ("dark", "plotly_dark"), (None, "plotly_white")])
def test_charts_get_their_own_copy_of_the_theme_template(theme, name):
    chart = render.counts_figure([{"platform": "hulu", "movies": 2, "tv_shows": 1, "total": 3}], "hulu", theme)
    # Charts are dicts on top of the layout `styled` gives: they hold the whole template and pass Plotly's full
    # validation.
    assert chart["layout"]["template"] == pio.templates[name].to_plotly_json()
    assert go.Figure(chart).layout.template.to_plotly_json() == pio.templates[name].to_plotly_json()
    # `styled` sets the template without validating it again: a figure must still get its own copy, with validation
    # back on.
    fig = styled(go.Figure(), theme)
    assert fig.layout.template.to_plotly_json() == pio.templates[name].to_plotly_json()
    fig.layout.template.layout.paper_bgcolor = "red"
    assert pio.templates[name].layout.paper_bgcolor != "red"
    with pytest.raises(ValueError):
        fig.update_layout(paper_bgcolour="red")
    assert go.Figure(fig.to_dict()).layout.template.layout.paper_bgcolor == "red"

def test_csv_download(data):
    view = cb.count_view(data, "netflix", None)
    sent = cb.csv_download(view, "titles-per-platform")
    assert sent["filename"] == "titles-per-platform.csv"
    assert sent["content"].splitlines()[0] == "platform,movies,tv_shows,total"
    assert cb.csv_download(cb.View(None, go.Figure()), "x") is dash.no_update


def test_download_and_url_callbacks(app, data):
    """The callbacks themselves, inside a request of the app (as Dash runs them)."""
    year = busiest_year(data, "netflix")
    with app.server.test_request_context("/queries"):
        sent = cb.download_actor(1, "netflix", year)
        assert sent["filename"] == f"top-actors-netflix-{year}.csv"
        assert sent["content"].splitlines()[0] == "rank,actor,titles,platform,release_year"
        sent = cb.download_longest(1, None, panel.ALL, "season")
        assert sent["filename"] == "longest-titles-all-season.csv" and len(sent["content"].splitlines()) == 11
        assert cb.download_count(1, "hulu")["filename"] == "titles-per-platform.csv"
        sent = cb.download_score(1, "netflix", 0, year, "all")
        assert len(sent["content"].splitlines()) == 1 + get_score_count(data, "netflix", 0, year, "all")
        assert cb.download_actor(1, "netflix", "19x9") is dash.no_update  # invalid: nothing to download
        search = cb.write_url(str(year), "hulu", "season", "disney", 4.2, year, "all", "amazon", "hulu", year, "")
        assert from_query_string(search)["score_min"] == "4.2"
        assert cb.write_url(None, "all", "min", "netflix", 3.5, panel.initial_values({}, query_ranges(data))[
            "score_year"], "movie", "netflix", "netflix", panel.initial_values({}, query_ranges(data))["actor_year"],
            "") is dash.no_update  # the defaults on a bare /queries: nothing to push


# ---------------------------------------------------------------------------------------------- browser
def answer_text(dash_duo, answer_id: str) -> str:
    return dash_duo.find_element(f"#{answer_id} .queries-answer-text").text


def wait_answer(dash_duo, answer_id: str, expected: str, timeout: float = 10) -> None:
    dash_duo.wait_for_text_to_equal(f"#{answer_id} .queries-answer-text", expected, timeout=timeout)


def set_input(dash_duo, selector: str, value) -> None:
    """Replace an input's text and leave the field (debounced inputs and the slider's box send on blur)."""
    from selenium.webdriver.common.keys import Keys

    element = dash_duo.find_element(selector)
    dash_duo.clear_input(element)
    element.send_keys(str(value), Keys.TAB)


def choose(dash_duo, selector: str, value: str) -> None:
    from selenium.webdriver.support.select import Select

    Select(dash_duo.find_element(selector)).select_by_value(value)


def click_radio(dash_duo, group_id: str, value: str) -> None:
    dash_duo.find_element(f"label[for='_dbcprivate_radioitems_{group_id}_input_{value}']").click()


def url_params(dash_duo) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(dash_duo.driver.current_url).query).items()}


@pytest.mark.browser
def test_queries_panel_in_a_browser(dash_duo, app, data, span):
    dash_duo.start_server(app, navigate=False)  # straight to the panel: other pages are not under test here
    base = dash_duo.server.url.rstrip("/")
    dash_duo.wait_for_page(url=f"{base}/queries", timeout=10)
    defaults = panel.initial_values({}, query_ranges(data))

    # Every card answers with the default values, exactly as the core does.
    wait_answer(dash_duo, ids.QUERIES_LONGEST_ANSWER, render.longest_sentence(get_max_duration(data), None, None, "min"))
    wait_answer(dash_duo, ids.QUERIES_SCORE_ANSWER, render.score_sentence(
        get_score_count(data, "netflix", 3.5, defaults["score_year"]), "netflix", 3.5, defaults["score_year"], "movie"))
    wait_answer(dash_duo, ids.QUERIES_COUNT_ANSWER, render.count_sentence(get_count_platform(data, "netflix")))
    wait_answer(dash_duo, ids.QUERIES_ACTOR_ANSWER, render.actor_sentence(
        get_actor(data, "netflix", defaults["actor_year"]), "netflix", defaults["actor_year"]))
    dash_duo.wait_for_element(f"#{ids.QUERIES_SCORE_CHART} .main-svg", timeout=10)
    assert dash_duo.get_logs() == []

    # Query 1: platform, duration type, year.
    year1 = busiest_year(data, "hulu", "title")
    choose(dash_duo, f"#{ids.QUERIES_LONGEST_PLATFORM}", "hulu")
    click_radio(dash_duo, ids.QUERIES_LONGEST_UNIT, "season")
    wait_answer(dash_duo, ids.QUERIES_LONGEST_ANSWER, render.longest_sentence(
        get_max_duration(data, platform="hulu", duration_type="season"), None, "hulu", "season"))
    click_radio(dash_duo, ids.QUERIES_LONGEST_UNIT, "min")
    set_input(dash_duo, f"#{ids.QUERIES_LONGEST_YEAR}", year1)
    wait_answer(dash_duo, ids.QUERIES_LONGEST_ANSWER, render.longest_sentence(
        get_max_duration(data, year=year1, platform="hulu", duration_type="min"), year1, "hulu", "min"))

    # Query 2: platform, threshold (the slider's own number box), year, content type.
    year2 = busiest_year(data, "amazon", "title")
    choose(dash_duo, f"#{ids.QUERIES_SCORE_PLATFORM}", "amazon")
    set_input(dash_duo, f"#{ids.QUERIES_SCORE_YEAR}", year2)
    click_radio(dash_duo, ids.QUERIES_SCORE_TYPE, "all")
    set_input(dash_duo, f"#{ids.QUERIES_SCORE_THRESHOLD} input", "3.2")
    wait_answer(dash_duo, ids.QUERIES_SCORE_ANSWER, render.score_sentence(
        get_score_count(data, "amazon", 3.2, year2, "all"), "amazon", 3.2, year2, "all"))

    # Query 3: platform.
    choose(dash_duo, f"#{ids.QUERIES_COUNT_PLATFORM}", "disney")
    wait_answer(dash_duo, ids.QUERIES_COUNT_ANSWER, render.count_sentence(get_count_platform(data, "disney")))

    # Query 4: platform and year.
    year4 = busiest_year(data, "disney")
    choose(dash_duo, f"#{ids.QUERIES_ACTOR_PLATFORM}", "disney")
    set_input(dash_duo, f"#{ids.QUERIES_ACTOR_YEAR}", year4)
    wait_answer(dash_duo, ids.QUERIES_ACTOR_ANSWER,
                render.actor_sentence(get_actor(data, "disney", year4), "disney", year4))

    # Every widget is in the URL.
    deadline = time.time() + 5
    while url_params(dash_duo).get("actor_year") != str(year4) and time.time() < deadline:
        time.sleep(0.1)
    params = url_params(dash_duo)
    assert params == {"longest_year": str(year1), "longest_platform": "hulu", "longest_unit": "min",
                      "score_platform": "amazon", "score_min": "3.2", "score_year": str(year2), "score_type": "all",
                      "count_platform": "disney", "actor_platform": "disney", "actor_year": str(year4)}

    # The back button restores the previous state (and the page stays there: no history entry is re-pushed).
    choose(dash_duo, f"#{ids.QUERIES_COUNT_PLATFORM}", "hulu")
    wait_answer(dash_duo, ids.QUERIES_COUNT_ANSWER, render.count_sentence(get_count_platform(data, "hulu")))
    dash_duo.driver.back()
    wait_answer(dash_duo, ids.QUERIES_COUNT_ANSWER, render.count_sentence(get_count_platform(data, "disney")))
    assert dash_duo.find_element(f"#{ids.QUERIES_COUNT_PLATFORM}").get_attribute("value") == "disney"
    assert dash_duo.find_element(f"#{ids.QUERIES_ACTOR_YEAR}").get_attribute("value") == str(year4)
    time.sleep(0.5)
    assert url_params(dash_duo) == params

    # An impossible year: inline message and the input marked invalid; fixing it brings the answer back.
    set_input(dash_duo, f"#{ids.QUERIES_ACTOR_YEAR}", span[1] + 5)
    dash_duo.wait_for_contains_text(f"#{ids.QUERIES_ACTOR_ANSWER} .alert", f"no titles from {span[1] + 5}", timeout=10)
    dash_duo.wait_for_element(f"#{ids.QUERIES_ACTOR_YEAR}.is-invalid", timeout=5)
    assert dash_duo.find_element(f"#{ids.QUERIES_ACTOR_CSV_BUTTON}").get_attribute("disabled") is not None
    set_input(dash_duo, f"#{ids.QUERIES_ACTOR_YEAR}", year4)
    wait_answer(dash_duo, ids.QUERIES_ACTOR_ANSWER,
                render.actor_sentence(get_actor(data, "disney", year4), "disney", year4))
    assert not dash_duo.find_elements(f"#{ids.QUERIES_ACTOR_YEAR}.is-invalid")

    # A shared URL restores every widget, and the answers follow (a bad value falls back to its default).
    shared = (f"/queries?longest_platform=netflix&longest_unit=season&score_platform=hulu&score_min=4.1"
              f"&score_year={year2}&score_type=tv+show&count_platform=amazon&actor_platform=amazon&actor_year=abc")
    dash_duo.wait_for_page(url=base + shared, timeout=10)
    wait_answer(dash_duo, ids.QUERIES_LONGEST_ANSWER, render.longest_sentence(
        get_max_duration(data, platform="netflix", duration_type="season"), None, "netflix", "season"))
    wait_answer(dash_duo, ids.QUERIES_SCORE_ANSWER, render.score_sentence(
        get_score_count(data, "hulu", 4.1, year2, "tv show"), "hulu", 4.1, year2, "tv show"))
    wait_answer(dash_duo, ids.QUERIES_COUNT_ANSWER, render.count_sentence(get_count_platform(data, "amazon")))
    wait_answer(dash_duo, ids.QUERIES_ACTOR_ANSWER, render.actor_sentence(
        get_actor(data, "amazon", defaults["actor_year"]), "amazon", defaults["actor_year"]))
    assert dash_duo.find_element(f"#{ids.QUERIES_LONGEST_PLATFORM}").get_attribute("value") == "netflix"
    assert dash_duo.find_element(f"#{ids.QUERIES_SCORE_THRESHOLD} input").get_attribute("value") == "4.1"
    assert dash_duo.find_element(f"#{ids.QUERIES_SCORE_YEAR}").get_attribute("value") == str(year2)
    assert dash_duo.find_element(
        f"#_dbcprivate_radioitems_{ids.QUERIES_SCORE_TYPE}_input_tv\\ show").is_selected()

    # Dark theme: the charts follow.
    dash_duo.find_element(f"#{ids.THEME_SWITCH}").click()
    dash_duo.wait_for_element("html[data-bs-theme='dark']", timeout=5)
    assert dash_duo.get_logs() == []
