"""Charts readable without sight or a mouse: each Explore chart's one-sentence summary and data table say what the
figure draws (same numbers), follow the filters, and explain empty selections; the tables' toggle callback."""

from __future__ import annotations

import json
import re

import pytest
from dash import html

from callbacks import explore as cb
from core import eda
from core.config import PLATFORMS
from layouts import explore_summaries as summaries
from layouts import ids
from layouts.explore import table_toggle
from tests.app.components import find, text_of


@pytest.fixture(scope="module")
def bounds(data):
    return eda.year_bounds(data.titles)


def rows_of(table) -> list[list[str]]:
    """The text rows (header first) of a table built by `layouts.tables.rows_table` (a Markdown component, or its
    JSON as a callback answers it), markup escapes undone."""
    text = table.children if hasattr(table, "children") else table["props"]["children"]
    lines = [line for line in text.splitlines() if line.startswith("|")]
    split = [re.split(r"(?<!\\)\|", line)[1:-1] for line in lines]
    rows = [[re.sub(r"\\(.)", r"\1", cell.strip()) for cell in cells] for cells in split]
    assert set("".join(rows[1])) <= set(":-")  # the alignment rule
    return [rows[0], *rows[2:]]


def is_note(table) -> bool:
    """True when a chart table is a note saying why there is no table."""
    return (getattr(table, "_type", None) or table.get("type")) == "P"


def number(text: str) -> float:
    """The leading number of a cell ('1,342 (72%)' -> 1342; '—' -> 0)."""
    head = text.split(" ")[0].replace(",", "").rstrip("%")
    return 0.0 if head == "—" else float(head)


def headline_number(view, card: str) -> int:
    """A headline card's number."""
    return int(find(html.Div(view.headlines), card).children.replace(",", ""))


SETTINGS = [(list(PLATFORMS), "all", None), (["netflix", "hulu"], "movie", None), (["disney"], "tv show", "late")]


def settings_years(years, bounds):
    """The years widget value of a setting."""
    return [bounds[1] - 15, bounds[1]] if years == "late" else list(bounds)


@pytest.mark.parametrize("platforms, kind, years", SETTINGS)
def test_tables_hold_the_numbers_the_figures_draw(data, bounds, platforms, kind, years):
    years = settings_years(years, bounds)
    view = cb.explore_view(data, platforms, kind, years, "light")
    tables = cb.chart_tables_view(data, platforms, kind, years, list(ids.EXPLORE_CHARTS))
    assert set(tables) == set(ids.EXPLORE_CHARTS)
    shown = [cb.label(p) for p in PLATFORMS if p in platforms]
    for chart, table in tables.items():
        if is_note(table):  # nothing of this kind under the filters: the chart is empty too
            assert not view.figures[chart]["data"], chart
            continue
        rows = rows_of(table)
        assert all(len(row) == len(rows[0]) for row in rows), chart
        assert not table.children.startswith("|"), chart  # a caption first says what the table holds
    figures = view.figures

    types = rows_of(tables[ids.EXPLORE_CHART_TYPES])
    bars = {(trace["name"], x): y for trace in figures[ids.EXPLORE_CHART_TYPES]["data"] if trace.get("hoverinfo") != "skip"
            for x, y in zip(trace["x"], trace["y"])}
    for row in types[1:]:
        for kind_name, cell in zip(types[0][1:], row[1:]):
            assert number(cell) == bars.get((kind_name, row[0]), 0)

    releases = rows_of(tables[ids.EXPLORE_CHART_RELEASES])
    assert releases[0][1:] == shown
    for column, trace in enumerate(figures[ids.EXPLORE_CHART_RELEASES]["data"], start=1):
        assert sum(number(row[column]) for row in releases[1:]) == sum(trace["y"])

    ratings = headline_number(view, ids.EXPLORE_KPI_RATINGS)
    activity = rows_of(tables[ids.EXPLORE_CHART_ACTIVITY])
    assert sum(number(cell) for row in activity[1:] for cell in row[1:]) == ratings
    assert f"{ratings:,} ratings" in view.summaries[ids.EXPLORE_CHART_ACTIVITY]

    users = rows_of(tables[ids.EXPLORE_CHART_USERS])
    assert sum(number(row[1]) for row in users[1:]) == headline_number(view, ids.EXPLORE_KPI_USERS)

    countries = rows_of(tables[ids.EXPLORE_CHART_COUNTRIES])
    for row in countries[1:]:
        assert number(row[-1]) == sum(number(cell) for cell in row[1:-1])  # "All shown" is the row's total


def test_tables_and_summaries_follow_the_genre_filter(data, bounds):
    genre = eda.genre_names(data.titles)[0]
    view = cb.explore_view(data, list(PLATFORMS), "all", list(bounds), "light", genres=[genre])
    tables = cb.chart_tables_view(data, list(PLATFORMS), "all", list(bounds),
                                  [ids.EXPLORE_CHART_ACTIVITY, ids.EXPLORE_CHART_USERS], [genre])
    ratings = headline_number(view, ids.EXPLORE_KPI_RATINGS)
    assert 0 < ratings < headline_number(cb.explore_view(data, list(PLATFORMS), "all", list(bounds), "light"),
                                         ids.EXPLORE_KPI_RATINGS)
    activity = rows_of(tables[ids.EXPLORE_CHART_ACTIVITY])
    assert sum(number(cell) for row in activity[1:] for cell in row[1:]) == ratings
    assert f"{ratings:,} ratings" in view.summaries[ids.EXPLORE_CHART_ACTIVITY]
    users = rows_of(tables[ids.EXPLORE_CHART_USERS])
    assert sum(number(row[1]) for row in users[1:]) == headline_number(view, ids.EXPLORE_KPI_USERS)


@pytest.mark.parametrize("platforms, kind, years", SETTINGS)
def test_summaries_are_one_sentence_with_the_figures_numbers(data, bounds, platforms, kind, years):
    years = settings_years(years, bounds)
    view = cb.explore_view(data, platforms, kind, years, "light")
    for chart, sentence in view.summaries.items():
        assert sentence.endswith(".") and "\n" not in sentence and (sentence[0].isupper() or sentence[0].isdigit()), chart
        if view.figures[chart]["data"]:
            assert all(name in sentence for name in [cb.label(p) for p in platforms]) or chart in (
                ids.EXPLORE_CHART_COUNTRIES, ids.EXPLORE_CHART_USERS, ids.EXPLORE_CHART_MINUTES,
                ids.EXPLORE_CHART_SEASONS), chart
    filters = eda.make_filters(platforms, kind, years, bounds)
    titles = eda.select(data.titles, filters)
    for row in summaries.rows(eda.titles_by_platform_type(titles)):
        assert f"{row['titles']:,}" in view.summaries[ids.EXPLORE_CHART_TYPES]
    for row in summaries.rows(eda.mean_scores(titles)):
        assert f"{cb.label(row['platform'])} {row['mean']:.2f} over {row['titles']:,} titles" in \
            view.summaries[ids.EXPLORE_CHART_SCORES]


def test_summaries_and_tables_of_empty_or_invalid_filters_say_why(data, bounds):
    nothing = cb.explore_view(data, [], "all", list(bounds), "light")
    assert set(nothing.summaries.values()) == {"No platform selected."}
    invalid = cb.explore_view(data, ["hbo"], "all", None, "light")
    assert set(invalid.summaries.values()) == {"Fix the filters above."}
    tv_only = cb.explore_view(data, list(PLATFORMS), "tv show", list(bounds), "light")
    assert tv_only.summaries[ids.EXPLORE_CHART_MINUTES] == "No movies match these filters."
    for platforms in ([], ["hbo"]):
        tables = cb.chart_tables_view(data, platforms, "all", None, [ids.EXPLORE_CHART_TYPES])
        note = tables[ids.EXPLORE_CHART_TYPES]
        assert is_note(note) and note.children.endswith(".")
    assert cb.chart_tables_view(data, list(PLATFORMS), "all", None, []) == {}


def test_helpers_read_like_english():
    assert summaries.listing(["a"]) == "a" and summaries.listing(["a", "b", "c"]) == "a, b and c"
    assert summaries.month_name("2019-07") == "July 2019" and summaries.month_name("unknown") == "unknown"


def test_toggle_is_a_named_disclosure():
    closed, opened = table_toggle("t", "region", False), table_toggle("t", "region", True)
    assert closed.to_plotly_json()["props"]["aria-expanded"] == "false" and "Show as table" in text_of(closed)
    assert opened.to_plotly_json()["props"]["aria-expanded"] == "true" and "Hide table" in text_of(opened)
    assert closed.to_plotly_json()["props"]["aria-controls"] == "region"


def post(client, output: str, inputs: list[tuple[str, str, object]], changed: str):
    """Call a callback over HTTP like the browser does; (status, JSON response or None)."""
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in output.strip(".").split("...")]
    body = {"output": output, "outputs": outputs, "changedPropIds": [changed],
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs], "state": []}
    response = client.post("/_dash-update-component", json=body)
    return response.status_code, (response.get_json() or {}).get("response") if response.status_code == 200 else None


def test_table_toggle_callback_over_http(app):
    client = app.server.test_client()
    client.get("/")
    output = next(d["output"] for d in client.get("/_dash-dependencies").get_json()
                  if d["output"].startswith(f"..{ids.EXPLORE_CHART_TABLES[ids.EXPLORE_CHART_TYPES]}.children"))
    toggles = {chart: ids.EXPLORE_CHART_TABLE_TOGGLES[chart] for chart in ids.EXPLORE_CHARTS}

    def inputs(opened: dict[str, object]):
        return [(ids.EXPLORE_PLATFORMS, "value", ["netflix"]), (ids.EXPLORE_TYPE, "value", "all"),
                (ids.EXPLORE_YEARS, "value", None), (ids.EXPLORE_GENRES, "value", []),
                *((toggles[chart], "n_clicks", opened.get(chart, 0)) for chart in ids.EXPLORE_CHARTS)]

    # a filter change while every table is closed: nothing to do (Dash's 204)
    assert post(client, output, inputs({}), f"{ids.EXPLORE_TYPE}.value")[0] == 204
    # opening the genres table fills it and says so; the others stay closed
    status, answer = post(client, output, inputs({ids.EXPLORE_CHART_GENRES: 1}),
                          f"{toggles[ids.EXPLORE_CHART_GENRES]}.n_clicks")
    assert status == 200
    genres = answer[ids.EXPLORE_CHART_TABLES[ids.EXPLORE_CHART_GENRES]]
    assert genres["hidden"] is False and genres["children"]["type"] == "Markdown"
    assert answer[toggles[ids.EXPLORE_CHART_GENRES]]["aria-expanded"] == "true"
    types = answer[ids.EXPLORE_CHART_TABLES[ids.EXPLORE_CHART_TYPES]]
    assert types["hidden"] is True and types["children"] is None  # the others closed (each answer is the whole state)
    assert "Netflix" in json.dumps(genres["children"]) and "Hulu" not in json.dumps(genres["children"])
    # a filter change refreshes every open table
    status, answer = post(client, output, inputs({ids.EXPLORE_CHART_GENRES: 1, ids.EXPLORE_CHART_USERS: 3}),
                          f"{ids.EXPLORE_PLATFORMS}.value")
    filled = {key for key, props in answer.items() if key in ids.EXPLORE_CHART_TABLES.values() and props["children"]}
    assert status == 200 and filled == {ids.EXPLORE_CHART_TABLES[c] for c in (ids.EXPLORE_CHART_GENRES,
                                                                             ids.EXPLORE_CHART_USERS)}
    # a second press closes it; a hostile click count counts as closed
    for clicks in (2, "x"):
        status, answer = post(client, output, inputs({ids.EXPLORE_CHART_GENRES: clicks}),
                              f"{toggles[ids.EXPLORE_CHART_GENRES]}.n_clicks")
        assert status == 200 and answer[ids.EXPLORE_CHART_TABLES[ids.EXPLORE_CHART_GENRES]]["hidden"] is True


# ---------------------------------------------------------------------------------------------- queries, recommend
def test_queries_chart_text_matches_each_chart(data):
    from callbacks import queries as qcb
    from layouts import queries_render as render
    from core.queries import get_score_count
    from layouts.queries import year_span
    from core.queries import query_ranges

    low, high = year_span(query_ranges(data))
    year = min(max(2019, low), high)
    longest = qcb.longest_view(data, None, "netflix", "min", "light")
    rows = rows_of(longest.chart_table)
    bars = {(trace["name"], y): x for trace in longest.figure["data"] for y, x in zip(trace["y"], trace["x"])}
    assert rows[0] == ["Title", "Platform", "Year", "Minutes"] and len(rows) - 1 == len(bars)
    assert [number(row[3]) for row in rows[1:]] == [bars[("Netflix", i)] for i in range(len(bars))]
    assert longest.chart_summary.startswith(f"The chart ranks the {len(bars)} longest titles, from “{rows[1][0]}”")

    score = qcb.score_view(data, "netflix", 3.5, year, "all", "light")
    table = rows_of(score.chart_table)
    above = sum(number(row[2]) for row in table[1:])
    assert above == get_score_count(data, "netflix", 3.5, year, "all")
    total = int(above + sum(number(row[1]) for row in table[1:]))
    assert total == len(render.rated_titles(data.titles, "netflix", year, "all"))  # every title the histogram counts
    assert f"of {total:,} " in score.chart_summary and f"{int(above):,} above 3.5" in score.chart_summary

    count = qcb.count_view(data, "hulu", "light")
    assert [row[0] for row in rows_of(count.chart_table)[1:]] == ["Amazon Prime", "Disney+", "Hulu", "Netflix"]
    assert "Hulu highlighted" in count.chart_summary

    actor = qcb.actor_view(data, "netflix", year, "light")
    names = rows_of(actor.chart_table)
    assert [row[0] for row in names[1:]] == list(actor.figure["data"][0]["customdata"])
    assert actor.chart_summary.startswith("The chart ranks the") or actor.chart_summary.startswith("The chart shows")

    broken = qcb.guarded(qcb.longest_view, "light", data, "abc", None, "min", "light")
    assert broken.chart_text()[0] == f"{qcb.FIX_INPUT}." and broken.chart_text()[1] is not None


def test_profile_chart_sentence_and_table():
    from layouts import recommend as panel

    counts = {1.0: 2, 3.5: 6, 5.0: 2}
    assert panel.ratings_summary(counts) == "10 ratings from 1 to 5 stars; the most frequent is 3.5 (6 times, 60%)."
    assert rows_of(panel.ratings_table(counts)) == [["Rating", "Times given", "Share"], ["1", "2", "20%"],
                                                      ["3.5", "6", "60%"], ["5", "2", "20%"]]
    assert panel.ratings_summary({}) == "No ratings to chart." and panel.ratings_table({}) is None
    card = panel.profile_card(7, 10, 3.3, [], {"data": [], "layout": {}}, counts)
    assert "the most frequent is 3.5" in text_of(card)
