"""Recommend panel: parsing, URL state, picker options, result views, order and CSV (plain tests), one browser test."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import dash
import plotly.graph_objects as go
import pytest

from callbacks import recommend as cb
from core import search
from core.text import title_case
from core.errors import DataError, InvalidQuery, NotFound, NotReady
from layouts import ids
from layouts import recommend as panel
from layouts.urlstate import from_query_string
from tests.app.components import find, text_of


@pytest.fixture(scope="module")
def app():
    """The app over the demo data (fast; real-data behaviour is checked by hand)."""
    from app import create_app
    from core.demo import ensure_demo_raw

    return create_app(ensure_demo_raw(), model="wait")


@pytest.fixture(scope="module")
def model(app):
    """The app's real recommender (fitted on the demo data or loaded from its saved model)."""
    from layouts.state import recommender

    with app.server.test_request_context("/recommend"):
        return recommender()


@pytest.fixture(scope="module")
def choice(data):
    """An active user and a popular title of the data."""
    user = int(data.users.sort_values("n_ratings", ascending=False).iloc[0]["user_id"])
    title = str(data.titles.sort_values("n_ratings", ascending=False).iloc[0]["id"])
    return user, title


class Broken:
    """A recommender whose every call fails: the panel must still answer with messages."""

    def __init__(self, error: Exception):
        self.error = error

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise self.error
        return fail


# ---------------------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize("value, expected", [(1, 1), ("42", 42), (" user 7 ", 7), (12.0, 12), ("#3", 3)])
def test_parse_user(value, expected):
    assert panel.parse_user(value) == expected


@pytest.mark.parametrize("value", [None, True, "", "abc", "-3", "0", 0, 2.5, "1e3", "9" * 20, [], {}, "²", "٣"])
def test_parse_user_rejects(value):
    with pytest.raises(InvalidQuery):
        panel.parse_user(value)


@pytest.mark.parametrize("value, expected", [(5, 5), ("30", 30), (10.0, 10), ("12", 12)])
def test_parse_k(value, expected):
    assert panel.parse_k(value) == expected


@pytest.mark.parametrize("value", [None, "", 4, 31, 7.5, "x", True, "nan", "inf", [], -5])
def test_parse_k_rejects(value):
    with pytest.raises(InvalidQuery, match="5 to 30"):
        panel.parse_k(value)


@pytest.mark.parametrize("value, expected", [("match", "match"), ("predicted", "predicted"),
                                             (" Predicted ", "predicted")])
def test_parse_order(value, expected):
    assert panel.parse_order(value) == expected == panel.order_or_default(value)


@pytest.mark.parametrize("value", [None, "", "rating", "score", 1, True, [], {}, ["predicted"], "predicted" * 10**4])
def test_parse_order_rejects(value):
    with pytest.raises(InvalidQuery, match="'match'.*'predicted'"):
        panel.parse_order(value)
    assert panel.order_or_default(value) == panel.DEFAULT_ORDER == "match"


def test_parse_title(data):
    title_id = data.titles.index[0]
    assert panel.parse_title(title_id, data.titles) == title_id
    assert panel.parse_title(title_id.upper(), data.titles) == title_id
    with pytest.raises(NotFound):
        panel.parse_title("zz999999", data.titles)
    with pytest.raises(InvalidQuery):
        panel.parse_title("  ", data.titles)


# ---------------------------------------------------------------------------------------------- URL state
def test_state_from_query(data, choice):
    user, title = choice
    state, notes = panel.state_from_query({"user": str(user), "title": title, "k": "5"}, data)
    assert state == panel.RecommendState(user, title, 5) and notes == []
    state, notes = panel.state_from_query({"user": "abc", "title": "nope", "k": "99"}, data)
    assert state == panel.RecommendState() and len(notes) == 3
    assert notes[0].startswith("user:") and notes[1].startswith("title:") and "5 to 30" in notes[2]
    assert panel.state_from_query({}, data) == (panel.RecommendState(), [])
    state, notes = panel.state_from_query({"user": str(user), "order": "predicted"}, data)
    assert state == panel.RecommendState(user, order="predicted") and notes == []
    # an unknown order: the default order and the panel's usual notice, which does not repeat the value
    state, notes = panel.state_from_query({"user": str(user), "order": "<script>" * 50}, data)
    assert state == panel.RecommendState(user) and notes == [f"order: {panel.ORDER_MESSAGE}"]


def test_query_string_round_trip(data, choice):
    user, title = choice
    for state in (panel.RecommendState(user, title, 5), panel.RecommendState(user, None, 10),
                  panel.RecommendState(None, title, 30), panel.RecommendState(),
                  panel.RecommendState(user, title, 7, "predicted"), panel.RecommendState(None, None, 10, "predicted")):
        assert panel.state_from_query(from_query_string(panel.query_string(state)), data)[0] == state
    assert panel.query_string(panel.RecommendState(user, title, 10)) == f"?user={user}&title={title}"  # defaults
    assert panel.query_string(panel.RecommendState(user, title, 10, "predicted")) == \
        f"?user={user}&title={title}&order=predicted"
    assert panel.query_string(panel.RecommendState()) == ""


def test_new_search_only_for_real_changes(data, choice):
    user, title = choice
    current = f"?user={user}&title={title}&k=5"
    assert panel.new_search(current, user, title, 5, "match", data) is None  # the page rendering: nothing to push
    assert panel.new_search(current, user, title, "5", "match", data) is None
    assert panel.new_search(current, user, title, 7, "match", data) == f"?user={user}&title={title}&k=7"
    assert panel.new_search(current, None, title, 5, "match", data) == f"?title={title}&k=5"
    assert panel.new_search(current, user, title, None, "match", data) is None  # a half-typed k keeps the URL's
    assert panel.new_search(current, user, title, 99, "match", data) is None
    assert panel.new_search("", None, None, 10, "match", data) is None
    assert panel.new_search("?k=abc", None, None, 10, "match", data) is None
    assert panel.new_search(current, user, title, 5, "predicted", data) == f"{current}&order=predicted"
    assert panel.new_search(f"{current}&order=predicted", user, title, 5, "predicted", data) is None
    assert panel.new_search(f"{current}&order=predicted", user, title, 5, "match", data) == current
    assert panel.new_search(current, user, title, 5, ["junk"], data) is None  # an invalid order keeps the URL's


def test_url_change_sets_only_the_pickers_that_differ(data, choice):
    user, title = choice
    search = f"?user={user}&title={title}&k=7"
    assert panel.widgets_for_url(search, user, title, 7, "match", data) == {}
    assert panel.widgets_for_url(search, user, title, "7", "match", data) == {}
    changes = panel.widgets_for_url(search, user, "nope", 7, "match", data)
    assert set(changes) == {"title", "title_options"} and changes["title"] == title
    assert title in [o["value"] for o in changes["title_options"]]  # with its label, or the dropdown clears it
    changes = panel.widgets_for_url("", user, title, 99, "predicted", data)
    assert changes["user"] is None and changes["title"] is None and changes["k"] == panel.DEFAULT_K
    assert changes["order"] == "match"
    assert panel.widgets_for_url(f"{search}&order=predicted", user, title, 7, "match", data) == {"order": "predicted"}
    assert panel.widgets_for_url(f"{search}&order=bogus", user, title, 7, "match", data) == {}
    # the sync callback: a URL change (back/forward) sets widgets, leaving the panel changes nothing
    out = dict(zip(cb.SYNCED, cb.url_sync(ids.RECOMMEND_URL, user, None, 7, "predicted", search, True, data)))
    assert out["search"] is dash.no_update and out["title"] == title and out["user"] is dash.no_update
    assert out["order"] == "match"
    assert cb.url_sync(ids.RECOMMEND_URL, None, None, 10, "match", search, False, data) == [dash.no_update] * 7
    out = cb.url_sync(ids.RECOMMEND_TITLE, user, None, 7, "match", search, True, data)
    assert out[0] == f"?user={user}&k=7" and out[1:] == [dash.no_update] * 6
    out = cb.url_sync(ids.RECOMMEND_ORDER, user, title, 7, "predicted", search, True, data)
    assert out[0] == f"{search}&order=predicted" and out[1:] == [dash.no_update] * 6


def test_layout_prefills_pickers_from_the_url(app, data, choice):
    user, title = choice
    with app.server.test_request_context("/recommend"):
        page = panel.layout(user=str(user), title=title, k="6")
        user_picker, title_picker = find(page, ids.RECOMMEND_USER), find(page, ids.RECOMMEND_TITLE)
        assert user_picker.value == user and title_picker.value == title and find(page, ids.RECOMMEND_K).value == 6
        # the chosen values have readable labels, and the browser gets a short list, not the catalogue
        assert search.user_option(data.users, user)[1] in [o["label"] for o in user_picker.options]
        assert search.title_option(data.titles, title)[1] in [o["label"] for o in title_picker.options]
        assert len(user_picker.options) <= panel.OPTION_LIMIT + 1 >= len(title_picker.options)
        assert find(page, ids.RECOMMEND_LINK_ALERT) is None and find(page, ids.RECOMMEND_ORDER).value == "match"
        assert panel.ORDERS == {o["value"]: o["label"] for o in find(page, ids.RECOMMEND_ORDER).options}
        assert find(panel.layout(user=str(user), order="predicted"), ids.RECOMMEND_ORDER).value == "predicted"
        bad = panel.layout(user="abc", k="0", order="best")
        assert find(bad, ids.RECOMMEND_USER).value is None and find(bad, ids.RECOMMEND_K).value == panel.DEFAULT_K
        assert find(bad, ids.RECOMMEND_ORDER).value == panel.DEFAULT_ORDER
        notice = text_of(find(bad, ids.RECOMMEND_LINK_ALERT))
        assert "not valid" in notice and f"order: {panel.ORDER_MESSAGE}" in notice


def test_examples_are_valid_choices(app, data):
    examples = panel.examples(data)
    assert len(examples) == 3
    for user, title, _ in examples:
        assert panel.parse_user(user) == user and panel.parse_title(title, data.titles) == title
    assert not search.has_user(data.users, examples[-1][0])  # the cold-start example
    with app.server.test_request_context("/recommend"):
        links = panel.example_links(data)
    assert links[0].children[0].href == f"/recommend?user={examples[0][0]}&title={examples[0][1]}"


# ---------------------------------------------------------------------------------------------- options
def test_user_options(data):
    options = panel.user_options(data.users, "1", None)
    assert 0 < len(options) <= panel.OPTION_LIMIT
    assert all(str(o["value"]).startswith("1") for o in options)
    assert all(o["label"].startswith(f"User {o['value']} · ") for o in options)
    new_id = int(data.users["user_id"].max()) + 1
    assert panel.user_options(data.users, str(new_id), None)[0] == {
        "label": f"User {new_id} · new user, no ratings", "value": new_id}
    assert panel.user_options(data.users, "abc", None) == []
    # the chosen user stays an option whatever is typed (the dropdown would clear it otherwise)
    kept = panel.user_options(data.users, "abc", 7)
    assert [o["value"] for o in kept] == [7]
    assert panel.user_options(data.users, None, "garbage") == panel.user_options(data.users, None, None)


def test_title_options(data, choice):
    _, title = choice
    name = data.titles.at[title, "title"]
    options = panel.title_options(data.titles, name.upper(), None)
    assert options[0]["value"] == title
    assert options[0]["label"].startswith(title_case(name))
    # the dropdown's own filter must keep every server match: every typed word is in the option's search text
    for option in panel.title_options(data.titles, name[:4], None):
        assert name[:4].lower() in option["search"]
    typo = name[:2] + name[3] + name[2] + name[4:]  # two letters swapped: found by the typo tier
    if len(name) >= 6 and typo != name:
        found = panel.title_options(data.titles, typo, None)
        assert title in [o["value"] for o in found] and all(typo.lower() in o["search"] for o in found)
    kept = panel.title_options(data.titles, "zzzzzz-no-such-title", title)
    assert [o["value"] for o in kept] == [title]
    assert len(panel.title_options(data.titles, "", None)) == panel.OPTION_LIMIT


# ---------------------------------------------------------------------------------------------- views
def test_results_view_matches_the_recommender(data, model, choice):
    user, title = choice
    view = cb.results_view(data, lambda: model, user, title, 5, None)
    assert view.alert is None and view.empty_hidden and not view.results_hidden and not view.k_invalid
    predicted = model.predict(user, title)
    assert find(view.score, f"{ids.RECOMMEND_SCORE}-value").children == f"{predicted:.1f}"
    verdict = text_of(find(view.score, f"{ids.RECOMMEND_SCORE}-verdict"))
    assert verdict and verdict[0].isupper()
    table = find(view.recs, ids.RECOMMEND_RECS_TABLE)
    rows = table.children[1].children
    recs = model.recommend(user, title, k=5)
    assert len(rows) == len(recs) == 5
    assert text_of(rows[0]).count(title_case(recs[0]["title"])) == 1
    assert not view.recs_disabled and not view.similar_disabled
    assert "User" in text_of(view.profile) and find(view.profile, ids.RECOMMEND_PROFILE_CHART) is not None


def test_recommendations_are_unrated_and_title_cased(data, model, choice):
    user, title = choice
    frame = cb.recs_frame(data, model, user, title, 8)
    assert list(frame.columns) == cb.REC_COLUMNS and list(frame["rank"]) == list(range(1, 9))
    assert title not in set(frame["id"])
    assert frame["release_year"].notna().any() and set(frame["platform"]) <= {"amazon", "disney", "hulu", "netflix"}
    rendered = text_of(panel.recs_table(frame))
    assert title_case(frame.iloc[0]["title"]) in rendered


def test_in_order_sorts_by_predicted_rating_as_shown_then_match():
    recs = [{"id": "a", "predicted_rating": 3.1, "score": 0.9}, {"id": "b", "predicted_rating": 4.32, "score": 0.6},
            {"id": "c", "predicted_rating": 4.28, "score": 0.7}, {"id": "d", "predicted_rating": 4.8, "score": 0.5},
            {"id": "e", "predicted_rating": 4.3, "score": 0.7}]
    assert cb.in_order(recs, "match") == recs and cb.in_order(recs, "match") is not recs
    # ★4.28 and ★4.32 both read ★4.3: the better match goes first; equal matches keep the recommender's order
    assert [r["id"] for r in cb.in_order(recs, "predicted")] == ["d", "c", "e", "b", "a"]
    assert cb.in_order([], "predicted") == []


def test_order_changes_the_table_and_the_csv(app, data, model, choice):
    user, title = choice
    recs = model.recommend(user, title, k=8)
    by_rating = cb.in_order(recs, "predicted")
    assert by_rating != recs  # the demo data has a better-rated title below the best match
    for order, expected in (("match", recs), ("predicted", by_rating), ("bogus", recs), (None, recs)):
        view = cb.results_view(data, lambda: model, user, title, 8, None, order)
        rows = find(view.recs, ids.RECOMMEND_RECS_TABLE).children[1].children
        assert [text_of(row.children[1].children[0]) for row in rows] == [title_case(r["title"]) for r in expected]
        assert [text_of(row.children[0]) for row in rows] == [str(n) for n in range(1, 9)]
        sorted_by = "Predicted" if order == "predicted" else "Match"
        headers = find(view.recs, ids.RECOMMEND_RECS_TABLE).children[0].children.children
        assert [text_of(h).split()[0] for h in headers if getattr(h, "aria-sort", None)] == [sorted_by]
        assert "Match blends how much this user is predicted to like" in text_of(find(view.recs,
                                                                                     ids.RECOMMEND_MATCH_NOTE))
        assert f"{expected[0]['score']:.0%}" in text_of(rows[0])  # the match score is shown
        with app.server.test_request_context("/recommend"):
            lines = cb.download_recommendations(1, user, title, 8, order)["content"].splitlines()
        assert [line.split(",")[1] for line in lines[1:]] == [r["id"] for r in expected]
    new_user = int(data.users["user_id"].max()) + 1
    view = cb.results_view(data, lambda: model, new_user, title, 5, None, "predicted")
    assert "a new user has no ratings" in text_of(find(view.recs, ids.RECOMMEND_MATCH_NOTE))


def test_similar_frame(data, model, choice):
    _, title = choice
    frame = cb.similar_frame(data, model, title)
    assert 0 < len(frame) <= panel.SIMILAR_K and title not in set(frame["id"])
    assert list(frame.columns) == cb.SIMILAR_COLUMNS
    assert frame["similarity"].is_monotonic_decreasing


def test_partial_choices_show_hints(data, model, choice):
    user, title = choice
    only_user = cb.results_view(data, lambda: model, user, None, 10, None)
    assert "Pick a title" in text_of(only_user.score) and "Pick a title" in text_of(only_user.similar)
    assert "User" in text_of(only_user.profile) and only_user.recs_disabled and only_user.similar_disabled
    only_title = cb.results_view(data, lambda: model, None, title, 10, None)
    assert "Pick a user" in text_of(only_title.profile) and not only_title.similar_disabled


def test_nothing_chosen_shows_the_empty_state_without_loading_the_model(data):
    def never():
        raise AssertionError("the model must not load for an empty panel")
    view = cb.results_view(data, never, None, None, 10, None)
    assert not view.empty_hidden and view.results_hidden and view.alert is None


def test_cold_start_user(data, model, choice):
    _, title = choice
    new_user = int(data.users["user_id"].max()) + 1
    view = cb.results_view(data, lambda: model, new_user, title, 5, None)
    assert view.alert is None and "new user" in text_of(view.profile)
    assert len(find(view.recs, ids.RECOMMEND_RECS_TABLE).children[1].children) == 5


def test_invalid_values_become_inline_messages(data, model, choice):
    user, title = choice
    view = cb.results_view(data, lambda: model, user, title, 99, None)
    assert view.k_invalid and "5 to 30" in text_of(view.alert) and view.recs_disabled
    assert "5 to 30" in text_of(view.recs) and find(view.score, f"{ids.RECOMMEND_SCORE}-value") is not None
    view = cb.results_view(data, lambda: model, "abc", "no-such-title", 10, None)
    assert "not a user id" in text_of(view.alert) and "no title" in text_of(view.alert).lower()
    assert not view.empty_hidden


def test_core_errors_are_inline_and_other_errors_logged(data, choice, caplog):
    user, title = choice
    view = cb.results_view(data, lambda: Broken(NotFound("no such thing")), user, title, 5, None)
    assert "No such thing." in text_of(view.score) and view.recs_disabled and view.similar_disabled

    def fails():
        raise DataError("model file is corrupt")
    view = cb.results_view(data, fails, user, title, 5, None)
    assert "could not be loaded" in text_of(view.alert) and "Model file is corrupt." in text_of(view.alert)
    with caplog.at_level("ERROR"):
        view = cb.results_view(data, lambda: Broken(RuntimeError("boom")), user, title, 5, None)
    assert "Traceback" not in text_of(view.score) and "went wrong" in text_of(view.score)
    assert "boom" in caplog.text
    assert len(cb.guarded_view(data, None, user, title, 5, None).outputs()) == 11  # even a broken getter


def test_a_model_being_prepared_shows_its_progress_and_asks_again(data, choice):
    user, title = choice
    progress = {"stage": "latent factors", "step": 10, "steps": 12, "fraction": 0.4, "seconds_left": 12.4}

    def preparing():
        raise NotReady("the recommender is being prepared", progress)
    view = cb.results_view(data, preparing, user, title, "x", None)
    alert = text_of(view.alert)
    assert "Preparing the recommender" in alert
    assert "Step 10 of 12: latent factors, 40 % done, about 12 s left." in alert
    assert "whole number" in alert  # the bad k is still reported beside it
    assert not view.poll_disabled and view.results_hidden  # polls until ready; no half-filled cards

    def failed():
        raise NotReady("The recommender could not be prepared (disk full); it is tried again shortly")
    view = cb.results_view(data, failed, user, title, 5, None)
    assert "disk full" in text_of(view.alert) and not view.poll_disabled
    view = cb.results_view(data, lambda: Broken(NotFound("x")), user, title, 5, None)
    assert view.poll_disabled  # a ready model stops the polling


def test_distribution_and_genres_helpers():
    assert cb.distribution({"4.0": 3, 0.5: 1, "x": 2}) == {0.5: 1, 4.0: 3}
    assert cb.distribution([(5, 2), (1, 1)]) == {1.0: 1, 5.0: 2}
    assert cb.genre_shares(["drama", "comedy"]) == [("drama", None), ("comedy", None)]
    assert cb.genre_shares([("drama", 0.4)]) == [("drama", 0.4)]
    assert cb.genre_shares({"drama": 12}) == [("drama", None)]
    assert cb.genre_shares([{"genre": "drama", "share": 0.5}]) == [("drama", 0.5)]
    fig = go.Figure(cb.distribution_figure({3.0: 2, 4.0: 5}, "dark"))  # also passes Plotly's full validation
    assert list(fig.data[0].y) == [2, 5] and fig.layout.template.layout.paper_bgcolor is not None
    assert cb.distribution_figure({}, None)["layout"]["annotations"][0]["text"] == "No ratings"


def test_stars_are_clipped_and_labelled():
    assert panel.stars(4.26).style == {"--rating": "4.26"}
    assert panel.stars(7).style == {"--rating": "5.00"} and panel.stars(None).style == {"--rating": "0.00"}
    assert getattr(panel.stars(3.0), "aria-label") == "3.0 out of 5 stars"


def test_csv_downloads_and_url_callback(app, data, model, choice):
    user, title = choice
    with app.server.test_request_context("/recommend"):
        sent = cb.download_recommendations(1, user, title, 6, "match")
        assert sent["filename"] == f"recommendations-user-{user}-{title}.csv"
        lines = sent["content"].splitlines()
        assert lines[0] == ",".join(cb.REC_COLUMNS) and len(lines) == 7
        sent = cb.download_similar(1, title)
        assert sent["filename"] == f"similar-titles-{title}.csv"
        assert cb.download_recommendations(1, user, title, 99, "match") is dash.no_update
        assert cb.download_similar(1, "nope") is dash.no_update
        assert cb.url_sync(ids.RECOMMEND_K, user, title, 5, "match", "", True, data)[0] == \
            f"?user={user}&title={title}&k=5"
        assert cb.url_sync(ids.RECOMMEND_K, user, title, 5, "match", f"?user={user}&title={title}&k=5", True,
                           data) == [dash.no_update] * 7
        options = cb.update_title_options("zzzz-no-such-title", title)
        assert [o["value"] for o in options] == [title]
        options = cb.update_user_options("1", user)
        assert all(str(o["value"]).startswith("1") or o["value"] == user for o in options)


def test_csv_filename_is_safe():
    assert cb.csv_filename("recommendations", "user-1", "ns42") == "recommendations-user-1-ns42.csv"
    assert cb.csv_filename("similar", "../../etc/passwd") == "similar-etc-passwd.csv"


# ---------------------------------------------------------------------------------------------- browser
def url_params(dash_duo) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(dash_duo.driver.current_url).query).items()}


def wait_until(condition, timeout: float = 10, message: str = "condition") -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message}")


@pytest.mark.browser
def test_recommend_panel_in_a_browser(dash_duo, app, data, model, choice):
    user, title = choice
    dash_duo.start_server(app, navigate=False)
    base = dash_duo.server.url.rstrip("/")

    # A shared link restores the pickers and renders every result card.
    dash_duo.wait_for_page(url=f"{base}/recommend?user={user}&title={title}&k=5", timeout=10)
    predicted = model.predict(user, title)
    dash_duo.wait_for_text_to_equal(f"#{ids.RECOMMEND_SCORE}-value", f"{predicted:.1f}", timeout=60)
    assert dash_duo.find_element(f"#{ids.RECOMMEND_SCORE}-verdict").text
    rows = dash_duo.find_elements(f"#{ids.RECOMMEND_RECS_TABLE} tbody tr")
    recs = model.recommend(user, title, k=5)
    assert len(rows) == 5
    shown = [row.find_elements("css selector", "td")[1].text.splitlines()[0] for row in rows]
    assert shown == [title_case(r["title"]) for r in recs]
    assert title_case(data.titles.at[title, "title"]) not in shown  # never the chosen (rated) title
    assert len(dash_duo.find_elements(f"#{ids.RECOMMEND_SIMILAR} .recommend-similar-item")) > 0
    profile_count = dash_duo.find_element(f"#{ids.RECOMMEND_PROFILE}-count").text
    assert profile_count == f"{int(data.users.set_index('user_id').at[user, 'n_ratings']):,}"
    dash_duo.wait_for_element(f"#{ids.RECOMMEND_PROFILE_CHART} .main-svg", timeout=10)
    assert dash_duo.find_element(f"#{ids.RECOMMEND_USER} .dash-dropdown-value").text.startswith(f"User {user} ·")
    assert dash_duo.find_element(f"#{ids.RECOMMEND_K}").get_attribute("value") == "5"
    assert dash_duo.get_logs() == []

    # Choosing "Highest predicted rating" re-sorts the same titles: the best-rated one comes first, in the URL too.
    best_rated = title_case(cb.in_order(recs, "predicted")[0]["title"])
    assert shown[0] != best_rated
    order_labels = dash_duo.find_elements(f"#{ids.RECOMMEND_ORDER} label")
    assert [label.text for label in order_labels] == list(panel.ORDERS.values())
    order_labels[1].click()
    dash_duo.wait_for_text_to_equal(f"#{ids.RECOMMEND_RECS_TABLE} tbody tr td:nth-child(2) .fw-semibold",
                                    best_rated, timeout=20)
    wait_until(lambda: url_params(dash_duo).get("order") == "predicted", 10, "the order in the URL")
    assert dash_duo.find_element(f"#{ids.RECOMMEND_RECS_TABLE} th[aria-sort]").text.startswith("Predicted")

    # Typing in the title picker asks the server: matching options appear; choosing one updates all and the URL.
    other = data.titles[(data.titles["id"] != title)].sort_values("n_ratings", ascending=False).iloc[3]
    word = max(other["title"].split(), key=len)
    dash_duo.find_element(f"#{ids.RECOMMEND_TITLE}").click()
    box = dash_duo.wait_for_element(".dash-dropdown-search", timeout=5)
    box.send_keys(word)
    wanted = search.title_option(data.titles, other["id"])[1]
    # What the server found for the whole word is what the dropdown shows once the last answer is in (its own
    # filter hides none, typo matches included; earlier keystrokes' answers may show first).
    served = {label for _, label in search.search_titles(data.titles, word, panel.OPTION_LIMIT)}
    shown = lambda: {o.text for o in dash_duo.find_elements("[role=option]")}  # noqa: E731
    wait_until(lambda: wanted in shown() and served <= shown(), 10, "the typed title and the server's matches")
    options = dash_duo.find_elements("[role=option]")
    assert 0 < len(options) <= panel.OPTION_LIMIT + 1
    assert {o.text for o in options} <= served | {search.title_option(data.titles, title)[1]}
    next(o for o in options if o.text == wanted).click()
    wait_until(lambda: url_params(dash_duo).get("title") == other["id"], 10, "the URL to follow")
    assert url_params(dash_duo) == {"user": str(user), "title": other["id"], "k": "5", "order": "predicted"}
    dash_duo.wait_for_text_to_equal(f"#{ids.RECOMMEND_SCORE}-value", f"{model.predict(user, other['id']):.1f}",
                                    timeout=20)

    # The back button restores the previous title.
    dash_duo.driver.back()
    wait_until(lambda: url_params(dash_duo).get("title") == title, 10, "the previous URL")
    dash_duo.wait_for_text_to_equal(f"#{ids.RECOMMEND_SCORE}-value", f"{predicted:.1f}", timeout=20)

    # An impossible k: inline message, input marked invalid, no traceback.
    k_input = dash_duo.find_element(f"#{ids.RECOMMEND_K}")
    dash_duo.clear_input(k_input)
    k_input.send_keys("99")
    dash_duo.wait_for_element(f"#{ids.RECOMMEND_K}.is-invalid", timeout=10)
    dash_duo.wait_for_contains_text(f"#{ids.RECOMMEND_ALERT}", "5 to 30", timeout=10)

    # Dark theme: the results redraw (chart in the dark template), still no console errors.
    dash_duo.find_element(f"#{ids.THEME_SWITCH}").click()
    dash_duo.wait_for_element("html[data-bs-theme='dark']", timeout=5)
    time.sleep(0.3)
    wait_until(lambda: not dash_duo.find_elements("[data-dash-is-loading='true']"), 10, "the redraw")
    time.sleep(0.5)  # let the last responses finish before the server stops
    assert dash_duo.get_logs() == []
