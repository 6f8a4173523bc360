"""Text alternatives of the Explore charts: one sentence per chart saying what it shows for the current filters.

Each function takes the same `core.eda` tables as the chart's figure function (`layouts.explore_charts`), so the
sentence and the chart can never disagree; an empty table gives the chart's own empty-state message.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

from core.eda import AUDIENCES, Table
from layouts.explore_charts import (AUDIENCE_LABELS, NO_MATCH, TYPE_LABELS, genre_text, is_empty, label,
                                    name_text, platform_order)


def listing(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def month_name(month: str) -> str:
    """'2019-07' -> 'July 2019' (other text unchanged)."""
    try:
        year, number = (int(part) for part in month.split("-"))
        return date(year, number, 1).strftime("%B %Y")
    except ValueError:
        return month


def rows(table: Table) -> list[dict]:
    """A table's rows as dicts."""
    return [dict(zip(table, values)) for values in zip(*table.values())]


def by_platform(table: Table) -> dict[str, list[dict]]:
    """A table's rows grouped by platform, platforms in the catalogue's order."""
    groups: dict[str, list[dict]] = {}
    for row in rows(table):
        groups.setdefault(row["platform"], []).append(row)
    return {platform: groups[platform] for platform in platform_order(groups)}


def top_per_platform(table: Table, key: Callable[[dict], object], describe: Callable[[dict], str]) -> list[str]:
    """'<platform> <what describe says of its top row by key>' for each platform, in the catalogue's order."""
    return [f"{label(platform)} {describe(max(platform_rows, key=key))}"
            for platform, platform_rows in by_platform(table).items()]


def types_summary(table: Table) -> str:
    """'Amazon Prime has 7,814 movies and 1,854 TV shows; Disney+ 1,052 movies and 398 TV shows; …'"""
    if is_empty(table):
        return f"{NO_MATCH}."
    parts = []
    for platform, platform_rows in by_platform(table).items():
        counts = {row["type"]: row["titles"] for row in platform_rows}
        kinds = [f"{counts[kind]:,} {TYPE_LABELS[kind].lower().replace('tv', 'TV')}" for kind in TYPE_LABELS
                 if kind in counts]
        parts.append(f"{label(platform)} {' and '.join(kinds)}")
    return f"Titles by platform: {'; '.join(parts)}."


def releases_summary(table: Table) -> str:
    """The busiest release year overall and each platform's peak year."""
    if is_empty(table):
        return f"{NO_MATCH}."
    totals: dict[int, int] = {}
    peak: dict[str, tuple[int, int]] = {}  # platform -> (titles, year) of its first busiest year
    for platform, year, titles in zip(table["platform"], table["release_year"], table["titles"]):
        totals[year] = totals.get(year, 0) + titles
        if titles > peak.get(platform, (-1, 0))[0]:
            peak[platform] = (titles, year)
    busiest = max(totals, key=lambda year: (totals[year], -year))
    peaks = [f"{label(p)} {peak[p][1]} ({peak[p][0]:,} titles)" for p in platform_order(peak)]
    return (f"Titles released per year from {min(totals)} to {max(totals)}: the busiest year is {busiest} with "
            f"{totals[busiest]:,} titles; each platform's peak year: {listing(peaks)}.")


def minutes_summary(table: Table) -> str:
    """Each platform's median movie runtime and the middle half of its movies."""
    if is_empty(table):
        return "No movies match these filters."
    parts = [f"{label(row['platform'])} {row['median']:.0f} ({row['q1']:.0f}–{row['q3']:.0f})" for row in rows(table)]
    return f"Median movie runtime in minutes (middle half of the movies in brackets): {listing(parts)}."


def seasons_summary(table: Table) -> str:
    """Each platform's share of shows with the fewest seasons shown (one season, mostly)."""
    if is_empty(table):
        return "No TV shows match these filters."
    fewest = min(table["seasons"])
    name = next(text for seasons, text in zip(table["seasons"], table["label"]) if seasons == fewest)
    parts = [f"{label(platform)} {next((r['share'] for r in platform_rows if r['seasons'] == fewest), 0):.0f}%"
             for platform, platform_rows in by_platform(table).items()]
    noun = "season" if name == "1" else "seasons"
    return f"Share of each platform's TV shows with {name} {noun}: {listing(parts)}."


def maturity_summary(table: Table) -> str:
    """Each platform's largest audience band."""
    if is_empty(table):
        return f"{NO_MATCH}."
    parts = top_per_platform(table, lambda row: (row["share"], -AUDIENCES.index(row["audience"])),
                             lambda top: f"{AUDIENCE_LABELS[top['audience']].lower()} ({top['share']:.0f}%)")
    return f"Largest audience per platform: {listing(parts)}."


def genres_summary(table: Table) -> str:
    """Each platform's most common genre with its share of the platform's titles."""
    if is_empty(table):
        return f"{NO_MATCH}."
    parts = top_per_platform(table, lambda row: row["share"],  # first of ties: the more common genre overall
                             lambda top: f"{genre_text(top['genre'])} ({top['share']:.0f}%)")
    return f"Most common genre per platform (share of its titles): {listing(parts)}."


def countries_summary(table: Table, known_share: float | None) -> str:
    """The three countries with most titles, and how many titles have a known country."""
    if is_empty(table):
        return f"{NO_MATCH if known_share is None else 'No country is known for these titles'}."
    totals: dict[str, int] = {}
    for country, titles in zip(table["country"], table["titles"]):
        totals[country] = totals.get(country, 0) + titles
    top = [f"{name_text(country)} ({titles:,})" for country, titles in list(totals.items())[:3]]
    known = f"; the country is known for {known_share:.0f}% of these titles" if known_share is not None else ""
    return f"Countries with most titles: {listing(top)}{known}."


def scores_summary(table: Table, means: Table) -> str:
    """Each platform's average title score over its rated titles."""
    if is_empty(table):
        return "No rated titles match these filters."
    parts = [f"{label(row['platform'])} {row['mean']:.2f} over {row['titles']:,} titles" for row in rows(means)]
    return f"Average of the titles' mean user scores (0.5 to 5): {listing(parts)}."


def activity_summary(table: Table) -> str:
    """The busiest month and each platform's share of the ratings."""
    if is_empty(table):
        return "Nobody rated these titles."
    months: dict[str, int] = {}
    platforms: dict[str, int] = {}
    for month, platform, ratings in zip(table["month"], table["platform"], table["ratings"]):
        months[month] = months.get(month, 0) + ratings
        platforms[platform] = platforms.get(platform, 0) + ratings
    busiest = max(months, key=lambda month: (months[month], month))
    total = sum(months.values())
    shares = [f"{label(p)} {100 * platforms[p] / total:.0f}%" for p in platform_order(platforms)]
    return (f"{total:,} ratings from {month_name(min(months))} to {month_name(max(months))}, most in "
            f"{month_name(busiest)} ({months[busiest]:,}); share of the ratings: {listing(shares)}.")


def users_summary(table: Table, top_share: float | None) -> str:
    """The most common number of ratings per user and how much the most active users give."""
    if is_empty(table):
        return "Nobody rated these titles."
    common = max(rows(table), key=lambda row: row["users"])
    most_active = (f"; the most active 10% of these users give {top_share:.0f}% of the ratings"
                   if top_share is not None else "")
    return (f"{common['user_share']:.0f}% of the users rated {common['label']} of these titles, the most common "
            f"count{most_active}.")
