"""Queries panel, pure rendering: answers in words, context charts and CSV tables from `core.queries` results.

Nothing here touches Dash callbacks or the running app, so every function is testable without a browser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from _plotly_utils.utils import to_typed_array_spec
from dash import dcc

from core.config import PLATFORMS
from core.text import title_case
from layouts.figures import BOTTOM_LEGEND, PLATFORM_COLORS, PLATFORM_LABELS, empty_dict, merged, themed_layout
from layouts.tables import rows_table

CHART_HEIGHT = 340
NEUTRAL = "#9aa5b1"
MOVIE_COLOR = "#4c78a8"
SHOW_COLOR = "#f58518"
THRESHOLD_COLOR = "#d63384"
MAX_LABEL = 30  # characters of a title on a chart axis; the hover shows the full title



def platform_label(platform: str | None) -> str:
    """'netflix' -> 'Netflix'; None -> 'all platforms'."""
    if platform is None:
        return "all platforms"
    return PLATFORM_LABELS.get(platform, title_case(platform))


def plural(count: int, singular: str, many: str | None = None) -> str:
    """'1 movie', '2 movies', '1,204 TV shows'."""
    return f"{count:,} {singular if count == 1 else (many or singular + 's')}"


def content_nouns(content_type: str) -> tuple[str, str]:
    """Singular and plural noun of a content type: 'movie' -> ('movie', 'movies'); 'all' -> ('title', 'titles')."""
    return {"movie": ("movie", "movies"), "tv show": ("TV show", "TV shows")}.get(content_type, ("title", "titles"))


def kind_label(kind: str | None) -> str:
    """'tv show' -> 'TV show', 'movie' -> 'movie', None -> 'title'."""
    return content_nouns(kind)[0] if kind in ("movie", "tv show") else "title"


def article(word: str) -> str:
    """'a' or 'an' before a word ('an Amazon Prime movie', 'a Hulu TV show')."""
    return "an" if word[:1].lower() in "aeiou" and word[:1] else "a"


def format_score(value: float) -> str:
    """A threshold as people write it: 3.5, 4, 0.25 (a number too big for a float: 'inf', never an error)."""
    try:
        return f"{round(float(value), 2):g}"
    except OverflowError:
        return "inf"


def _scope(platform: str | None, year: int | None) -> str:
    """' on Netflix released in 2019', ' on any platform', ..."""
    where = f" on {platform_label(platform)}" if platform else " on any platform"
    return where + (f" released in {year}" if year is not None else "")


def longest_sentence(row: dict | None, year: int | None, platform: str | None, unit: str) -> str:
    """Query 1 in words: the longest title (by minutes or by seasons) for the filters, or why there is none."""
    scope = _scope(platform, year)
    if row is None:
        return f"No title{scope} has a duration in {'minutes' if unit == 'min' else 'seasons'}."
    name = f"“{title_case(row['title']) or row['id']}”"
    # Say where the title comes from, unless the filters already did.
    origin = ""
    if platform is None or year is None:
        what = kind_label(row.get("type"))
        if platform is None:
            what = f"{platform_label(row['platform'])} {what}"
        origin = f"{article(what)} {what}"
        if year is None and row.get("release_year") is not None:
            origin += f" from {row['release_year']}"
        origin = f", {origin},"
    if unit == "season":
        return f"The title with the most seasons{scope} is {name}{origin} with {plural(row['duration_int'], 'season')}."
    return f"The longest title{scope} is {name}{origin} at {plural(row['duration_int'], 'minute')}."


def score_sentence(count: int, platform: str, threshold: float, year: int, content_type: str) -> str:
    """Query 2 in words: 'On Netflix, 412 movies released in 2019 have a mean score above 3.5.'"""
    one, many = content_nouns(content_type)
    if count == 0:
        return f"On {platform_label(platform)}, no {many} released in {year} have a mean score above {format_score(threshold)}."
    verb = "has" if count == 1 else "have"
    return (f"On {platform_label(platform)}, {plural(count, one, many)} released in {year} {verb} "
            f"a mean score above {format_score(threshold)}.")


def count_sentence(counts: dict) -> str:
    """Query 3 in words: 'Netflix has 8,807 titles: 6,131 movies and 2,676 TV shows.'"""
    return (f"{platform_label(counts['platform'])} has {plural(counts['total'], 'title')}: "
            f"{plural(counts['movies'], 'movie')} and {plural(counts['tv_shows'], 'TV show')}.")


def actor_sentence(top: dict | None, platform: str, year: int) -> str:
    """Query 4 in words: the cast member in the most titles of a platform and year, or why there is none."""
    if top is None:
        return f"No {platform_label(platform)} title released in {year} lists its cast."
    return (f"The actor in the most {platform_label(platform)} titles released in {year} is "
            f"{title_case(top['actor'])}, with {plural(top['count'], 'title')}.")


def no_cast_note(platform: str) -> str:
    """Why query 4 can never answer for a platform whose catalogue lists no cast at all."""
    return f"The {platform_label(platform)} catalogue lists no cast for any title, so pick another platform."


def tie_note(ranked: Sequence[dict]) -> str | None:
    """'Tied with Ann Lee and Bo Park.' when others share the top count (names beyond three are counted)."""
    if len(ranked) < 2 or ranked[1]["count"] != ranked[0]["count"]:
        return None
    tied = [title_case(r["actor"]) for r in ranked[1:] if r["count"] == ranked[0]["count"]]
    if len(tied) == 1:
        return f"Tied with {tied[0]}."
    if len(tied) <= 3:
        return f"Tied with {', '.join(tied[:-1])} and {tied[-1]}."
    return f"Tied with {', '.join(tied[:3])} and {plural(len(tied) - 3, 'other')}."


# ---------------------------------------------------------------------------------------------- data
def rated_titles(titles: pd.DataFrame, platform: str, year: int, content_type: str) -> pd.DataFrame:
    """The rated titles of one platform, release year and content type ('all': both), as query 2 counts them."""
    mask = (titles["platform"] == platform) & (titles["release_year"] == year) & titles["score"].notna()
    if content_type != "all":
        mask &= titles["type"] == content_type
    return titles.loc[mask.fillna(False).astype(bool)]


def titles_above(titles: pd.DataFrame, platform: str, year: int, content_type: str, threshold: float) -> pd.DataFrame:
    """Query 2's matching titles (mean score strictly above the threshold) as a table, best first."""
    rows = rated_titles(titles, platform, year, content_type)
    rows = rows[rows["score"] > threshold].sort_values(["score", "title"], ascending=[False, True])
    return pd.DataFrame({"id": rows["id"], "title": rows["title"].map(title_case),
                         "platform": rows["platform"].map(platform_label), "type": rows["type"].map(kind_label),
                         "release_year": rows["release_year"], "mean_score": rows["score"].round(3),
                         "ratings": rows["n_ratings"]}).reset_index(drop=True)


def longest_table(rows: Sequence[dict]) -> pd.DataFrame:
    """Query 1's top titles as a table for CSV download."""
    return pd.DataFrame([{"rank": i, "id": r["id"], "title": title_case(r["title"]),
                          "platform": platform_label(r["platform"]), "type": kind_label(r.get("type")),
                          "release_year": r.get("release_year"), "duration": r["duration_int"],
                          "duration_unit": "minutes" if r["duration_type"] == "min" else "seasons",
                          "mean_score": None if r.get("score") is None else round(r["score"], 3)}
                         for i, r in enumerate(rows, start=1)],
                        columns=["rank", "id", "title", "platform", "type", "release_year", "duration",
                                 "duration_unit", "mean_score"])


def counts_table(counts: Sequence[dict]) -> pd.DataFrame:
    """Query 3's per-platform counts as a table for CSV download."""
    return pd.DataFrame([{"platform": platform_label(c["platform"]), "movies": c["movies"],
                          "tv_shows": c["tv_shows"], "total": c["total"]} for c in counts],
                        columns=["platform", "movies", "tv_shows", "total"])


def actors_table(rows: Sequence[dict], platform: str, year: int) -> pd.DataFrame:
    """Query 4's top cast members as a table for CSV download."""
    return pd.DataFrame([{"rank": i, "actor": title_case(r["actor"]), "titles": r["count"],
                          "platform": platform_label(platform), "release_year": year}
                         for i, r in enumerate(rows, start=1)],
                        columns=["rank", "actor", "titles", "platform", "release_year"])


def csv_filename(*parts: object) -> str:
    """'longest-titles-netflix-2019.csv' from the non-empty parts, lower-case, safe characters only."""
    words = [re.sub(r"[^a-z0-9.]+", "-", str(p).lower()).strip("-") for p in parts if p not in (None, "")]
    return "-".join(w for w in words if w) + ".csv"


# ---------------------------------------------------------------------------------------------- charts
def _short(text: str, limit: int = MAX_LABEL) -> str:
    """A label cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _finish(traces: list[dict], theme: str | None, shapes: list[dict] | None = None,
            annotations: list[dict] | None = None, **layout) -> dict:
    """A figure dict: the app's look (`styled`) plus this panel's chart size, then `layout` merged in as
    update_layout would."""
    base = themed_layout(theme)
    own = {"shapes": shapes} if shapes else {}
    if annotations:
        own["annotations"] = annotations
    return {"data": traces, "layout": {**own, **merged(base, {"height": CHART_HEIGHT, **layout})}}


def _legend(**more) -> dict:
    """A horizontal legend at the bottom of the figure, left-aligned (it wraps on narrow screens)."""
    return {**BOTTOM_LEGEND, **more}


def longest_figure(rows: Sequence[dict], unit: str, theme: str | None) -> dict:
    """Query 1 in context: the longest titles as horizontal bars, longest on top, coloured by platform."""
    if not rows:
        return empty_dict("No titles match these filters", theme)
    unit_word = "Minutes" if unit == "min" else "Seasons"
    labels = [_short(title_case(r["title"]) or r["id"]) for r in rows]
    traces = []
    for platform in [p for p in PLATFORMS if any(r["platform"] == p for r in rows)]:
        picked = [(i, r) for i, r in enumerate(rows) if r["platform"] == platform]
        traces.append({
            "customdata": [[title_case(r["title"]), kind_label(r.get("type")), r.get("release_year") or "—"]
                           for _, r in picked],
            "hovertemplate": ("<b>%{customdata[0]}</b><br>%{customdata[1]}, %{customdata[2]}<br>"
                              f"%{{x}} {unit_word.lower()}<extra>{platform_label(platform)}</extra>"),
            "insidetextanchor": "end", "marker": {"color": PLATFORM_COLORS.get(platform, NEUTRAL)},
            "name": platform_label(platform), "orientation": "h", "text": [str(r["duration_int"]) for _, r in picked],
            "textangle": 0, "textposition": "inside", "width": 0.72, "x": [r["duration_int"] for _, r in picked],
            "y": [i for i, _ in picked], "type": "bar"})
    return _finish(traces, theme, barmode="overlay", bargap=0.25, showlegend=True, legend=_legend(),
                   yaxis={"tickvals": list(range(len(rows))), "ticktext": labels, "autorange": "reversed",
                          "title": {}},
                   xaxis={"title": {"text": unit_word}, "rangemode": "tozero"},
                   margin={"l": 10, "r": 20, "t": 40, "b": 40})


def score_figure(scores: Sequence[float], threshold: float, theme: str | None, platform: str,
                 empty_message: str = "No rated titles for these filters") -> dict:
    """Query 2 in context: histogram of the matching titles' mean scores, bars above the threshold highlighted."""
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        return empty_dict(empty_message, theme)
    hover = "score %{x}<br>%{y} titles<extra></extra>"
    traces = [{"hovertemplate": hover, "marker": {"color": color}, "name": name, "x": to_typed_array_spec(part),
               "xbins": {"end": 5.0001, "size": 0.1, "start": 0.0}, "type": "histogram"}
              for part, name, color in ((values[values <= threshold], f"≤ {format_score(threshold)}", NEUTRAL),
                                        (values[values > threshold], f"above {format_score(threshold)}",
                                         PLATFORM_COLORS.get(platform, MOVIE_COLOR)))]
    line = {"line": {"color": THRESHOLD_COLOR, "dash": "dash", "width": 2}, "type": "line", "x0": threshold,
            "x1": threshold, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain"}
    note = {"font": {"color": THRESHOLD_COLOR}, "showarrow": False, "text": f"<b>{format_score(threshold)}</b>",
            "x": threshold, "xref": "x", "y": 1, "yanchor": "bottom", "yref": "paper"}
    return _finish(traces, theme, shapes=[line], annotations=[note], barmode="stack", bargap=0.05,
                   legend=_legend(traceorder="normal"),
                   xaxis={"title": {"text": "Mean user score"}, "range": [0, 5.05]},
                   yaxis={"title": {"text": "Titles"}}, margin={"l": 50, "r": 20, "t": 40, "b": 40})


def counts_figure(counts: Sequence[dict], chosen: str, theme: str | None) -> dict:
    """Query 3 in context: movies and TV shows of every platform, stacked, the chosen platform highlighted."""
    if not counts:
        return empty_dict("No titles", theme)
    names = [platform_label(c["platform"]) for c in counts]
    ticks = [f"<b>{n}</b>" if c["platform"] == chosen else n for n, c in zip(names, counts)]
    opacity = [1.0 if c["platform"] == chosen else 0.35 for c in counts]
    # Segment labels on the chosen platform only: on the faded bars they would be hard to read.
    traces = [{"hovertemplate": f"%{{x}}<br>%{{y:,}} {label.lower()}<extra></extra>", "insidetextanchor": "middle",
               "marker": {"color": color, "opacity": opacity}, "name": label,
               "text": [f"{c[key]:,}" if c["platform"] == chosen else "" for c in counts], "textposition": "inside",
               "x": names, "y": [c[key] for c in counts], "type": "bar"}
              for key, label, color in (("movies", "Movies", MOVIE_COLOR), ("tv_shows", "TV shows", SHOW_COLOR))]
    notes = [{"showarrow": False, "text": f"<b>{c['total']:,}</b>" if c["platform"] == chosen else f"{c['total']:,}",
              "x": name, "y": c["total"], "yshift": 10} for name, c in zip(names, counts)]
    top = max(c["total"] for c in counts)
    return _finish(traces, theme, annotations=notes, barmode="stack", bargap=0.35,
                   legend=_legend(traceorder="normal"),
                   xaxis={"tickvals": names, "ticktext": ticks, "title": {}},
                   yaxis={"title": {"text": "Titles"}, "range": [0, top * 1.12 if top else 1]},
                   margin={"l": 50, "r": 20, "t": 40, "b": 40})


def actors_figure(rows: Sequence[dict], platform: str, theme: str | None,
                  empty_message: str = "No cast listed for these filters") -> dict:
    """Query 4 in context: the top cast members as horizontal bars, the leader(s) in the platform colour."""
    if not rows:
        return empty_dict(empty_message, theme)
    best = rows[0]["count"]
    color = PLATFORM_COLORS.get(platform, MOVIE_COLOR)
    names = [title_case(r["actor"]) for r in rows]
    bars = {"customdata": names, "hovertemplate": "<b>%{customdata}</b><br>%{x} titles<extra></extra>",
            "insidetextanchor": "end", "marker": {"color": [color if r["count"] == best else NEUTRAL for r in rows]},
            "orientation": "h", "showlegend": False, "text": [str(r["count"]) for r in rows], "textangle": 0,
            "textposition": "inside", "width": 0.72, "x": [r["count"] for r in rows], "y": list(range(len(rows))),
            "type": "bar"}
    xaxis = {"title": {"text": "Titles"}, "rangemode": "tozero"}
    if best <= 12:
        xaxis["dtick"] = 1
    return _finish([bars], theme, bargap=0.25,
                   yaxis={"tickvals": list(range(len(rows))), "ticktext": [_short(n) for n in names],
                          "autorange": "reversed", "title": {}},
                   xaxis=xaxis,
                   margin={"l": 10, "r": 20, "t": 36, "b": 40})  # room for the mode bar (always shown on touch screens)


# ---------------------------------------------------------------------------------------------- text alternatives
# Each chart's one-sentence summary and data table, from the same rows as its figure.
def longest_summary(rows: Sequence[dict], unit: str) -> str:
    """'The chart ranks the 10 longest titles, from “A” (312 minutes) to “B” (190 minutes).'"""
    if not rows:
        return "No titles match these filters."
    unit_word = "minute" if unit == "min" else "season"
    ends = [f"“{title_case(r['title']) or r['id']}” ({plural(r['duration_int'], unit_word)})" for r in (rows[0], rows[-1])]
    what = "longest titles" if unit == "min" else "titles with most seasons"
    if len(rows) == 1:
        return f"The chart shows the one title: {ends[0]}."
    return f"The chart ranks the {len(rows)} {what}, from {ends[0]} to {ends[1]}."


def longest_rows_table(rows: Sequence[dict], unit: str) -> dcc.Markdown | None:
    """Query 1's chart as a table: rank, title, platform, year, duration."""
    if not rows:
        return None
    body = [[title_case(r["title"]) or r["id"], platform_label(r["platform"]), str(r.get("release_year") or "—"),
             f"{r['duration_int']:,}"] for r in rows]
    unit_word = "Minutes" if unit == "min" else "Seasons"
    return rows_table(["Title", "Platform", "Year", unit_word], body, "The titles of the chart, longest first",
                      text_columns=2)


def score_bins(scores: Sequence[float]) -> dict[float, int]:
    """Titles per 0.1-wide mean-score bin [start, start + 0.1), as the chart's histogram counts them."""
    values = np.asarray(scores, dtype=float)
    starts = np.floor(np.round(values * 10, 6)) / 10
    found, counts = np.unique(starts, return_counts=True)
    return {round(float(start), 1): int(count) for start, count in zip(found, counts)}


def score_summary(scores: Sequence[float], threshold: float, many: str) -> str:
    """'The chart shows the mean scores of 412 rated movies: 164 above 3.5, 248 at or below it, most between 3.4
    and 3.5.'"""
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        return f"No rated {many} for these filters."
    above = int((values > threshold).sum())
    bins = score_bins(values)
    top = max(bins, key=lambda start: (bins[start], -start))
    return (f"The chart shows the mean scores of {plural(int(values.size), many[:-1] if many.endswith('s') else many, many)}: "
            f"{above:,} above {format_score(threshold)}, {int(values.size) - above:,} at or below it; most score "
            f"{top:.1f} to {top + 0.1:.1f}.")


def score_rows_table(scores: Sequence[float], threshold: float) -> dcc.Markdown | None:
    """Query 2's histogram as a table: per score bin, titles at or below the threshold and above it."""
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        return None
    low, high = score_bins(values[values <= threshold]), score_bins(values[values > threshold])
    body = [[f"{start:.1f}–{start + 0.1:.1f}", f"{low.get(start, 0):,}", f"{high.get(start, 0):,}"]
            for start in sorted(set(low) | set(high))]
    limit = format_score(threshold)
    return rows_table(["Mean score", f"≤ {limit}", f"above {limit}"], body, "Titles per mean score")


def counts_summary(counts: Sequence[dict], chosen: str) -> str:
    """'The chart stacks the movies and TV shows of every platform: Amazon Prime 9,668 titles, …'"""
    if not counts:
        return "No titles."
    parts = [f"{platform_label(c['platform'])} {c['total']:,}" for c in counts]
    return (f"The chart compares the titles of every platform ({', '.join(parts)}), "
            f"{platform_label(chosen)} highlighted.")


def counts_rows_table(counts: Sequence[dict]) -> dcc.Markdown | None:
    """Query 3's chart as a table: movies, TV shows and all titles per platform."""
    if not counts:
        return None
    body = [[platform_label(c["platform"]), f"{c['movies']:,}", f"{c['tv_shows']:,}", f"{c['total']:,}"]
            for c in counts]
    return rows_table(["Platform", "Movies", "TV shows", "Titles"], body, "Titles of every platform")


def actors_summary(rows: Sequence[dict]) -> str:
    """'The chart ranks the 10 actors in most titles, from Ann Lee (6 titles) to Bo Park (3 titles).'"""
    if not rows:
        return "No cast listed for these filters."
    ends = [f"{title_case(r['actor'])} ({plural(r['count'], 'title')})" for r in (rows[0], rows[-1])]
    if len(rows) == 1:
        return f"The chart shows the one actor: {ends[0]}."
    return f"The chart ranks the {len(rows)} actors in most titles, from {ends[0]} to {ends[1]}."


def actors_rows_table(rows: Sequence[dict]) -> dcc.Markdown | None:
    """Query 4's chart as a table: rank, actor, titles."""
    if not rows:
        return None
    body = [[title_case(r["actor"]), f"{r['count']:,}"] for r in rows]
    return rows_table(["Actor", "Titles"], body, "The actors of the chart, most titles first")
