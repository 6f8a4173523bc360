"""Figures of the Explore panel: each takes a `core.eda` Table (columns as lists) and the theme and returns a
themed Plotly figure.

Platforms keep their colours (`PLATFORM_COLORS`) and display names everywhere; data text is title-cased for
display; an empty table gives `empty_figure` with a message saying why.

Figures are Plotly JSON dicts (what dcc.Graph receives anyway) on top of the layout `styled(fig, theme)` gives,
resolved once per theme. Building them through graph_objects validates every property and resolves the template
on each call (~25 ms per figure, ten figures per filter change), so that validation runs in the unit tests
instead (`plotly.graph_objects.Figure(figure)` on every figure).
"""

from __future__ import annotations

from functools import lru_cache

import plotly.graph_objects as go

from core import eda
from core.eda import Table
from core.genres import display_name
from layouts.figures import BOTTOM_LEGEND, PLATFORM_COLORS, PLATFORM_LABELS, empty_figure, styled
from layouts.tables import display_text

NO_MATCH = "No titles match these filters"
NEUTRAL = "#7c8ba1"
ACCENT = "#f59f00"
MODEBAR_HEIGHT = 28  # px at the top of each chart kept free for the mode bar Plotly shows on hover
# Audience bands, youngest to oldest: cool to warm, unrated grey.
AUDIENCE_COLORS = {"kids": "#2a9d8f", "all ages": "#8ab17d", "guidance": "#e9c46a", "teens": "#f4a261",
                   "adults": "#e76f51", "unrated": "#adb5bd"}
AUDIENCE_LABELS = {"kids": "Kids", "all ages": "All ages", "guidance": "Parental guidance", "teens": "Teens",
                   "adults": "Adults", "unrated": "Unrated"}
TYPE_LABELS = {"movie": "Movies", "tv show": "TV shows"}
HATCH = {"shape": "/", "fgcolor": "rgba(255,255,255,0.85)", "solidity": 0.35}


def label(platform: str) -> str:
    """A platform's display name."""
    return PLATFORM_LABELS[platform] if platform in PLATFORM_LABELS else display_text(platform)


@lru_cache(maxsize=4096)
def name_text(value: str) -> str:
    """display_text of a genre or country name (cached: the same few hundred names come back on every view)."""
    return display_text(value)


@lru_cache(maxsize=1024)
def genre_text(genre: str) -> str:
    """A canonical genre's display name ('sci-fi & fantasy' -> 'Sci-Fi & Fantasy'; cached like name_text)."""
    return display_name(genre)


def color(platform: str) -> str:
    """A platform's colour."""
    return PLATFORM_COLORS.get(platform, NEUTRAL)


def platform_order(platforms) -> list[str]:
    """Distinct platforms in the catalogue's order (amazon, disney, hulu, netflix, then others)."""
    known = list(PLATFORM_LABELS)
    return sorted(dict.fromkeys(platforms), key=lambda p: (known.index(p) if p in known else len(known), p))


def is_empty(table: Table) -> bool:
    """True when a table has no rows."""
    return not next(iter(table.values()), [])


def figure(traces: list[dict], theme: str | None, show_legend: bool = True, **layout) -> dict:
    """A figure dict: the app's styling, a horizontal legend at the bottom (wrapping on narrow screens), readable
    hover labels, then `layout`."""
    merged = dict(_themed_layout("dark" if theme == "dark" else "light"))
    own = {"showlegend": show_legend, "hoverlabel": {"namelength": -1}, "separators": ".,",
           # The top margin keeps the plot clear of the mode bar (shown on hover, always on touch screens).
           "margin": {"l": 50, "r": 20, "t": MODEBAR_HEIGHT + 10, "b": 50},
           "legend": dict(BOTTOM_LEGEND)}
    for part in (own, layout):
        for key, value in part.items():
            base = merged.get(key)
            merged[key] = {**base, **value} if isinstance(base, dict) and isinstance(value, dict) else value
    return {"data": traces, "layout": merged}


def empty(message: str, theme: str | None) -> dict:
    """`empty_figure(message, theme)` as JSON (cached: the same few messages come back often)."""
    return _empty(message, "dark" if theme == "dark" else "light")


@lru_cache(maxsize=64)
def _empty(message: str, theme: str) -> dict:
    """empty(), computed."""
    return empty_figure(message, theme).to_plotly_json()


@lru_cache(maxsize=2)
def _themed_layout(theme: str) -> dict:
    """The layout `styled` gives an empty figure in this theme, template resolved."""
    return styled(go.Figure(), theme).to_plotly_json()["layout"]


def _groups(table: Table, by: str, columns: list[str]) -> dict[object, Table]:
    """The table's rows grouped by one column's values (in order of appearance), as tables of some columns."""
    rows: dict[object, list[int]] = {}
    for i, key in enumerate(table[by]):
        rows.setdefault(key, []).append(i)
    return {key: {column: [table[column][i] for i in at] for column in columns} for key, at in rows.items()}


def _platform_groups(table: Table, columns: list[str]) -> list[tuple[str, Table]]:
    """(platform, its rows' columns as lists) pairs in platform order."""
    groups = _groups(table, "platform", columns)
    return [(platform, groups[platform]) for platform in platform_order(groups)]


# ---------------------------------------------------------------------------------------------- charts
def types_figure(table: Table, theme: str | None) -> dict:
    """Titles per platform: movies solid, TV shows hatched, side by side."""
    if is_empty(table):
        return empty(NO_MATCH, theme)
    traces, kinds = [], _groups(table, "type", ["platform", "titles", "share"])
    for kind in ("movie", "tv show"):
        if kind not in kinds:
            continue
        part, pattern = kinds[kind], HATCH if kind == "tv show" else {"shape": ""}
        traces.append({
            "type": "bar", "x": [label(p) for p in part["platform"]], "y": part["titles"],
            "name": TYPE_LABELS[kind], "legendgroup": kind, "showlegend": False, "customdata": part["share"],
            "marker": {"color": [color(p) for p in part["platform"]], "pattern": pattern},
            "hovertemplate": f"<b>%{{x}}</b> · {TYPE_LABELS[kind]}<br>%{{y:,}} titles"
                             "<br>%{customdata:.1f}% of the platform<extra></extra>"})
        # legend key in a neutral colour: the bars themselves carry the platform colours
        traces.append({"type": "bar", "x": [None], "y": [None], "name": TYPE_LABELS[kind], "legendgroup": kind,
                       "hoverinfo": "skip", "marker": {"color": NEUTRAL, "pattern": pattern}})
    return figure(traces, theme, barmode="group", bargap=0.25,
                  xaxis={"title": {"text": "Platform"}, "type": "category", "categoryorder": "array",
                         "categoryarray": [label(p) for p in platform_order(table["platform"])]},
                  yaxis={"title": {"text": "Titles"}, "tickformat": ","})


def releases_figure(table: Table, theme: str | None) -> dict:
    """Titles per release year, one line per platform."""
    if is_empty(table):
        return empty(NO_MATCH, theme)
    traces = [{"type": "scatter", "mode": "lines", "x": part["release_year"], "y": part["titles"],
               "name": label(platform), "line": {"color": color(platform), "width": 2},
               "hovertemplate": f"{label(platform)}: %{{y:,}} titles<extra></extra>"}
              for platform, part in _platform_groups(table, ["release_year", "titles"])]
    return figure(traces, theme, hovermode="x unified",
                  xaxis={"title": {"text": "Release year"}, "tickformat": "d"},
                  yaxis={"title": {"text": "Titles released"}, "tickformat": ",", "rangemode": "tozero"})


def minutes_figure(table: Table, theme: str | None) -> dict:
    """Movie runtimes per platform as boxes (middle half) with whiskers at the 5th and 95th percentiles."""
    if is_empty(table):
        return empty("No movies match these filters", theme)
    traces = []
    columns = ("platform", "movies", "low", "q1", "median", "q3", "high", "mean")
    for platform, movies, low, q1, median, q3, high, mean in zip(*(table[column] for column in columns)):
        traces.append({
            "type": "box", "name": label(platform), "x": [f"{label(platform)}<br>{movies:,} movies"],
            "q1": [q1], "median": [median], "q3": [q3], "lowerfence": [low],
            "upperfence": [high], "mean": [mean], "boxmean": True, "line": {"width": 2},
            "marker": {"color": color(platform)}, "fillcolor": _tint(color(platform)),
            "hoverinfo": "y+name"})
    return figure(traces, theme, show_legend=False, xaxis={"title": {"text": None}, "type": "category"},
                  yaxis={"title": {"text": "Runtime (minutes)"}, "rangemode": "tozero"})


def seasons_figure(table: Table, theme: str | None) -> dict:
    """Share of each platform's shows by number of seasons."""
    if is_empty(table):
        return empty("No TV shows match these filters", theme)
    order = [text for _, text in sorted(dict(zip(table["seasons"], table["label"])).items())]
    traces = [{"type": "bar", "x": part["label"], "y": part["share"], "name": label(platform),
               "marker": {"color": color(platform)}, "customdata": part["shows"],
               "hovertemplate": f"<b>{label(platform)}</b> · %{{x}} season(s)<br>%{{y:.1f}}% of its shows"
                                "<br>%{customdata:,} shows<extra></extra>"}
              for platform, part in _platform_groups(table, ["label", "share", "shows"])]
    return figure(traces, theme, barmode="group", bargap=0.2,
                  xaxis={"title": {"text": "Seasons"}, "type": "category", "categoryorder": "array",
                         "categoryarray": order},
                  yaxis={"title": {"text": "Share of the platform's shows (%)"}, "ticksuffix": "%"})


def maturity_figure(table: Table, theme: str | None) -> dict:
    """Each platform's titles by audience band, as 100% stacked bars."""
    if is_empty(table):
        return empty(NO_MATCH, theme)
    codes = eda.audience_codes()
    traces, bands = [], _groups(table, "audience", ["platform", "share", "titles"])
    for band in eda.AUDIENCES:
        if band not in bands:
            continue
        part = bands[band]
        code_text = ", ".join(code.upper() if code != "other codes" else code for code in codes[band])
        traces.append({
            "type": "bar", "orientation": "h", "y": [label(p) for p in part["platform"]], "x": part["share"],
            "name": AUDIENCE_LABELS[band], "marker": {"color": AUDIENCE_COLORS[band]},
            "customdata": part["titles"],
            "hovertemplate": f"<b>%{{y}}</b> · {AUDIENCE_LABELS[band]}<br>%{{x:.1f}}% of titles (%{{customdata:,}})"
                             f"<br><i>Ratings: {code_text}</i><extra></extra>"})
    platforms = [label(p) for p in platform_order(table["platform"])]
    return figure(traces, theme, barmode="stack", legend={"traceorder": "normal"},
                  xaxis={"title": {"text": "Share of titles (%)"}, "range": [0, 100], "ticksuffix": "%"},
                  yaxis={"type": "category", "categoryorder": "array", "categoryarray": list(reversed(platforms))})


def genres_figure(table: Table, theme: str | None) -> dict:
    """Heatmap: share of each platform's titles in each of the platforms' top canonical genres (a click on a cell
    filters by its genre: the callback reads the genre from the cell's y label)."""
    if is_empty(table):
        return empty(NO_MATCH, theme)
    cells = _groups(table, "genre", ["platform", "share", "titles"])
    genres, platforms = list(cells), platform_order(table["platform"])
    share = [dict(zip(cells[g]["platform"], cells[g]["share"])) for g in genres]
    count = [dict(zip(cells[g]["platform"], cells[g]["titles"])) for g in genres]
    shares = [[float(row.get(p, 0.0)) for p in platforms] for row in share]
    scale = [[0, "#1e2633"], [1, "#4dabf7"]] if theme == "dark" else [[0, "#f1f5fb"], [1, "#1660c7"]]
    heatmap = {
        "type": "heatmap", "z": shares, "x": [label(p) for p in platforms],
        "y": [genre_text(g) for g in genres], "customdata": [[int(row.get(p, 0)) for p in platforms] for row in count],
        "text": [[f"{v:.0f}%" if v >= 0.5 else "" for v in row] for row in shares], "texttemplate": "%{text}",
        "xtype": "array", "ytype": "array",
        "textfont": {"size": 11}, "colorscale": scale, "zmin": 0, "xgap": 2, "ygap": 2,
        "colorbar": {"title": {"text": "% of titles", "side": "right"}, "thickness": 12, "ticksuffix": "%"},
        "hovertemplate": "<b>%{y}</b> on %{x}<br>%{z:.1f}% of its titles (%{customdata:,})<extra></extra>"}
    return figure([heatmap], theme, show_legend=False, margin={"l": 10, "r": 10, "t": MODEBAR_HEIGHT + 30, "b": 10},
                  xaxis={"side": "top"}, yaxis={"autorange": "reversed", "automargin": True})


def countries_figure(table: Table, known_share: float | None, theme: str | None) -> dict:
    """Titles in the top countries, stacked by platform."""
    if is_empty(table):
        return empty(NO_MATCH if known_share is None else "No country is known for these titles", theme)
    countries = [name_text(c) for c in dict.fromkeys(table["country"])]
    traces = [{"type": "bar", "orientation": "h", "y": [name_text(c) for c in part["country"]],
               "x": part["titles"], "name": label(platform), "marker": {"color": color(platform)},
               "hovertemplate": f"<b>%{{y}}</b> · {label(platform)}<br>%{{x:,}} titles<extra></extra>"}
              for platform, part in _platform_groups(table, ["country", "titles"])]
    notes = []
    if known_share is not None:
        notes.append({"text": f"Country known for {known_share:.0f}% of these titles", "showarrow": False,
                      "xref": "paper", "yref": "paper", "x": 1, "y": 0, "xanchor": "right", "yanchor": "bottom",
                      "font": {"size": 11}, "opacity": 0.75})
    return figure(traces, theme, barmode="stack", annotations=notes, legend={"traceorder": "normal"},
                  xaxis={"title": {"text": "Titles"}, "tickformat": ","},
                  yaxis={"type": "category", "categoryorder": "array", "categoryarray": list(reversed(countries)),
                         "automargin": True})


def scores_figure(table: Table, means: Table, theme: str | None) -> dict:
    """Distribution of mean user scores: share of each platform's rated titles per score bin."""
    if is_empty(table):
        return empty("No rated titles match these filters", theme)
    mean_of = dict(zip(means["platform"], means["mean"]))
    traces = []
    for platform, part in _platform_groups(table, ["mid", "share", "start", "end", "titles"]):
        mean = mean_of.get(platform)
        traces.append({
            "type": "scatter", "mode": "lines+markers", "x": part["mid"], "y": part["share"],
            "name": label(platform) + (f" · mean {mean:.2f}" if mean is not None else ""),
            "line": {"color": color(platform), "width": 2, "shape": "spline", "smoothing": 0.6},
            "marker": {"size": 5},
            "customdata": [[start, end, float(n)]  # one list of floats per point, as before
                           for start, end, n in zip(part["start"], part["end"], part["titles"])],
            "hovertemplate": f"<b>{label(platform)}</b> · score %{{customdata[0]:.2f}}–%{{customdata[1]:.2f}}"
                             "<br>%{y:.1f}% of its rated titles (%{customdata[2]:,})<extra></extra>"})
    return figure(traces, theme,
                  xaxis={"title": {"text": "Mean user score"}, "range": [0.5, 5], "dtick": 0.5},
                  yaxis={"title": {"text": "Share of rated titles (%)"}, "ticksuffix": "%", "rangemode": "tozero"})


def activity_figure(table: Table, theme: str | None) -> dict:
    """Ratings per month, one line per platform."""
    if is_empty(table):
        return empty("Nobody rated these titles", theme)
    traces = [{"type": "scatter", "mode": "lines", "x": part["month"], "y": part["ratings"],
               "name": label(platform), "line": {"color": color(platform), "width": 1.5},
               "customdata": part["mean_rating"],
               "hovertemplate": f"{label(platform)}: %{{y:,}} ratings (mean %{{customdata:.2f}})<extra></extra>"}
              for platform, part in _platform_groups(table, ["month", "ratings", "mean_rating"])]
    return figure(traces, theme, hovermode="x unified",
                  xaxis={"title": {"text": "Month"}, "type": "date", "hoverformat": "%b %Y"},
                  yaxis={"title": {"text": "Ratings per month"}, "tickformat": "~s", "rangemode": "tozero"})


def users_figure(table: Table, top_share: float | None, theme: str | None) -> dict:
    """Users by how many of the shown titles they rated (bars) and those users' share of the ratings (line)."""
    if is_empty(table):
        return empty("Nobody rated these titles", theme)
    traces = [
        {"type": "bar", "x": table["label"], "y": table["users"], "name": "Users",
         "marker": {"color": NEUTRAL}, "customdata": table["user_share"],
         "hovertemplate": "%{x} ratings<br>%{y:,} users (%{customdata:.1f}%)<extra></extra>"},
        {"type": "scatter", "mode": "lines+markers", "x": table["label"], "y": table["rating_share"],
         "yaxis": "y2", "name": "Their share of the ratings", "line": {"color": ACCENT, "width": 2},
         "marker": {"size": 6}, "hovertemplate": "%{x} ratings<br>%{y:.1f}% of the ratings<extra></extra>"},
    ]
    notes = []
    if top_share is not None:
        notes.append({"text": f"The most active 10% of these users<br>give {top_share:.0f}% of the ratings",
                      "showarrow": False, "xref": "paper", "yref": "paper", "x": 1, "y": 0.62, "xanchor": "right",
                      "yanchor": "bottom", "font": {"size": 11}, "opacity": 0.85})
    return figure(traces, theme, annotations=notes, margin={"r": 60},
                  xaxis={"title": {"text": "Ratings per user"}, "type": "category"},
                  yaxis={"title": {"text": "Users"}, "tickformat": ","},
                  yaxis2={"title": {"text": "Share of the ratings (%)"}, "overlaying": "y", "side": "right",
                          "rangemode": "tozero", "showgrid": False, "ticksuffix": "%", "tickmode": "auto",
                          "tickformat": ".0f"})


def _tint(hex_color: str, alpha: float = 0.35) -> str:
    """An rgba() of a #rrggbb colour with the given opacity."""
    value = hex_color.lstrip("#")
    red, green, blue = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({red},{green},{blue},{alpha})"
