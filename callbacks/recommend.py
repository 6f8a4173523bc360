"""Recommend panel callbacks: picker search -> `core.search`; choices -> the recommender -> result cards; CSV; URL.

Thin wrappers around pure functions (`results_view`, `recs_frame`, `similar_frame`, and the option/URL helpers of
`layouts.recommend`) that tests call directly. Invalid choices become inline messages; a core error
(`StreamingError`) an inline alert; anything else is logged and shown as a short apology, never a traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from dash import Input, Output, State, callback, ctx, no_update

from core import Catalog, search
from core.errors import InvalidQuery, ModelMissing, NotFound, NotReady, StreamingError
from layouts import ids
from layouts import recommend as panel
from layouts.figures import empty_dict, merged, themed_layout
from layouts.state import catalog, recommender
from layouts.tables import send_csv
from layouts.urlstate import page_of

log = logging.getLogger(__name__)
GENERIC_PROBLEM = "Something went wrong while computing this part. Try another choice; the error has been logged."
REC_COLUMNS = ["rank", "id", "title", "platform", "release_year", "type", "predicted_rating", "score", "similarity",
               "reason"]
SIMILAR_COLUMNS = ["rank", "id", "title", "platform", "release_year", "type", "similarity", "reason"]
VERDICTS = ((4.25, "A must-watch for this user"), (3.75, "Likely to enjoy it"), (3.0, "Might like it"),
            (2.25, "Probably not their thing"), (0.0, "Likely to dislike it"))


# ---------------------------------------------------------------------------------------------- views
@dataclass
class ResultsView:
    """What the result area shows, in the order of the update_results outputs."""

    alert: object = None
    empty_hidden: bool = True
    results_hidden: bool = False
    score: object = None
    profile: object = None
    recs: object = None
    similar: object = None
    recs_disabled: bool = True
    similar_disabled: bool = True
    k_invalid: bool = False
    poll_disabled: bool = True  # False while the model is being prepared: the panel asks again in a moment

    def outputs(self) -> list:
        return [self.alert, self.empty_hidden, self.results_hidden, self.score, self.profile, self.recs,
                self.similar, self.recs_disabled, self.similar_disabled, self.k_invalid, self.poll_disabled]


def optional(parse, value):
    """parse(value), None for an empty widget."""
    return None if value is None or value == "" else parse(value)


def title_row(data: Catalog, title_id: str) -> dict:
    """One titles row as a dict."""
    return data.titles.loc[title_id].to_dict()


def verdict_of(model, predicted: float) -> str:
    """The recommender's plain verdict of a predicted rating ('You'll probably love it')."""
    rule = getattr(model, "verdict", None)
    if rule is None:
        from core import recommender as recommender_module  # imported late: it pulls in scikit-learn

        rule = getattr(recommender_module, "verdict", None)
    if rule is None:
        return next(text for bound, text in VERDICTS if predicted >= bound)
    return panel.sentence(rule(predicted)).rstrip(".")


def with_title_facts(data: Catalog, rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """Rows of the model (id, title, platform, ...) ranked, with year and type from the catalogue."""
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    facts = data.titles.reindex(frame["id"].astype(str))
    for column in ("title", "platform", "release_year", "type"):
        if column not in frame or frame[column].isna().all():
            frame[column] = facts[column].to_numpy()
        elif column in ("release_year", "type"):
            frame[column] = frame[column].fillna(pd.Series(facts[column].to_numpy(), index=frame.index))
    for column in columns:
        if column not in frame:
            frame[column] = None
    return frame[columns]


def in_order(recommendations: list[dict], order: str) -> list[dict]:
    """The recommendations as ranked (best match) or by predicted rating as shown (0.1 steps), ties by match."""
    if order != "predicted":
        return list(recommendations)
    return sorted(recommendations, key=lambda rec: (-round(rec["predicted_rating"], 1), -rec["score"]))


def recs_frame(data: Catalog, model, user: object, title: object, k: object,
               order: object = panel.DEFAULT_ORDER) -> pd.DataFrame:
    """The recommendations (data values, lower-case) in the chosen order; InvalidQuery/NotFound for bad values."""
    user_id, title_id, count = panel.parse_user(user), panel.parse_title(title, data.titles), panel.parse_k(k)
    recommendations = model.recommend(user_id, title_id, k=count)
    return with_title_facts(data, in_order(recommendations, panel.order_or_default(order)), REC_COLUMNS)


def similar_frame(data: Catalog, model, title: object, k: int = panel.SIMILAR_K) -> pd.DataFrame:
    """The titles most similar to the chosen one."""
    title_id = panel.parse_title(title, data.titles)
    return with_title_facts(data, model.similar_titles(title_id, k), SIMILAR_COLUMNS)


def user_profile(data: Catalog, model, user_id: int) -> dict:
    """n_ratings, mean, favourite genres [(genre, share)] and rating distribution {rating: count} of a user."""
    raw = {}
    if hasattr(model, "user_profile"):
        try:
            raw = dict(model.user_profile(user_id) or {})
        except NotFound:
            raw = {}
    row = data.users.loc[data.users["user_id"] == user_id]
    n_ratings = raw.get("n_ratings", int(row["n_ratings"].iloc[0]) if len(row) else 0)
    mean = raw.get("mean_rating", float(row["mean_rating"].iloc[0]) if len(row) else None)
    return {"n_ratings": int(n_ratings or 0), "mean_rating": None if mean is None or pd.isna(mean) else float(mean),
            "genres": genre_shares(raw.get("favourite_genres", raw.get("favorite_genres", []))),
            "distribution": distribution(raw.get("rating_distribution", {}))}


def genre_shares(genres) -> list[tuple[str, float | None]]:
    """Favourite genres as (name, share or None) from a list of names, (name, value) pairs, dicts or a mapping."""
    if isinstance(genres, dict):
        genres = list(genres.items())
    out = []
    for item in list(genres or [])[:5]:
        if isinstance(item, str):
            out.append((item, None))
        elif isinstance(item, dict):
            name = item.get("genre", item.get("name"))
            value = item.get("share", item.get("fraction"))
            out.append((str(name), None if value is None else float(value)))
        elif isinstance(item, (tuple, list)) and item:
            value = item[1] if len(item) > 1 else None
            share = float(value) if isinstance(value, float) and 0 <= value <= 1 else None
            out.append((str(item[0]), share))
    return out


def distribution(values) -> dict[float, int]:
    """Ratings 0.5..5 -> count, from a mapping or a list of (rating, count) pairs."""
    pairs = values.items() if isinstance(values, dict) else values or []
    counts = {}
    for rating, count in pairs:
        try:
            counts[float(rating)] = int(count)
        except (TypeError, ValueError):
            continue
    return dict(sorted(counts.items()))


def distribution_figure(counts: dict[float, int], theme: str | None) -> dict:
    """A small bar chart of how often the user gave each rating (a Plotly JSON dict: no per-call validation)."""
    if not counts:
        return empty_dict("No ratings", theme)
    ratings = sorted(counts)
    bars = {"hovertemplate": "%{y:,} ratings of %{x}<extra></extra>", "marker": {"color": "#f5b301"},
            "x": [f"{r:g}" for r in ratings], "y": [counts[r] for r in ratings], "type": "bar"}
    return {"data": [bars], "layout": merged(themed_layout(theme), {
        "margin": {"l": 36, "r": 8, "t": 8, "b": 28}, "bargap": 0.25, "showlegend": False,
        "xaxis": {"type": "category", "title": {}, "fixedrange": True},
        "yaxis": {"title": {}, "fixedrange": True, "rangemode": "tozero"}})}


def section_of(build: Callable[[], object], what: str) -> tuple[object, bool]:
    """(card body, ok?) of one result card: core errors as an inline message, anything else logged."""
    try:
        return build(), True
    except StreamingError as exc:
        return panel.problem(panel.sentence(exc)), False
    except Exception:  # noqa: BLE001 -- the user gets a sentence; the log gets the traceback
        log.exception("recommend: %s failed", what)
        return panel.problem(GENERIC_PROBLEM, "danger"), False


def results_view(data: Catalog, get_model: Callable[[], object], user: object, title: object, k: object,
                 theme: str | None, order: object = panel.DEFAULT_ORDER) -> ResultsView:
    """Every result card for the widget values; the model is only loaded once something is chosen."""
    view, notes = ResultsView(), []
    try:
        user_id = optional(panel.parse_user, user)
    except InvalidQuery as exc:
        user_id, _ = None, notes.append(panel.sentence(exc))
    try:
        title_id = optional(lambda v: panel.parse_title(v, data.titles), title)
    except (InvalidQuery, NotFound) as exc:
        title_id, _ = None, notes.append(panel.sentence(exc))
    try:
        count = panel.parse_k(k)
    except InvalidQuery as exc:
        count, view.k_invalid = None, True
        notes.append(panel.sentence(exc))
    sort_by = panel.order_or_default(order)
    view.alert = panel.problem(" ".join(notes)) if notes else None
    if user_id is None and title_id is None:
        view.empty_hidden, view.results_hidden = False, True
        return view
    try:
        model = get_model()
    except ModelMissing as exc:  # waiting will not help: said once, no polling
        view.alert = [note for note in (view.alert, panel.problem(panel.sentence(exc))) if note]
        view.results_hidden = True
        return view
    except NotReady as exc:
        view.alert = [note for note in (view.alert, panel.preparing(str(exc), exc.progress)) if note]
        view.results_hidden, view.poll_disabled = True, False
        return view
    except StreamingError as exc:
        view.alert = panel.problem(f"The recommender could not be loaded: {panel.sentence(exc)}", "danger")
        return view
    pick_user, pick_title = "Pick a user to see this.", "Pick a title to see this."

    if user_id is None or title_id is None:
        view.score = panel.hint(pick_user if user_id is None else pick_title)
    else:
        def score():
            predicted = float(model.predict(user_id, title_id))
            return panel.score_card(user_id, has_user(data, model, user_id), title_row(data, title_id), predicted,
                                    verdict_of(model, predicted))
        view.score, _ = section_of(score, "prediction")

    if user_id is None:
        view.profile = panel.hint(pick_user)
    else:
        def profile():
            facts = user_profile(data, model, user_id)
            return panel.profile_card(user_id, facts["n_ratings"], facts["mean_rating"], facts["genres"],
                                      distribution_figure(facts["distribution"], theme), facts["distribution"])
        view.profile, _ = section_of(profile, "profile")

    if user_id is None or title_id is None:
        view.recs = panel.hint(pick_user if user_id is None else pick_title)
    elif count is None:
        view.recs = panel.hint(panel.K_MESSAGE)
    else:
        def recs():
            frame = recs_frame(data, model, user_id, title_id, count, sort_by)
            return panel.recs_table(frame, sort_by, not has_user(data, model, user_id))
        view.recs, ok = section_of(recs, "recommendations")
        view.recs_disabled = not ok

    if title_id is None:
        view.similar = panel.hint(pick_title)
    else:
        view.similar, ok = section_of(lambda: panel.similar_list(similar_frame(data, model, title_id)), "similar")
        view.similar_disabled = not ok
    return view


def has_user(data: Catalog, model, user_id: int) -> bool:
    """Whether the model knows the user (else: cold start)."""
    if hasattr(model, "has_user"):
        return bool(model.has_user(user_id))
    return search.has_user(data.users, user_id)


def guarded_view(data: Catalog, get_model, user, title, k, theme, order=panel.DEFAULT_ORDER) -> ResultsView:
    """results_view, with any unexpected error as a short alert instead of a traceback."""
    try:
        return results_view(data, get_model, user, title, k, theme, order)
    except Exception:  # noqa: BLE001
        log.exception("recommend: results failed for %r %r %r", user, title, k)
        return ResultsView(alert=panel.problem(GENERIC_PROBLEM, "danger"))


def csv_filename(*parts: object) -> str:
    """'recommendations-user-1-as1.csv': safe characters only."""
    text = "-".join(str(part) for part in parts if part not in (None, ""))
    return re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-") + ".csv"


# ---------------------------------------------------------------------------------------------- pickers
@callback(Output(ids.RECOMMEND_USER, "options"), Input(ids.RECOMMEND_USER, "search_value"),
          State(ids.RECOMMEND_USER, "value"), prevent_initial_call=True)
def update_user_options(text, value):
    """Users matching what is typed (searched on the server), the chosen one always kept."""
    try:
        return panel.user_options(catalog().users, text, value)
    except Exception:  # noqa: BLE001 -- keep the current options; the log has the traceback
        log.exception("recommend: user search failed for %r", text)
        return no_update


@callback(Output(ids.RECOMMEND_TITLE, "options"), Input(ids.RECOMMEND_TITLE, "search_value"),
          State(ids.RECOMMEND_TITLE, "value"), prevent_initial_call=True)
def update_title_options(text, value):
    """Titles matching what is typed (searched on the server), the chosen one always kept."""
    try:
        return panel.title_options(catalog().titles, text, value)
    except Exception:  # noqa: BLE001
        log.exception("recommend: title search failed for %r", text)
        return no_update


# ---------------------------------------------------------------------------------------------- results
@callback(
    Output(ids.RECOMMEND_ALERT, "children"), Output(ids.RECOMMEND_EMPTY, "hidden"),
    Output(ids.RECOMMEND_RESULTS, "hidden"), Output(ids.RECOMMEND_SCORE, "children"),
    Output(ids.RECOMMEND_PROFILE, "children"), Output(ids.RECOMMEND_RECS, "children"),
    Output(ids.RECOMMEND_SIMILAR, "children"), Output(ids.RECOMMEND_RECS_CSV_BUTTON, "disabled"),
    Output(ids.RECOMMEND_SIMILAR_CSV_BUTTON, "disabled"), Output(ids.RECOMMEND_K, "invalid"),
    Output(ids.RECOMMEND_MODEL_POLL, "disabled"),
    Input(ids.RECOMMEND_USER, "value"), Input(ids.RECOMMEND_TITLE, "value"), Input(ids.RECOMMEND_K, "value"),
    Input(ids.THEME_STORE, "data"), Input(ids.RECOMMEND_MODEL_POLL, "n_intervals"), Input(ids.RECOMMEND_ORDER, "value"),
)
def update_results(user, title, k, theme, _poll, order):
    """Every result card for the chosen user, title, k and order (while the model is prepared: its progress)."""
    return guarded_view(catalog(), recommender, user, title, k, theme, order).outputs()


@callback(Output(ids.RECOMMEND_RECS_CSV, "data"), Input(ids.RECOMMEND_RECS_CSV_BUTTON, "n_clicks"),
          State(ids.RECOMMEND_USER, "value"), State(ids.RECOMMEND_TITLE, "value"), State(ids.RECOMMEND_K, "value"),
          State(ids.RECOMMEND_ORDER, "value"), prevent_initial_call=True)
def download_recommendations(_clicks, user, title, k, order):
    """The recommendations table as a CSV file, in the order shown."""
    try:
        frame = recs_frame(catalog(), recommender(), user, title, k, order)
    except StreamingError:
        return no_update
    except Exception:  # noqa: BLE001
        log.exception("recommend: CSV of recommendations failed")
        return no_update
    return send_csv(frame, csv_filename("recommendations", f"user-{user}", title))


@callback(Output(ids.RECOMMEND_SIMILAR_CSV, "data"), Input(ids.RECOMMEND_SIMILAR_CSV_BUTTON, "n_clicks"),
          State(ids.RECOMMEND_TITLE, "value"), prevent_initial_call=True)
def download_similar(_clicks, title):
    """The similar-titles list as a CSV file."""
    try:
        frame = similar_frame(catalog(), recommender(), title)
    except StreamingError:
        return no_update
    except Exception:  # noqa: BLE001
        log.exception("recommend: CSV of similar titles failed")
        return no_update
    return send_csv(frame, csv_filename("similar-titles", title))


# ---------------------------------------------------------------------------------------------- URL
SYNCED = ("search", "user", "title", "k", "order", "user_options", "title_options")


def url_sync(trigger: str | None, user: object, title: object, k: object, order: object, search: str | None,
             on_panel: bool, data: Catalog) -> list:
    """Values of the sync_url outputs (`no_update` where nothing changes): a picker change writes the URL query
    (one history entry per real change); a URL change (back/forward) sets the pickers that differ from it."""
    out = dict.fromkeys(SYNCED, no_update)
    if trigger == ids.RECOMMEND_URL:
        if on_panel:  # else: leaving the panel, the page is about to change
            out.update(panel.widgets_for_url(search, user, title, k, order, data))
    else:
        wanted = panel.new_search(search, user, title, k, order, data)
        if wanted is not None:
            out["search"] = wanted
    return [out[name] for name in SYNCED]


@callback(Output(ids.RECOMMEND_URL, "search"), Output(ids.RECOMMEND_USER, "value"),
          Output(ids.RECOMMEND_TITLE, "value"), Output(ids.RECOMMEND_K, "value"), Output(ids.RECOMMEND_ORDER, "value"),
          Output(ids.RECOMMEND_USER, "options", allow_duplicate=True),
          Output(ids.RECOMMEND_TITLE, "options", allow_duplicate=True),
          Input(ids.RECOMMEND_USER, "value"), Input(ids.RECOMMEND_TITLE, "value"), Input(ids.RECOMMEND_K, "value"),
          Input(ids.RECOMMEND_ORDER, "value"), Input(ids.RECOMMEND_URL, "search"), State(ids.RECOMMEND_URL, "pathname"),
          prevent_initial_call=True)
def sync_url(user, title, k, order, search, pathname):
    """Keep the pickers and the address bar in step: shareable, reload-safe, and back/forward restore the pickers."""
    try:
        on_panel = page_of(pathname) == "recommend"
        return url_sync(ctx.triggered_id, user, title, k, order, search, on_panel, catalog())
    except Exception:  # noqa: BLE001 -- keep the page as it is rather than fail
        log.exception("recommend: picker/URL sync failed")
        return [no_update] * len(SYNCED)
