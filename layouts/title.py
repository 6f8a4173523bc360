"""The title page (`/title?id=ns2544`) and the title search box of the navigation bar.

The page tells one title in readable case: its facts, canonical genres (links to Explore filtered by them) and
facets, the catalogue's own labels, its mean score and rating distribution against its platform's, where it ranks
on its platform, similar titles and a link to Recommend with it chosen. An unknown or missing id gets a page that
says so. The rating chart and the similar titles are filled by `callbacks/title.py` (theme; the recommender may
still be being prepared); this module only builds components.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import dash_bootstrap_components as dbc
import flask
from dash import dcc, html

from core import search, title_ratings
from core.errors import InvalidQuery, NotFound
from core.genres import FACETS, display_name, slug
from core.text import sentence_case, title_case
from core.titles import Rank, TitleDetails, find_title, title_details
from layouts import ids
from layouts.header import page_header
from layouts.recommend import platform_badge, stars
from layouts.state import catalog
from layouts.tables import TYPE_NAMES, title_link

CAST_SHOWN = 12  # cast members listed before "and N more"
FACET_NAMES = {"origin": "Origin", "audience": "Audience", "format": "Format", "community": "Community",
               "collection": "Collection"}
AUDIENCE_NAMES = {"kids": "kids", "all ages": "all ages", "guidance": "parental guidance", "teens": "teens",
                  "adults": "adults", "unrated": "unrated"}
SEARCH_PLACEHOLDER = "Find a title or genre…"


# ---------------------------------------------------------------------------------------------- navigation search
def search_box() -> html.Div:
    """The navigation bar's title search: type, pick a title (its page) or a genre (Explore filtered by it)."""
    return html.Div([
        dbc.Label("Find a title or a genre", html_for=ids.NAV_SEARCH, class_name="visually-hidden"),
        dcc.Dropdown(id=ids.NAV_SEARCH, options=[], value=None, placeholder=SEARCH_PLACEHOLDER, clearable=True,
                     maxHeight=360, className="nav-search",
                     labels={"no_options_found": "No title or genre matches: try other words",
                             "search": "Search titles and genres…"}),
        dcc.Location(id=ids.NAV_GO, refresh="callback-nav"),
    ], className="nav-search-box", role="search")


# ---------------------------------------------------------------------------------------------- text
def duration_text(details: TitleDetails) -> str:
    """'1 h 30 min', '45 min', '3 seasons'; '' when unknown."""
    amount, unit = details["duration"], details["duration_unit"]
    if amount is None or unit is None:
        return ""
    if unit == "season":
        return f"{amount} season{'s' if amount != 1 else ''}"
    hours, minutes = divmod(amount, 60)
    return f"{hours} h {minutes} min" if hours and minutes else f"{hours} h" if hours else f"{minutes} min"


def maturity_text(details: TitleDetails) -> str:
    """'TV-MA (adults)' of a maturity code and its audience band."""
    code = (details["rating"] or "").upper()
    band = AUDIENCE_NAMES.get(details["audience"], details["audience"])
    return f"{code} ({band})" if code else ""


def facts_line(details: TitleDetails) -> list:
    """Platform badge, then type · year · duration · maturity · date added."""
    parts = [TYPE_NAMES.get(details["type"] or "", title_case(details["type"])),
             str(details["release_year"]) if details["release_year"] else "", duration_text(details),
             maturity_text(details), f"added {details['date_added']}" if details["date_added"] else ""]
    return [platform_badge(details["platform"]),
            html.Span(" · ".join(part for part in parts if part), className="ms-2 text-body-secondary")]


def people(names: list[str], shown: int | None = None) -> str:
    """'Tom Hanks, Meg Ryan and 12 more' (title case; '—' when none)."""
    if not names:
        return "—"
    listed = [title_case(name) for name in names[:shown]]
    rest = len(names) - len(listed)
    return ", ".join(listed) + (f" and {rest} more" if rest > 0 else "")


def genre_badges(genres: list[str]) -> list:
    """Canonical genres as badges linking to Explore filtered by each."""
    if not genres:
        return [html.Span("none (only audience, origin or format labels)", className="text-body-secondary")]
    return [dcc.Link(display_name(genre), href=f"/?genres={slug(genre)}", className="badge title-genre me-1 mb-1",
                     title=f"Explore {display_name(genre)} titles") for genre in genres]


def fact_row(name: str, value: object) -> list:
    """One term and its description in the facts list."""
    return [html.Dt(name, className="col-sm-3"), html.Dd(value, className="col-sm-9 mb-2")]


def about_card(details: TitleDetails) -> dbc.Card:
    """Description, people, countries, genres, facets and the catalogue's own labels."""
    rows = fact_row("Genres", genre_badges(details["genres"]))
    for facet in FACETS:
        if details["facets"][facet]:
            rows += fact_row(FACET_NAMES[facet], ", ".join(display_name(v) for v in details["facets"][facet]))
    rows += fact_row("Director" if len(details["director"]) < 2 else "Directors", people(details["director"]))
    rows += fact_row("Cast", people(details["cast"], CAST_SHOWN))
    rows += fact_row("Country" if len(details["country"]) < 2 else "Countries", people(details["country"]))
    rows += fact_row(f"Listed by {search.platform_name(details['platform'])} as",
                     ", ".join(title_case(label) for label in details["listed_in"]) or "—")
    return dbc.Card([
        dbc.CardHeader(html.H2("About", className="h6 mb-0")),
        dbc.CardBody([html.P(sentence_case(details["description"], "No description."), className="title-description"),
                      html.Dl(rows, className="row mb-0 title-facts")]),
    ], class_name="h-100")


def rank_text(rank: Rank | None, what: str, platform: str) -> str:
    """'#12 of 8,031 rated Netflix titles by mean score (top 0.2 %)'."""
    if rank is None:
        return f"Not ranked by {what}: nobody has rated it yet."
    top = 100 * rank["position"] / max(rank["of"], 1)
    share = f"top {top:.1f}%" if top <= 50 else f"bottom {rank['percentile']:.1f}%"
    return f"#{rank['position']:,} of {rank['of']:,} {platform} titles by {what} ({share})."


def score_card(details: TitleDetails) -> dbc.Card:
    """The mean score in stars beside the platform's, the two ranks, the rating distribution chart."""
    ratings, platform = details["ratings"], search.platform_name(details["platform"])
    if ratings["count"]:
        score = [html.Span(f"{ratings['mean']:.2f}", className="title-score-value", id=ids.TITLE_SCORE),
                 html.Span(" / 5", className="text-body-secondary"), html.Div(stars(ratings["mean"], "stars-lg")),
                 html.Div(f"Mean of {ratings['count']:,} user rating{'s' if ratings['count'] != 1 else ''}",
                          className="small text-body-secondary")]
    else:
        score = [html.Span("No ratings yet", className="title-score-value fs-4", id=ids.TITLE_SCORE),
                 html.Div("Nobody in the ratings data has rated this title.", className="small text-body-secondary")]
    platform_mean = ratings["platform_mean_score"]
    context = (f"{platform} titles score {platform_mean:.2f} on average ({ratings['platform_rated_titles']:,} rated "
               f"titles; {ratings['platform_count']:,} ratings)." if platform_mean is not None
               else f"No {platform} title has ratings.")
    return dbc.Card([
        dbc.CardHeader(html.H2("Score and rank", className="h6 mb-0")),
        dbc.CardBody([
            html.Div(score, className="mb-2"),
            html.P(context, className="small mb-2"),
            html.Ul([html.Li(rank_text(details["rank_by_score"], "mean score", f"rated {platform}")),
                     html.Li(rank_text(details["rank_by_ratings"], "number of ratings", platform))],
                    className="small ps-3 mb-2", id=ids.TITLE_RANKS),
            html.Div("Ratings given, as a share of its ratings and of all ratings of " + platform + " titles",
                     className="small fw-semibold", id=f"{ids.TITLE_DISTRIBUTION}-caption"),
            html.Div(dcc.Graph(id=ids.TITLE_DISTRIBUTION, style={"height": "220px"},
                               config={"displayModeBar": False, "responsive": True}),
                     role="img", **{"aria-label": distribution_summary(details)}),
        ]),
    ], class_name="h-100")


def distribution_summary(details: TitleDetails) -> str:
    """The rating chart in words, for screen readers."""
    ratings = details["ratings"]
    if not ratings["count"]:
        return "Rating distribution: this title has no ratings; the chart shows its platform's ratings only."
    common = max(ratings["stars"], key=lambda star: ratings["stars"][star])
    return (f"Rating distribution: {ratings['count']:,} ratings, most often {common} stars; mean "
            f"{ratings['mean']:.2f} against {ratings['platform_mean_rating'] or 0:.2f} for its platform.")


def actions(details: TitleDetails) -> html.Div:
    """Recommend with this title chosen; Explore its platform and genres."""
    genres = ",".join(slug(genre) for genre in details["genres"])
    explore = f"/?platforms={details['platform']}" + (f"&genres={genres}" if genres else "")
    return html.Div([
        dcc.Link("Recommend with this title →", href=f"/recommend?title={details['id']}",
                 className="btn btn-primary btn-sm me-2", id=ids.TITLE_RECOMMEND_LINK),
        dcc.Link(f"Explore {search.platform_name(details['platform'])} titles of its genres", href=explore,
                 className="btn btn-outline-secondary btn-sm"),
    ], className="mb-3")


def similar_card() -> dbc.Card:
    """Similar titles (filled by a callback: the recommender may still be being prepared)."""
    return dbc.Card([
        dbc.CardHeader([html.H2("Similar titles", className="h6 mb-0"),
                        html.Small("By genre, description and people", className="text-body-secondary")]),
        dbc.CardBody(dcc.Loading(html.Div(id=ids.TITLE_SIMILAR), type="circle", delay_show=200)),
    ])


def similar_list(rows: list[dict]) -> html.Div:
    """Similar titles, each linking to its page, with platform, year and similarity."""
    if not rows:
        return html.P("No similar titles found.", className="mb-0 text-body-secondary")
    items = []
    for row in rows:
        year = row.get("release_year")
        items.append(html.Li([
            title_link(row["id"], row["title"], "title-link fw-semibold"), " ",
            platform_badge(row["platform"]),
            html.Span(f" {int(year)}" if year else "", className="small text-body-secondary"),
            html.Span(f" · {float(row.get('similarity') or 0):.0%} similar", className="small text-body-secondary"),
        ], className="mb-2"))
    return html.Ul(items, className="list-unstyled mb-0 title-similar")


# ---------------------------------------------------------------------------------------------- pages
def title_page(details: TitleDetails) -> html.Div:
    """The whole page of one title."""
    return html.Div([
        dcc.Store(id=ids.TITLE_ID_STORE, data=details["id"]),
        dcc.Interval(id=ids.TITLE_SIMILAR_POLL, interval=2000, disabled=True),
        html.Nav(dcc.Link("← Explore the catalogues", href="/", className="small"), className="mb-2",
                 **{"aria-label": "Back"}),
        html.H1(title_case(details["title"]), className="h3 mb-1", id=ids.TITLE_HEADING),
        html.Div(facts_line(details), className="mb-3", id=ids.TITLE_FACTS),
        actions(details),
        dbc.Row([dbc.Col(about_card(details), xs=12, lg=7), dbc.Col(score_card(details), xs=12, lg=5)],
                class_name="g-3 mb-3"),
        similar_card(),
    ], className="title-page")


def missing_page(heading: str, message: str) -> html.Div:
    """What an unknown or missing id gets: why, and ways on."""
    return html.Div([
        dcc.Store(id=ids.TITLE_ID_STORE, data=None),
        html.H1(heading, className="h3", id=ids.TITLE_HEADING),
        html.P(message, id=ids.TITLE_NOT_FOUND),
        html.P(["Use the search box at the top to find a title, or ", dcc.Link("explore the catalogues", href="/"),
                "."]),
    ], className="title-page")


def page_title(**_path_variables: str) -> str:
    """The browser tab's title: the title's name when the address names a known title, else "Title"."""
    titles = catalog().titles
    try:
        name = title_case(titles.at[find_title(titles, requested_id()), "title"])
    except (InvalidQuery, NotFound):
        name = "Title"
    return f"{name} · Streaming Atlas"


def requested_id() -> str | None:
    """The ?id= of the page asked for. Dash gives a page's title function the path's variables only, so it is read
    from the request: the page's own GET, or the address that Dash's page callback posts (its `search` input)."""
    if not flask.has_request_context():
        return None
    request = flask.request
    if request.method == "GET":
        return request.args.get("id")
    body = request.get_json(silent=True)
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list):
        return None
    search = next((item.get("value") for item in inputs if isinstance(item, dict)
                   and item.get("property") == "search" and isinstance(item.get("value"), str)), "")
    return parse_qs(search.lstrip("?")).get("id", [None])[0]


def layout(id: str | None = None, **_other: str) -> html.Div:  # noqa: A002 -- the URL's parameter
    """The title page of `?id=...`, or a page saying why there is none."""
    data = catalog()
    try:
        details = title_details(data.titles, title_ratings.for_catalog(data), id)
    except InvalidQuery:
        return missing_page("Which title?", "This page shows one title: its address names it, as in "
                                            "/title?id=ns2544.")
    except NotFound:
        return missing_page("Title not found", f"There is no title with id “{str(id)[:40]}” in the catalogues.")
    return title_page(details)
