"""Data tables of the Explore charts ("Show as table"): the numbers each chart draws, one row per category and one
column per platform, from the same `core.eda` tables as the chart's figure (`layouts.explore_charts`)."""

from __future__ import annotations

from collections.abc import Callable

from dash import dcc, html

from core.eda import AUDIENCES, Table
from layouts.explore_charts import (AUDIENCE_LABELS, TYPE_LABELS, genre_text, is_empty, label, name_text,
                                    platform_order)
from layouts.explore_summaries import month_name, rows
from layouts.tables import rows_table


def count_share(count: int, share: float) -> str:
    """'1,342 (72%)'."""
    return f"{count:,} ({share:.0f}%)"


def pivot(table: Table, row_key: str, cell: Callable[[dict], str], names: Callable[[object], str] = str,
          order: list | None = None, first: str = "") -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of a long table: one row per `row_key` value (in `order`, else as they come), one column
    per platform, cells from `cell(row)`; '—' where a platform has no row."""
    platforms = platform_order(table["platform"])
    cells: dict[object, dict[str, str]] = {}
    for row in rows(table):
        cells.setdefault(row[row_key], {})[row["platform"]] = cell(row)
    keys = [key for key in order if key in cells] if order is not None else list(cells)
    body = [[names(key), *(cells[key].get(platform, "—") for platform in platforms)] for key in keys]
    return [first, *(label(p) for p in platforms)], body


def empty_note(text: str) -> html.P:
    """Why there is no table (nothing matches the filters)."""
    return html.P(text, className="small text-body-secondary mb-0 p-2")


def types_table(table: Table) -> dcc.Markdown | html.P:
    """Platforms by movies and TV shows: count and share of the platform."""
    if is_empty(table):
        return empty_note("No titles match these filters.")
    platforms = platform_order(table["platform"])
    cells = {(r["platform"], r["type"]): count_share(r["titles"], r["share"]) for r in rows(table)}
    kinds = [kind for kind in TYPE_LABELS if kind in table["type"]]
    body = [[label(p), *(cells.get((p, kind), "—") for kind in kinds)] for p in platforms]
    return rows_table(["Platform", *(TYPE_LABELS[kind] for kind in kinds)], body,
                      "Titles per platform and type (share of the platform)")


def releases_table(table: Table) -> dcc.Markdown | html.P:
    """Titles released per year and platform."""
    if is_empty(table):
        return empty_note("No titles match these filters.")
    headers, body = pivot(table, "release_year", lambda r: f"{r['titles']:,}", first="Year")
    return rows_table(headers, body, "Titles released per year and platform")


def minutes_table(table: Table) -> dcc.Markdown | html.P:
    """Box statistics of movie runtimes per platform."""
    if is_empty(table):
        return empty_note("No movies match these filters.")
    body = [[label(r["platform"]), f"{r['movies']:,}", *(f"{r[k]:.0f}" for k in ("low", "q1", "median", "q3", "high")),
             f"{r['mean']:.1f}"] for r in rows(table)]
    return rows_table(["Platform", "Movies", "5th percentile", "25th", "Median", "75th", "95th", "Mean"], body,
                      "Movie runtimes in minutes per platform")


def seasons_table(table: Table) -> dcc.Markdown | html.P:
    """TV shows per number of seasons and platform (share of the platform's shows)."""
    if is_empty(table):
        return empty_note("No TV shows match these filters.")
    labels = dict(zip(table["seasons"], table["label"]))
    headers, body = pivot(table, "seasons", lambda r: count_share(r["shows"], r["share"]), names=labels.get,
                          order=sorted(labels), first="Seasons")
    return rows_table(headers, body, "TV shows per number of seasons and platform (share of the platform's shows)")


def maturity_table(table: Table) -> dcc.Markdown | html.P:
    """Titles per audience band and platform (share of the platform)."""
    if is_empty(table):
        return empty_note("No titles match these filters.")
    headers, body = pivot(table, "audience", lambda r: count_share(r["titles"], r["share"]),
                          names=AUDIENCE_LABELS.get, order=list(AUDIENCES), first="Audience")
    return rows_table(headers, body, "Titles per audience and platform (share of the platform)")


def genres_table(table: Table) -> dcc.Markdown | html.P:
    """Titles per top genre and platform (share of the platform)."""
    if is_empty(table):
        return empty_note("No titles match these filters.")
    headers, body = pivot(table, "genre", lambda r: count_share(r["titles"], r["share"]), names=genre_text,
                          first="Genre")
    return rows_table(headers, body, "Titles per genre and platform (share of the platform's titles)")


def countries_table(table: Table, known_share: float | None) -> dcc.Markdown | html.P:
    """Titles per top country and platform, with the total."""
    if is_empty(table):
        return empty_note("No country is known for these titles.")
    headers, body = pivot(table, "country", lambda r: f"{r['titles']:,}", names=name_text, first="Country")
    totals: dict[str, int] = {}
    for country, titles in zip(table["country"], table["titles"]):
        totals[country] = totals.get(country, 0) + titles
    body = [[*row, f"{total:,}"] for row, total in zip(body, totals.values())]
    known = f" (the country is known for {known_share:.0f}% of these titles)" if known_share is not None else ""
    return rows_table([*headers, "All shown"], body, f"Titles per country and platform{known}")


def scores_table(table: Table, means: Table) -> dcc.Markdown | html.P:
    """Rated titles per mean-score bin and platform (share of the platform's rated titles), then each platform's
    average score."""
    if is_empty(table):
        return empty_note("No rated titles match these filters.")
    bins = {start: f"{start:.2f}–{end:.2f}" for start, end in zip(table["start"], table["end"])}
    headers, body = pivot(table, "start", lambda r: count_share(r["titles"], r["share"]), names=bins.get,
                          order=sorted(bins), first="Mean score")
    average = dict(zip(means["platform"], means["mean"]))
    body.append(["Average", *(f"{average[p]:.2f}" if p in average else "—" for p in platform_order(table["platform"]))])
    return rows_table(headers, body, "Rated titles per mean score and platform (share of the platform's rated titles)")


def activity_table(table: Table) -> dcc.Markdown | html.P:
    """Ratings per month and platform."""
    if is_empty(table):
        return empty_note("Nobody rated these titles.")
    headers, body = pivot(table, "month", lambda r: f"{r['ratings']:,}", names=month_name,
                          order=sorted(set(table["month"])), first="Month")
    return rows_table(headers, body, "Ratings per month and platform")


def users_table(table: Table, top_share: float | None) -> dcc.Markdown | html.P:
    """Users per number of ratings, with their share of the users and of the ratings."""
    if is_empty(table):
        return empty_note("Nobody rated these titles.")
    body = [[r["label"], f"{r['users']:,}", f"{r['user_share']:.1f}%", f"{r['rating_share']:.1f}%"]
            for r in rows(table)]
    most_active = (f"; the most active 10% give {top_share:.0f}% of the ratings" if top_share is not None else "")
    return rows_table(["Ratings per user", "Users", "Share of users", "Share of the ratings"], body,
                      f"Users by how many of these titles they rated{most_active}")
