"""One title, told in full: its metadata, canonical genres and facets, its score and rating distribution against its
platform's, and where it ranks on its platform (the title page and GET /api/title)."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Ranks:
    """Every title's place on its platform, computed once per titles frame."""

    platform: np.ndarray  # platform code of each title
    by_score: np.ndarray  # 1-based place by mean score among the platform's rated titles (0: unrated)
    by_ratings: np.ndarray  # 1-based place by number of ratings among the platform's titles (ties share it)
    rated: np.ndarray  # rated titles per platform code
    titles: np.ndarray  # titles per platform code


def _ranks(titles: pd.DataFrame) -> Ranks:
    """The Ranks of a titles frame: one sort per platform (ties by score: more ratings, then title)."""
    codes, _ = pd.factorize(titles["platform"].astype(object), use_na_sentinel=False)
    score = titles["score"].to_numpy(np.float64, na_value=np.nan)
    counts = titles["n_ratings"].to_numpy(np.int64)
    names = titles["title"].astype(object).fillna("").to_numpy().astype(str)
    by_score, by_ratings = np.zeros(len(titles), np.int64), np.zeros(len(titles), np.int64)
    for code in np.unique(codes):
        rows = np.flatnonzero(codes == code)
        rated = rows[~np.isnan(score[rows])]
        by_score[rated[np.lexsort((names[rated], -counts[rated], -score[rated]))]] = np.arange(1, len(rated) + 1)
        ordered = np.sort(counts[rows])
        by_ratings[rows] = len(rows) - np.searchsorted(ordered, counts[rows], side="right") + 1
    rated_per = np.bincount(codes, weights=~np.isnan(score)).astype(np.int64)
    return Ranks(codes, by_score, by_ratings, rated_per, np.bincount(codes))


_RANKS: dict[int, tuple[pd.DataFrame, Ranks]] = {}


def ranks(titles: pd.DataFrame) -> Ranks:
    """The Ranks of a titles frame, kept while the frame is the one they were computed for."""
    hit = _RANKS.get(id(titles))
    if hit is None or hit[0] is not titles:
        _RANKS.clear()  # one catalogue per process, plus a few in tests
        hit = _RANKS[id(titles)] = (titles, _ranks(titles))
    return hit[1]


def title_details(titles: pd.DataFrame, ratings: TitleRatings, title_id: object) -> TitleDetails:
    """Everything about one title of a catalogue (titles indexed by id); NotFound for an unknown id."""
    key = find_title(titles, title_id)
    position = int(titles.index.get_loc(key))
    row = titles.iloc[position]
    places = ranks(titles)
    same = places.platform == places.platform[position]
    return TitleDetails(
        id=key, title=str(row["title"]), platform=str(row["platform"]), type=_text(row["type"]),
        release_year=_whole(row["release_year"]), date_added=_text(row["date_added"]), rating=_text(row["rating"]),
        audience=str(audience_of(pd.Series([row["rating"]])).iloc[0]), duration=_whole(row["duration_int"]),
        duration_unit=_text(row["duration_type"]), country=_items(row["country"]), director=_items(row["director"]),
        cast=_items(row["cast"]), listed_in=_items(row["listed_in"]), genres=_items(row["genres"]),
        facets={facet: _items(row[facet]) for facet in FACETS}, description=_text(row["description"]),
        ratings=_ratings(titles, ratings, position, same), rank_by_score=_rank(places, position, "score"),
        rank_by_ratings=_rank(places, position, "ratings"))


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


def _rank(places: Ranks, position: int, by: str) -> Rank | None:
    """A title's Rank by mean score (None when unrated) or by number of ratings."""
    code = places.platform[position]
    place, of = ((places.by_score[position], places.rated[code]) if by == "score"
                 else (places.by_ratings[position], places.titles[code]))
    if not place:
        return None
    return Rank(position=int(place), of=int(of), percentile=_percentile(int(place), int(of)))


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
