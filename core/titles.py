"""One title, told in full: its metadata, canonical genres and facets, its score and rating distribution against its
platform's, and where it ranks on its platform (the title page and GET /api/title)."""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import pandas as pd

from core.eda import audience_of
from core.errors import InvalidQuery, NotFound
from core.genres import FACETS
from core.text import quoted
from core.title_ratings import STARS, TitleRatings

MAX_ID = 40  # characters of a title id worth looking up (real ids are a letter and a few digits)


class Rank(TypedDict):
    """A title's place among its platform's titles (1: the first), out of how many, and the share at or below it."""

    position: int
    of: int
    percentile: float


class Ratings(TypedDict):
    """A title's user ratings beside its platform's: counts per star value (0.5-5) and means."""

    count: int
    mean: float | None
    stars: dict[str, int]
    platform_count: int
    platform_mean_rating: float | None
    platform_stars: dict[str, int]
    platform_mean_score: float | None
    platform_rated_titles: int


class TitleDetails(TypedDict):
    """A title's metadata (data values, lower-case), canonical genres and facets, ratings and ranks."""

    id: str
    title: str
    platform: str
    type: str | None
    release_year: int | None
    date_added: str | None
    rating: str | None
    audience: str
    duration: int | None
    duration_unit: str | None
    country: list[str]
    director: list[str]
    cast: list[str]
    listed_in: list[str]
    genres: list[str]
    facets: dict[str, list[str]]
    description: str | None
    ratings: Ratings
    rank_by_score: Rank | None
    rank_by_ratings: Rank


def parse_title_id(value: object) -> str:
    """A title id as looked up ('NS2544 ' -> 'ns2544'); InvalidQuery for an empty or overlong value."""
    text = value.strip().lower() if isinstance(value, str) else ""
    if not text:
        raise InvalidQuery("give a title id, such as ns2544 (netflix) or as12 (amazon)")
    if len(text) > MAX_ID:
        raise InvalidQuery(f"title id {quoted(str(value))} is too long; ids are like ns2544")
    return text


def find_title(titles: pd.DataFrame, title_id: object) -> str:
    """The id of a title of the catalogue (titles indexed by id); InvalidQuery for a bad id, NotFound for none."""
    key = parse_title_id(title_id)
    if key not in titles.index:
        raise NotFound(f"unknown title id {quoted(key)}: no title of the catalogue has this id")
    return key


def title_details(titles: pd.DataFrame, ratings: TitleRatings, title_id: object) -> TitleDetails:
    """Everything about one title of a catalogue (titles indexed by id); NotFound for an unknown id."""
    key = find_title(titles, title_id)
    row = titles.loc[key]
    position = int(titles.index.get_loc(key))
    same = (titles["platform"] == row["platform"]).to_numpy()
    return TitleDetails(
        id=key, title=str(row["title"]), platform=str(row["platform"]), type=_text(row["type"]),
        release_year=_whole(row["release_year"]), date_added=_text(row["date_added"]), rating=_text(row["rating"]),
        audience=str(audience_of(pd.Series([row["rating"]])).iloc[0]), duration=_whole(row["duration_int"]),
        duration_unit=_text(row["duration_type"]), country=_items(row["country"]), director=_items(row["director"]),
        cast=_items(row["cast"]), listed_in=_items(row["listed_in"]), genres=_items(row["genres"]),
        facets={facet: _items(row[facet]) for facet in FACETS}, description=_text(row["description"]),
        ratings=_ratings(titles, ratings, position, same), rank_by_score=_score_rank(titles, position, same),
        rank_by_ratings=_rank(titles["n_ratings"].to_numpy(np.float64), titles, position, same))


def _ratings(titles: pd.DataFrame, ratings: TitleRatings, position: int, same: np.ndarray) -> Ratings:
    """The title's star counts and mean beside its platform's."""
    own, platform = ratings.stars[position], ratings.stars[same].sum(axis=0)
    scores = titles["score"].to_numpy(np.float64)[same]
    rated = scores[~np.isnan(scores)]
    return Ratings(count=int(own.sum()), mean=_mean(own), stars=_star_counts(own),
                   platform_count=int(platform.sum()), platform_mean_rating=_mean(platform),
                   platform_stars=_star_counts(platform),
                   platform_mean_score=round(float(rated.mean()), 4) if len(rated) else None,
                   platform_rated_titles=int(len(rated)))


def _star_counts(counts: np.ndarray) -> dict[str, int]:
    """{'0.5': n, ..., '5.0': n} of counts per star value."""
    return {f"{star:.1f}": int(count) for star, count in zip(STARS, counts.tolist())}


def _mean(counts: np.ndarray) -> float | None:
    """The mean rating of counts per star value (None without ratings)."""
    total = counts.sum()
    return round(float(np.dot(counts, STARS) / total), 4) if total else None


def _score_rank(titles: pd.DataFrame, position: int, same: np.ndarray) -> Rank | None:
    """Rank by mean score among the platform's rated titles (ties: more ratings, then title); None when unrated."""
    scores = titles["score"].to_numpy(np.float64)
    if np.isnan(scores[position]):
        return None
    rated = same & ~np.isnan(scores)
    candidates = np.flatnonzero(rated)
    names = titles["title"].astype(str).to_numpy()[candidates]
    counts = titles["n_ratings"].to_numpy(np.int64)[candidates]
    order = np.lexsort((names, -counts, -scores[candidates]))
    place = int(np.flatnonzero(candidates[order] == position)[0]) + 1
    return Rank(position=place, of=len(candidates), percentile=_percentile(place, len(candidates)))


def _rank(values: np.ndarray, titles: pd.DataFrame, position: int, same: np.ndarray) -> Rank:
    """Rank by a value (more first; ties share the best place) among the platform's titles."""
    place = int((values[same] > values[position]).sum()) + 1
    return Rank(position=place, of=int(same.sum()), percentile=_percentile(place, int(same.sum())))


def _percentile(place: int, of: int) -> float:
    """Share (%) of the titles ranked at or below a place: 100 for the first."""
    return round(100 * (of - place + 1) / of, 1) if of else 0.0


def _items(value: object) -> list[str]:
    """A comma-separated list column's items."""
    return [item.strip() for item in value.split(",") if item.strip()] if isinstance(value, str) else []


def _text(value: object) -> str | None:
    """A text value, None when missing."""
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _whole(value: object) -> int | None:
    """A whole number, None when missing."""
    return None if value is None or pd.isna(value) else int(value)
