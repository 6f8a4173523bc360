"""Recommend panel: pick a user and a title, get the predicted rating, what to watch next, similar titles and
a short profile of the user.

The pickers search on the server (`core.search`): the browser only ever holds ~20 options. Every choice lives in
the URL query (`?user=123&title=ns42&k=5&order=predicted`): `layout(**query)` pre-fills the widgets from it (with
readable labels), replacing invalid values with an inline notice. This module only builds components;
`callbacks/recommend.py` wires them.
"""

from __future__ import annotations

from dataclasses import dataclass

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from core import Catalog, search
from core.progress import summary
from core.text import bounded, quoted, title_case
from core.errors import InvalidQuery, NotFound
from layouts import ids
from layouts.figures import PLATFORM_COLORS, readable_on
from layouts.header import page_header
from layouts.state import catalog
from layouts.tables import TYPE_NAMES, chart_data_details, csv_download_button, rows_table, title_link
from layouts.urlstate import from_query_string, to_query_string

DEFAULT_K, MIN_K, MAX_K = 10, 5, 30
SIMILAR_K = 8
OPTION_LIMIT = 20
TYPED_IN_SEARCH = 100  # characters of the typed text kept in each option's search text (typo matches lack it)
MAX_USER_ID = 10**12
K_MESSAGE = f"Enter a whole number of recommendations from {MIN_K} to {MAX_K}."
LOADING_TEXT = "Scoring titles…"
MODEL_POLL_MS = 2000  # how often the panel asks again while the model is being prepared
ORDERS = {"match": "Best match", "predicted": "Highest predicted rating"}  # URL value -> control label
DEFAULT_ORDER = "match"
ORDER_MESSAGE = "Sort by 'match' (best match first) or 'predicted' (highest predicted rating first)."
MATCH_MEANING = ("Match blends how much this user is predicted to like a title, how close it is to their taste "
                 "profile and how popular it is, among titles similar to the one you picked.")
NEW_USER_MATCH_MEANING = ("Match blends how close a title is to the one you picked, how popular it is and how well "
                          "everyone rates it: a new user has no ratings of their own yet.")


# ---------------------------------------------------------------------------------------------- parsing
def parse_user(value: object) -> int:
    """A user id (positive whole number) from a widget or URL value; InvalidQuery otherwise."""
    if isinstance(value, bool) or value is None:
        raise InvalidQuery("Choose a user")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    digits = search.parse_user_text(value) if not isinstance(value, int) else str(value)
    if not digits or not 0 < int(digits) < MAX_USER_ID:
        raise InvalidQuery(f"{value!s:.40} is not a user id: user ids are whole numbers like 1 or 2718")
    return int(digits)


def parse_title(value: object, titles: pd.DataFrame) -> str:
    """A title id of the catalogue ('ns42'); InvalidQuery when empty, NotFound when the catalogue lacks it."""
    if value is None or not str(value).strip():
        raise InvalidQuery("Choose a title")
    option = search.title_option(titles, bounded(str(value), "title id", 40))
    if option is None:
        raise NotFound(f"There is no title with id {quoted(str(value))} in the catalogues")
    return option[0]


def parse_k(value: object) -> int:
    """The number of recommendations: a whole number from MIN_K to MAX_K; InvalidQuery otherwise."""
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        raise InvalidQuery(K_MESSAGE)
    if isinstance(value, str) and len(value) > 20:
        raise InvalidQuery(K_MESSAGE)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidQuery(K_MESSAGE) from None
    if not number.is_integer() or not MIN_K <= number <= MAX_K:
        raise InvalidQuery(K_MESSAGE)
    return int(number)


def parse_order(value: object) -> str:
    """The recommendations' order: 'match' or 'predicted' (any case); InvalidQuery otherwise."""
    if isinstance(value, str) and len(value) <= 20 and value.strip().lower() in ORDERS:
        return value.strip().lower()
    raise InvalidQuery(ORDER_MESSAGE)


def order_or_default(value: object) -> str:
    """The order a widget value names; the default for anything else (the control only sends valid ones)."""
    try:
        return parse_order(value)
    except InvalidQuery:
        return DEFAULT_ORDER


# ---------------------------------------------------------------------------------------------- URL state
@dataclass(frozen=True)
class RecommendState:
    """The panel's choices: user id and title id (None: not chosen yet), number and order of recommendations."""

    user: int | None = None
    title: str | None = None
    k: int = DEFAULT_K
    order: str = DEFAULT_ORDER


def state_from_query(query: dict[str, str], data: Catalog) -> tuple[RecommendState, list[str]]:
    """The choices in URL query parameters, and a note for each invalid one (dropped: left empty or default)."""
    values: dict[str, object] = {}
    notes = []
    readers = {"user": parse_user, "title": lambda text: parse_title(text, data.titles), "k": parse_k,
               "order": parse_order}
    for key, read in readers.items():
        text = query.get(key)
        if text is None or not str(text).strip():
            continue
        try:
            values[key] = read(text)
        except (InvalidQuery, NotFound) as exc:
            notes.append(f"{key}: {exc}")
    return RecommendState(**values), notes


def query_string(state: RecommendState) -> str:
    """'?user=1&title=ns42&k=5&order=predicted' ('' when nothing is chosen; default k and order are left out)."""
    return to_query_string({"user": state.user, "title": state.title,
                            "k": state.k if state.k != DEFAULT_K else None,
                            "order": state.order if state.order != DEFAULT_ORDER else None})


def widget_state(user: object, title: object, k: object, order: object, data: Catalog,
                 current: RecommendState) -> RecommendState:
    """The choices of the widgets; an invalid value keeps what the URL says (so a half-typed k is not written)."""
    def read(parse, value, fallback, empty=None):
        if value is None or value == "":
            return empty
        try:
            return parse(value)
        except (InvalidQuery, NotFound):
            return fallback

    return RecommendState(user=read(parse_user, user, current.user),
                          title=read(lambda v: parse_title(v, data.titles), title, current.title),
                          k=read(parse_k, k, current.k, empty=current.k),
                          order=read(parse_order, order, current.order, empty=current.order))


def widgets_for_url(search: str | None, user: object, title: object, k: object, order: object,
                    data: Catalog) -> dict:
    """The widget props to set so the pickers show what the URL says (after back/forward), only those that differ:
    keys among 'user', 'title', 'k', 'order', and 'user_options' / 'title_options' that hold the new choice with
    its label (a dropdown clears a value missing from its options)."""
    wanted, _ = state_from_query(from_query_string(search if isinstance(search, str) else ""), data)
    shown = widget_state(user, title, k, order, data, RecommendState(None, None, None, None))  # type: ignore[arg-type]
    changes: dict[str, object] = {}
    if shown.user != wanted.user:
        changes.update(user=wanted.user, user_options=user_options(data.users, None, wanted.user))
    if shown.title != wanted.title:
        changes.update(title=wanted.title, title_options=title_options(data.titles, None, wanted.title))
    if shown.k != wanted.k:
        changes["k"] = wanted.k
    if shown.order != wanted.order:
        changes["order"] = wanted.order
    return changes


def new_search(current: str | None, user: object, title: object, k: object, order: object,
               data: Catalog) -> str | None:
    """The query string to push for the widget values, or None when the URL already says the same.

    Dash also fires the URL writer when the page renders (first load, reload, back button); writing then would
    push a duplicate history entry and trap the back button, so only real changes count.
    """
    now, _ = state_from_query(from_query_string(current), data)
    wanted = widget_state(user, title, k, order, data, now)
    return None if wanted == now else query_string(wanted)


# ---------------------------------------------------------------------------------------------- options
def user_options(users: pd.DataFrame, text: object, selected: object = None,
                 limit: int = OPTION_LIMIT) -> list[dict]:
    """Dropdown options of the users matching the typed text (most active first; no text: the most active).

    A typed id of nobody in the data is offered as a new user (cold start); the selected user always stays in
    the list (the dropdown clears a value missing from its options).
    """
    found = search.search_users(users, text, limit)
    digits = search.parse_user_text(text) if text else ""
    if digits and 0 < int(digits) < MAX_USER_ID and not search.has_user(users, int(digits)):
        found.insert(0, search.user_option(users, int(digits)))
    try:
        chosen = parse_user(selected) if selected not in (None, "") else None
    except InvalidQuery:
        chosen = None
    if chosen is not None and all(value != chosen for value, _ in found):
        found.append(search.user_option(users, chosen))
    return [{"label": label, "value": value} for value, label in found]


def title_options(titles: pd.DataFrame, text: object, selected: object = None,
                  limit: int = OPTION_LIMIT) -> list[dict]:
    """Dropdown options of the titles matching the typed text (best match first; no text: the most rated).

    `search` holds the accent-folded label, the id and the typed text, so the dropdown's own filter keeps every
    server match, typo matches included.
    """
    found = search.search_titles(titles, text, limit)
    option = search.title_option(titles, selected) if selected not in (None, "") else None
    if option is not None and all(value != option[0] for value, _ in found):
        found.append(option)
    typed = str(text or "")[:TYPED_IN_SEARCH].lower()
    return [{"label": label, "value": value, "search": f"{search.normalize(label)} {value} {typed}".rstrip()}
            for value, label in found]


def examples(data: Catalog) -> list[tuple[int, str, str]]:
    """Example choices for the empty state: (user id, title id, description), deterministic."""
    users = data.users.sort_values(["n_ratings", "user_id"], ascending=[False, True])
    titles = data.titles.sort_values(["n_ratings", "id"], ascending=[False, True])
    if users.empty or titles.empty:
        return []
    out = [(int(users.iloc[0]["user_id"]), str(titles.iloc[0]["id"]), "the most active user")]
    typical = users.iloc[min(len(users) - 1, len(users) // 20)]  # more active than 95% of users
    second = titles[titles["platform"] != titles.iloc[0]["platform"]]
    if len(users) > 1 and not second.empty:
        out.append((int(typical["user_id"]), str(second.iloc[0]["id"]), "a regular viewer"))
    new_user = int(data.users["user_id"].max()) + 1
    out.append((new_user, str(titles.iloc[min(2, len(titles) - 1)]["id"]), "a new user (no ratings yet)"))
    return out


# ---------------------------------------------------------------------------------------------- small parts
def stars(value: float | None, size: str = "") -> html.Span:
    """Five stars filled to the value (0-5), readable by screen readers."""
    rating = 0.0 if value is None or pd.isna(value) else max(0.0, min(5.0, float(value)))
    return html.Span(className=f"stars {size}".strip(), style={"--rating": f"{rating:.2f}"}, role="img",
                     **{"aria-label": f"{rating:.1f} out of 5 stars"})


def platform_badge(platform: object) -> html.Span:
    """The platform's name on its colour."""
    name = search.platform_name(platform)
    return html.Span(name, className="platform-badge",
                     style={"--platform-color": PLATFORM_COLORS.get(str(platform), "var(--bs-secondary)"),
                            "--platform-text": readable_on(PLATFORM_COLORS.get(str(platform), "#6c757d"))})


def section(title: str, caption: str, body_id: str, tools: object = None, class_name: str = "") -> dbc.Card:
    """A result card: header with title, caption and optional tools (CSV button); a body filled by a callback."""
    header = dbc.Row([
        dbc.Col([html.H2(title, className="h6 mb-0", id=f"{body_id}-heading"),
                 html.Small(caption, className="text-body-secondary", id=f"{body_id}-caption")], xs=True),
        dbc.Col(tools, xs="auto") if tools is not None else None,
    ], className="g-2 align-items-center")
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(html.Div(id=body_id), className="recommend-card-body")],
                    className=f"h-100 recommend-card {class_name}".strip())


# ---------------------------------------------------------------------------------------------- result cards
def hint(text: str) -> html.P:
    """A muted line saying what to choose to fill a card."""
    return html.P(text, className="recommend-hint mb-0")


def problem(message: str, color: str = "warning") -> dbc.Alert:
    """An inline message inside a card."""
    return dbc.Alert(message, color=color, className="py-2 px-3 mb-0 small recommend-problem")


def preparing(message: str, progress: dict) -> dbc.Alert:
    """The model is not ready yet: what is happening and, when known, how far it is (a bar and the time left)."""
    if not progress.get("stage"):
        return dbc.Alert(sentence(message), color="info", className="py-2 px-3 mb-3 small recommend-preparing")
    children = [html.Strong("Preparing the recommender. "),
                "It is fitted once, when the app first starts on new data; the other pages work meanwhile and "
                "this panel fills in by itself.", html.Div(sentence(summary(progress)), className="mt-1")]
    fraction = progress.get("fraction")
    if fraction is not None:
        children.append(progress_bar(round(100 * fraction), f"Preparing the recommender: {progress['stage']}"))
    return dbc.Alert(children, color="info", className="py-2 px-3 mb-3 small recommend-preparing")


def progress_bar(percent: int, name: str) -> html.Div:
    """Bootstrap 5.3's progress bar, named for screen readers (dbc.Progress takes no aria-label)."""
    return html.Div(html.Div(className="progress-bar progress-bar-striped progress-bar-animated",
                             style={"width": f"{percent}%"}),
                    className="progress mt-2", role="progressbar", style={"height": "0.75rem"},
                    **{"aria-label": name, "aria-valuenow": percent, "aria-valuemin": 0, "aria-valuemax": 100})


def sentence(text: object) -> str:
    """A message as a sentence: capital first letter and a final full stop."""
    words = str(text).strip() or "Something went wrong"
    words = words[0].upper() + words[1:]
    return words if words.endswith((".", "!", "?")) else words + "."


def reason_text(reason: object) -> str:
    """A readable reason: 'same genres: drama, comedy · same cast: tom hanks · predicted ★4.1' ->
    'Same genres: Drama, Comedy · same cast: Tom Hanks'. The predicted rating has its own column."""
    parts = []
    for part in str(reason or "").split(" · "):
        part = part.strip()
        if not part or part.startswith("predicted ★"):
            continue
        label, colon, items = part.partition(": ")
        if colon and label.startswith(("same ", "shared ")):
            part = f"{label}: {', '.join(title_case(item.strip()) for item in items.split(','))}"
        parts.append(part)
    text = " · ".join(parts) or "Suited to this user"
    return text[0].upper() + text[1:]


def verdict_class(predicted: float) -> str:
    """CSS class of the verdict colour."""
    return "good" if predicted >= 3.75 else "fair" if predicted >= 2.75 else "poor"


def title_facts(row: dict | None) -> list:
    """'Amazon Prime · Movie · 2014 · Drama, Comedy' of a titles row."""
    if not row:
        return []
    parts: list = [platform_badge(row.get("platform"))]
    extra = [TYPE_NAMES.get(str(row.get("type"))), year_text(row)]
    genres = row.get("listed_in")
    if isinstance(genres, str) and genres:
        extra.append(title_case(", ".join(g.strip() for g in genres.split(",")[:3])))
    parts.append(html.Span(" · ".join(x for x in extra if x), className="ms-2 small text-body-secondary"))
    return parts


def score_card(user_id: int, known_user: bool, row: dict, predicted: float, verdict: str) -> html.Div:
    """The predicted rating as a number, stars and a plain verdict, with the title's facts and mean score."""
    mean, count = row.get("score"), int(row.get("n_ratings") or 0)
    context = (f"Everyone: {mean:.1f} / 5 from {count:,} rating{'s' if count != 1 else ''}"
               if mean is not None and not pd.isna(mean) and count else "No ratings of this title yet")
    basis = ("From their own ratings and those of similar users" if known_user
             else "A new user: estimated from how everyone rates this title")
    return html.Div([
        html.Div([html.Span(f"{predicted:.1f}", className="recommend-score-value", id=f"{ids.RECOMMEND_SCORE}-value"),
                  html.Span(" / 5", className="recommend-score-scale")], className="mb-1"),
        stars(predicted, "stars-lg"),
        html.Div(verdict, className=f"recommend-verdict mt-2 {verdict_class(predicted)}",
                 id=f"{ids.RECOMMEND_SCORE}-verdict"),
        html.P([f"User {user_id} on ", html.Strong(title_link(row.get("id"), row.get("title")))],
               className="mb-1 mt-2"),
        html.Div(title_facts(row), className="mb-2"),
        html.Div([stars(mean, "stars-sm"), html.Span(f" {context}", className="small text-body-secondary")]),
        html.Div(basis, className="small text-body-secondary mt-1"),
    ])


def stat(name: str, value: str, element_id: str | None = None) -> dbc.Col:
    """One number of the user profile."""
    kwargs = {"id": element_id} if element_id else {}
    return dbc.Col([html.Div(value, className="recommend-stat-value", **kwargs),
                    html.Div(name, className="recommend-stat-name")], xs="auto", class_name="me-4")


def ratings_summary(counts: dict[float, int]) -> str:
    """The rating distribution chart in one sentence: how many ratings, the most frequent rating, the range."""
    if not counts:
        return "No ratings to chart."
    total = sum(counts.values())
    common = max(counts, key=lambda rating: (counts[rating], rating))
    return (f"{total:,} ratings from {min(counts):g} to {max(counts):g} stars; the most frequent is {common:g} "
            f"({counts[common]:,} times, {counts[common] / total:.0%}).")


def ratings_table(counts: dict[float, int]) -> dcc.Markdown | None:
    """The rating distribution chart as a table: each rating and how often the user gave it."""
    if not counts:
        return None
    total = sum(counts.values())
    return rows_table(["Rating", "Times given", "Share"],
                      [[f"{rating:g}", f"{count:,}", f"{count / total:.0%}"] for rating, count in counts.items()],
                      "How often this user gave each rating")


def profile_card(user_id: int, n_ratings: int, mean: float | None, genres: list[tuple[str, float | None]],
                 figure, counts: dict[float, int] | None = None) -> html.Div:
    """How many ratings, their mean, favourite genres and the rating distribution chart (`counts`: rating ->
    times given, for the chart's sentence and table)."""
    if not n_ratings:
        return html.Div([
            html.H3(f"User {user_id} · new user", className="h6"),
            html.P("No ratings in the data yet, so there is no profile. Recommendations fall back to titles like the "
                   "chosen one and to what most people rate highly (cold start).", className="mb-0 recommend-hint"),
        ], id=f"{ids.RECOMMEND_PROFILE}-new")
    genre_badges = [dbc.Badge([title_case(name), html.Span(f" {share:.0%}", className="fw-normal")
                               if share is not None else None],
                              color="secondary", class_name="me-1 mb-1 recommend-genre")
                    for name, share in genres] or [html.Span("—", className="text-body-secondary")]
    return dbc.Row([
        dbc.Col([
            html.H3(f"User {user_id}", className="h6"),
            dbc.Row([stat("ratings", f"{n_ratings:,}", f"{ids.RECOMMEND_PROFILE}-count"),
                     stat("mean rating", "—" if mean is None else f"{mean:.2f}")], class_name="g-0 mb-3"),
            html.Div("Favourite genres", className="recommend-stat-name mb-1",
                     title="Share of the titles they rated 4 or more that have the genre"),
            html.Div(genre_badges, id=f"{ids.RECOMMEND_PROFILE}-genres"),
        ], xs=12, md=5),
        dbc.Col([html.Div("Ratings given", className="recommend-stat-name"),
                 dcc.Graph(id=ids.RECOMMEND_PROFILE_CHART, figure=figure, style={"height": "170px"},
                           config={"displayModeBar": False, "responsive": True}),
                 html.P(ratings_summary(counts or {}), className="chart-summary",
                        id=f"{ids.RECOMMEND_PROFILE_CHART}-summary"),
                 chart_data_details(None, f"Ratings given by user {user_id}", ratings_table(counts or {}))
                 if counts else None], xs=12, md=7),
    ], class_name="g-3")


def year_text(record: dict) -> str:
    """A titles record's release year as text; '' when unknown."""
    year = record.get("release_year")
    return "" if year is None or pd.isna(year) else str(int(year))


def platform_and_year(record: dict) -> list:
    """The platform badge and release year shown under a title."""
    year = year_text(record)
    return [platform_badge(record["platform"]),
            html.Span(f" {year}" if year else "", className="small text-body-secondary ms-1")]


def recs_table(frame: pd.DataFrame, order: str = DEFAULT_ORDER, new_user: bool = False) -> html.Div:
    """What "match" means, then the table: rank, title, predicted rating in stars, match with a bar, reason."""
    if frame.empty:
        return hint("No titles left to recommend: this user has rated everything that matches.")
    rows = [html.Tr([
        html.Td(str(record["rank"]), className="text-end text-body-secondary"),
        html.Td([html.Div(title_link(record["id"], record["title"]), className="fw-semibold"),
                 html.Div(platform_and_year(record)),
                 html.Div(reason_text(record.get("reason")), className="recommend-reason d-md-none")]),
        html.Td([stars(record["predicted_rating"], "stars-sm"),
                 html.Span(f" {record['predicted_rating']:.1f}", className="small",
                           title=f"Predicted {record['predicted_rating']:.2f} out of 5")], className="text-nowrap"),
        html.Td(match_cell(record.get("score")), className="recommend-match"),
        html.Td(reason_text(record.get("reason")), className="recommend-reason d-none d-md-table-cell"),
    ], className="recommend-row") for record in frame.to_dict("records")]
    header = html.Thead(html.Tr([html.Th("#", className="text-end", scope="col"),
                                 html.Th("Title", scope="col"),
                                 sorted_header("Predicted", order == "predicted"),
                                 sorted_header("Match", order == "match", "recommend-match"),
                                 html.Th("Why", scope="col", className="d-none d-md-table-cell")]))
    table = dbc.Table([header, html.Tbody(rows)], striped=True, hover=True, size="sm", responsive=True,
                      class_name="mb-0 align-middle result-table recommend-table", id=ids.RECOMMEND_RECS_TABLE)
    return html.Div([match_note(order, new_user), table])


def match_note(order: str, new_user: bool) -> html.P:
    """One plain line above the table: how it is sorted and what the match score means."""
    sorted_by = ("Sorted by predicted rating, ties by match. " if order == "predicted"
                 else "Sorted by match, best first. ")
    return html.P([html.Strong(sorted_by), NEW_USER_MATCH_MEANING if new_user else MATCH_MEANING],
                  className="recommend-match-note", id=ids.RECOMMEND_MATCH_NOTE)


def sorted_header(label: str, is_sorted: bool, class_name: str = "") -> html.Th:
    """A column header, marked (for eyes and screen readers) when the table is sorted by it."""
    if not is_sorted:
        return html.Th(label, scope="col", className=class_name or None)
    return html.Th([label, html.Span(" ▼", className="recommend-sort-mark", **{"aria-hidden": "true"})],
                   scope="col", className=f"{class_name} recommend-sorted".strip(), **{"aria-sort": "descending"})


def match_cell(score: object) -> list:
    """The match score (0-1) as a percentage over a thin bar; '—' when missing."""
    if score is None or pd.isna(score):
        return ["—"]
    share = max(0.0, min(1.0, float(score)))
    return [html.Span(f"{share:.0%}", className="recommend-match-value"),
            html.Div(html.Span(style={"width": f"{share:.0%}"}), className="recommend-match-bar",
                     **{"aria-hidden": "true"})]


def similar_list(frame: pd.DataFrame) -> html.Div:
    """Similar titles with platform, year and a similarity bar."""
    if frame.empty:
        return hint("No similar titles found.")
    items = []
    for record in frame.to_dict("records"):
        similarity = max(0.0, min(1.0, float(record.get("similarity") or 0.0)))
        items.append(dbc.ListGroupItem([
            html.Div([html.Span(title_link(record["id"], record["title"]), className="fw-semibold me-2"),
                      html.Span(f"{similarity:.0%}", className="small text-body-secondary",
                                title="Similarity to the chosen title")],
                     className="d-flex justify-content-between"),
            html.Div(platform_and_year(record), className="mb-1"),
            html.Div(reason_text(record.get("reason")), className="recommend-reason mb-1") if record.get("reason")
            else None,
            html.Div(html.Span(style={"width": f"{similarity:.0%}"}), className="recommend-similarity"),
        ], class_name="px-0 recommend-similar-item"))
    return dbc.ListGroup(items, flush=True, class_name="recommend-similar")


# ---------------------------------------------------------------------------------------------- pickers
def picker_bar(data: Catalog, state: RecommendState) -> dbc.Card:
    """User picker, title picker and the number of recommendations."""
    user_field = dcc.Dropdown(
        id=ids.RECOMMEND_USER, options=user_options(data.users, None, state.user), value=state.user,
        placeholder="Type a user id, e.g. 42…", clearable=True, maxHeight=320, className="recommend-picker",
        labels={"no_options_found": "No user id starts with that: type digits only",
                "search": "Search user ids…"})
    title_field = dcc.Dropdown(
        id=ids.RECOMMEND_TITLE, options=title_options(data.titles, None, state.title), value=state.title,
        placeholder="Type part of a title…", clearable=True, maxHeight=320, className="recommend-picker",
        labels={"no_options_found": "No title matches: try fewer or other words", "search": "Search titles…"})
    k_field = html.Div([
        dbc.Input(id=ids.RECOMMEND_K, type="number", min=MIN_K, max=MAX_K, step=1, value=state.k, debounce=0.4,
                  inputmode="numeric"),
        dbc.FormFeedback(f"Enter {MIN_K}–{MAX_K}", type="invalid"),
    ])
    return dbc.Card(dbc.CardBody(dbc.Row([
        dbc.Col([dbc.Label("User", html_for=ids.RECOMMEND_USER, class_name="filter-label"), user_field,
                 dbc.FormText("Most active users first; a new id gets cold-start picks")], xs=12, md=4),
        dbc.Col([dbc.Label("Title they liked", html_for=ids.RECOMMEND_TITLE, class_name="filter-label"),
                 title_field, dbc.FormText("Search 'star wars', 'lord rings'… most rated first")], xs=12, md=5, xl=6),
        dbc.Col([dbc.Label("Recommendations", html_for=ids.RECOMMEND_K, class_name="filter-label"), k_field,
                 dbc.FormText(f"{MIN_K} to {MAX_K}")], xs=12, md=3, xl=2),  # md: room for its one-word label
    ], class_name="g-3")), class_name="mb-3 recommend-pickers")


def example_links(data: Catalog) -> list:
    """'Try: User 1 · The Grand Seduction' links that fill the pickers."""
    links = []
    for user_id, title_id, who in examples(data):
        option = search.title_option(data.titles, title_id)
        title_text = option[1].split(" · ")[0] if option else title_id
        link = dcc.Link([html.Strong(f"User {user_id}"), f" · {title_text}"],
                        href=f"/recommend{query_string(RecommendState(user_id, title_id))}",
                        className="recommend-example")
        links.append(html.Li([link, html.Span(f" — {who}", className="text-body-secondary small")],
                             className="mb-1"))
    return links


def empty_state(data: Catalog, hidden: bool = False) -> html.Div:
    """What to do when nothing is chosen yet, with example choices."""
    return html.Div(dbc.Card(dbc.CardBody([
        html.Div("★", className="recommend-empty-icon", **{"aria-hidden": "true"}),
        html.H2("Pick a user and a title", className="h5"),
        html.P(["Choose a user (type their id) and a title they watched. You'll see how much they would like it, ",
                "what to watch next and why, similar titles, and what the user usually rates."],
               className="text-body-secondary mb-3"),
        html.Div("Try:", className="fw-semibold small text-uppercase text-body-secondary mb-1"),
        html.Ul(example_links(data), className="list-unstyled mb-0"),
    ]), class_name="recommend-empty-card"), id=ids.RECOMMEND_EMPTY, hidden=hidden)


def order_control(order: str) -> html.Div:
    """'Sort by [Best match | Highest predicted rating]': a labelled radio group drawn as segmented buttons."""
    label_id = f"{ids.RECOMMEND_ORDER}-label"
    return html.Div([
        html.Span("Sort by", id=label_id, className="recommend-order-label"),
        dbc.RadioItems(id=ids.RECOMMEND_ORDER, options=[{"label": text, "value": value}
                                                        for value, text in ORDERS.items()],
                       value=order, name=ids.RECOMMEND_ORDER, class_name="btn-group recommend-order",
                       input_class_name="btn-check", label_class_name="btn btn-outline-primary btn-sm",
                       label_checked_class_name="active"),
    ], role="radiogroup", className="recommend-order-group", **{"aria-labelledby": label_id})


def results_grid(order: str = DEFAULT_ORDER, hidden: bool = False) -> html.Div:
    """The result cards (filled by the results callback; hidden while nothing is chosen)."""
    return html.Div([
        dbc.Row([
            dbc.Col(section("Predicted rating", "How this user would rate the title", ids.RECOMMEND_SCORE),
                    xs=12, lg=4),
            dbc.Col(section("User profile", "What this user has rated so far", ids.RECOMMEND_PROFILE), xs=12, lg=8),
        ], class_name="g-3 mb-3"),
        dbc.Row([
            dbc.Col(section("Recommended next", "Titles this user has not rated", ids.RECOMMEND_RECS,
                            html.Div([order_control(order),
                                      csv_download_button(ids.RECOMMEND_RECS_CSV_BUTTON, ids.RECOMMEND_RECS_CSV)],
                                     className="recommend-recs-tools")),
                    xs=12, xl=8),
            dbc.Col(section("Similar titles", "By genre, description and people", ids.RECOMMEND_SIMILAR,
                            csv_download_button(ids.RECOMMEND_SIMILAR_CSV_BUTTON, ids.RECOMMEND_SIMILAR_CSV)),
                    xs=12, xl=4),
        ], class_name="g-3 align-items-start"),
    ], id=ids.RECOMMEND_RESULTS, hidden=hidden)


def link_alert(notes: list[str]) -> dbc.Alert | None:
    """A notice that some URL parameters were invalid and left out."""
    if not notes:
        return None
    return dbc.Alert([html.Strong("Some settings in this link were not valid and were left out: "),
                      html.Ul([html.Li(note) for note in notes], className="mb-0 small")],
                     id=ids.RECOMMEND_LINK_ALERT, color="warning", dismissable=True, class_name="py-2")


# ---------------------------------------------------------------------------------------------- page
def layout(**query: str) -> html.Div:
    """The Recommend page, pickers pre-filled from the URL query."""
    data = catalog()
    state, notes = state_from_query(query, data)
    chosen = state.user is not None or state.title is not None
    return html.Div([
        dcc.Location(id=ids.RECOMMEND_URL, refresh=False),
        page_header("Recommend titles",
                    "Pick a user and a title: predicted rating, what to watch next and why, similar titles"),
        picker_bar(data, state),
        link_alert(notes),
        html.Div(id=ids.RECOMMEND_ALERT, **{"aria-live": "polite"}),
        dcc.Interval(id=ids.RECOMMEND_MODEL_POLL, interval=MODEL_POLL_MS, disabled=True),
        empty_state(data, hidden=chosen),
        dcc.Loading(results_grid(state.order, hidden=not chosen), type="circle", delay_show=200,
                    color="var(--bs-primary)",
                    overlay_style={"visibility": "visible", "opacity": 0.45, "filter": "blur(1px)"},
                    custom_spinner=html.Div([dbc.Spinner(color="primary"),
                                             html.Div(LOADING_TEXT, className="small mt-2 recommend-loading-text")],
                                            className="recommend-loading text-center")),
    ], className="recommend-panel")
