"""The four catalogue questions of the original API, answered from a per-catalogue index, and the input parsing they share.

Every public function takes raw user input (ints or strings from a URL or a widget), validates it with the
``parse_*`` functions (``InvalidQuery`` with an actionable message otherwise) and returns plain Python values
(int, float, str, None, lists and dicts of them), ready for ``jsonify`` or a Dash component.
No call scans the ratings: ``catalog.titles`` already holds each title's ``score`` and ``n_ratings``, and
everything else a query needs is precomputed once per catalogue in a ``QueryIndex`` (see ``query_index``).
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from numbers import Integral, Real
from operator import itemgetter
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from core.catalog import Catalog
from core.config import PLATFORMS
from core.errors import InvalidQuery
from core.text import bounded, quoted

YEAR_LIMITS: tuple[int, int] = (1800, 2100)
SCORE_LIMITS: tuple[float, float] = (0.0, 5.0)
DURATION_TYPES: tuple[str, ...] = ("min", "season")
CONTENT_TYPES: tuple[str, ...] = ("movie", "tv show", "all")
MAX_N = 1000

# Keys are lower-case with runs of spaces, '_' and '-' folded to one space and spaces before '+' removed.
PLATFORM_ALIASES: dict[str, str] = {
    **{p: p for p in PLATFORMS},
    "amazon prime": "amazon", "amazon prime video": "amazon", "prime": "amazon", "prime video": "amazon",
    "amazon video": "amazon", "amazonprime": "amazon", "primevideo": "amazon",
    "disney+": "disney", "disney plus": "disney", "disneyplus": "disney",
    "hulu+": "hulu", "hulu plus": "hulu",
}
DURATION_ALIASES: dict[str, str] = {"min": "min", "mins": "min", "minute": "min", "minutes": "min",
                                    "season": "season", "seasons": "season"}
CONTENT_ALIASES: dict[str, str] = {
    "movie": "movie", "movies": "movie", "film": "movie", "films": "movie",
    "tv show": "tv show", "tv shows": "tv show", "tvshow": "tv show", "tvshows": "tv show", "tv": "tv show",
    "show": "tv show", "shows": "tv show", "series": "tv show",
    "all": "all", "any": "all", "both": "all",
}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_LETTER = re.compile(r"[^\W\d_]")  # a letter of any script
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


# ---------------------------------------------------------------------------------------------- results
class LongestTitle(TypedDict):
    """One title of a max-duration answer."""

    id: str
    title: str | None
    platform: str
    type: str | None
    release_year: int | None
    duration_int: int
    duration_type: str
    score: float | None
    n_ratings: int


class PlatformCount(TypedDict):
    """Titles of one platform by content type."""

    platform: str
    movies: int
    tv_shows: int
    total: int


class ActorCount(TypedDict):
    """A cast member and the number of titles they appear in."""

    actor: str
    count: int


class TopActor(TypedDict):
    """The most frequent cast member of one platform and release year."""

    platform: str
    year: int
    actor: str
    count: int


class PlatformRange(TypedDict):
    """What one platform's data spans."""

    titles: int
    year_min: int | None
    year_max: int | None
    score_min: float | None
    score_max: float | None


class QueryRanges(TypedDict):
    """Valid inputs and observed data ranges, for the dashboard's widgets."""

    platforms: dict[str, PlatformRange]
    year_limits: list[int]
    year_min: int | None
    year_max: int | None
    score_limits: list[float]
    duration_types: list[str]
    content_types: list[str]


# ---------------------------------------------------------------------------------------------- parsing
def _whole_number(value: object) -> int | None:
    """An int from an integral number (int, numpy int, 2020.0, Fraction, Decimal); None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        return None
    if isinstance(value, Integral):
        return int(value)
    try:
        whole = int(value)  # raises for NaN and infinities
        return whole if whole == value else None
    except (ArithmeticError, ValueError, TypeError):
        return None


def _text(value: object, name: str) -> str:
    """A non-empty stripped string, or InvalidQuery naming the parameter."""
    if value is None:
        raise InvalidQuery(f"{name} is required")
    if not isinstance(value, str):
        raise InvalidQuery(f"{name} must be text, not {quoted(value)}")
    text = bounded(value, name).strip()
    if not text:
        raise InvalidQuery(f"{name} is empty")
    return text


def _alias_key(text: str) -> str:
    """Lower-case, one space between words, no space before '+': the key of the alias tables."""
    return re.sub(r"\s+\+", "+", re.sub(r"[\s_-]+", " ", text.casefold())).strip()


def parse_platform(value: object) -> str:
    """One of PLATFORMS from a name or alias in any case ('Netflix', 'Amazon Prime', 'prime', 'Disney+')."""
    text = _text(value, "platform")
    platform = PLATFORM_ALIASES.get(_alias_key(text))
    if platform is None:
        raise InvalidQuery(f"unknown platform {quoted(text)}; choose one of {', '.join(PLATFORMS)}")
    return platform


def parse_optional_platform(value: object) -> str | None:
    """None (no platform filter) or a platform as parse_platform reads it."""
    return None if value is None else parse_platform(value)


def parse_year(value: object) -> int:
    """A release year from an int, a whole float or an integer string, within YEAR_LIMITS."""
    low, high = YEAR_LIMITS
    hint = f"give a whole year such as 2020, between {low} and {high}"
    if value is None:
        raise InvalidQuery("year is required; " + hint)
    if isinstance(value, str):
        text = bounded(value, "year").strip()
        if not text:
            raise InvalidQuery("year is empty; " + hint)
        if not _INTEGER.fullmatch(text):
            raise InvalidQuery(f"year must be a whole number, not {quoted(text)}; {hint}")
        # A long digit string is out of range anyway; int() of thousands of digits would be slow.
        if len(text.lstrip("+-")) > 6:
            raise InvalidQuery(f"year {quoted(text)} is out of range; {hint}")
        year = int(text)
    else:
        year = _whole_number(value)
        if year is None:
            raise InvalidQuery(f"year must be a whole number, not {quoted(value)}; {hint}")
    if not low <= year <= high:
        raise InvalidQuery(f"year {quoted(year)} is out of range; {hint}")
    return year


def parse_optional_year(value: object) -> int | None:
    """None (no year filter) or a year as parse_year reads it."""
    return None if value is None else parse_year(value)


def parse_score(value: object) -> float:
    """A score threshold from a number or a decimal string, within SCORE_LIMITS (0-5)."""
    low, high = SCORE_LIMITS
    hint = f"give a number from {low:g} to {high:g}, such as 3.5"
    if isinstance(value, bool) or value is None:
        raise InvalidQuery("score is required; " + hint if value is None else f"score must be a number, not {value}")
    if isinstance(value, str):
        text = bounded(value, "score").strip()
        if not text:
            raise InvalidQuery("score is empty; " + hint)
        if not _DECIMAL.fullmatch(text):
            raise InvalidQuery(f"score must be a number, not {quoted(text)}; {hint}")
        score = float(text)
    elif isinstance(value, (Real, Decimal)):
        try:
            score = float(value)
        except OverflowError:
            raise InvalidQuery(f"score {quoted(value)} is out of range; {hint}") from None
        except (ArithmeticError, ValueError, TypeError):  # e.g. a signalling-NaN Decimal
            raise InvalidQuery(f"score must be a number, not {quoted(value)}; {hint}") from None
    else:
        raise InvalidQuery(f"score must be a number, not {quoted(value)}; {hint}")
    if math.isnan(score):
        raise InvalidQuery(f"score must be a number, not NaN; {hint}")
    if not low <= score <= high:
        raise InvalidQuery(f"score {score:g} is out of range; {hint}")
    return score


def parse_duration_type(value: object) -> str:
    """'min' or 'season' (plurals and 'minutes' accepted); None means 'min'."""
    if value is None:
        return "min"
    unit = DURATION_ALIASES.get(_alias_key(_text(value, "duration type")))
    if unit is None:
        raise InvalidQuery(f"unknown duration type {quoted(value)}; choose min or season")
    return unit


def parse_content_type(value: object) -> str:
    """'movie', 'tv show' or 'all' (plurals, 'tv', 'series' accepted); None means 'movie'."""
    if value is None:
        return "movie"
    kind = CONTENT_ALIASES.get(_alias_key(_text(value, "content type")))
    if kind is None:
        raise InvalidQuery(f"unknown content type {quoted(value)}; choose movie, tv show or all")
    return kind


def parse_count(value: object, name: str = "n", limit: int = MAX_N) -> int:
    """How many rows to return: a whole number from 1 to limit."""
    if isinstance(value, str) and _INTEGER.fullmatch(bounded(value, name).strip()) and len(value.strip()) <= 6:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, Integral) or not 1 <= int(value) <= limit:
        raise InvalidQuery(f"{name} must be a whole number from 1 to {limit}, not {quoted(value)}")
    return int(value)


# ---------------------------------------------------------------------------------------------- index
@dataclass(frozen=True)
class RankedTitles:
    """Titles of one duration type, longest first (ties: title, then id), with their filter columns aligned."""

    positions: np.ndarray  # row positions in catalog.titles
    platforms: np.ndarray  # platform code (index in PLATFORMS, -1 other)
    years: np.ndarray  # release year, -1 when unknown


@dataclass(frozen=True)
class QueryIndex:
    """Everything the queries need, precomputed from one catalogue's titles; read-only, safe across threads."""

    records: list[tuple]  # per title position: the LongestTitle fields as plain Python values
    longest: dict[str, RankedTitles]  # by duration type
    scores: dict[tuple[str, int, str], np.ndarray]  # (platform, year, content type|'all') -> sorted scores
    counts: dict[str, PlatformCount]
    actors: dict[tuple[str, int], tuple[list[str], list[int]]]  # (platform, year) -> names, counts; ranked
    ranges: dict[str, PlatformRange]


_RECORD_FIELDS = tuple(LongestTitle.__annotations__)
_INDEXES: dict[int, tuple[weakref.ref, QueryIndex]] = {}
_INDEX_LOCK = threading.Lock()


def _plain(value: Any) -> Any:
    """A pandas/numpy scalar as a JSON-ready Python value (NA and NaN -> None)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


def _records(titles: pd.DataFrame) -> list[tuple]:
    """The result fields of every title as tuples of plain values."""
    columns = [[_plain(v) for v in titles[name].tolist()] for name in _RECORD_FIELDS]
    return list(zip(*columns))


def _platform_codes(platforms: pd.Series) -> np.ndarray:
    """Index of each platform in PLATFORMS, -1 for anything else."""
    return np.array([PLATFORMS.index(p) if p in PLATFORMS else -1 for p in platforms.tolist()], dtype=np.int8)


def _years(years: pd.Series) -> np.ndarray:
    """Release years as int32, -1 when unknown."""
    return years.astype("Int32").fillna(-1).to_numpy(dtype=np.int32)


def _ranked_titles(frame: pd.DataFrame, unit: str) -> RankedTitles:
    """The titles of one duration type, longest first; ties broken by title, then id."""
    rows = frame[(frame["duration_type"] == unit) & frame["duration_int"].notna()]
    rows = rows.sort_values(["duration_int", "title", "id"], ascending=[False, True, True], na_position="last")
    return RankedTitles(rows["_pos"].to_numpy(np.intp), _platform_codes(rows["platform"]), _years(rows["release_year"]))


def _sorted_scores(frame: pd.DataFrame) -> dict[tuple[str, int, str], np.ndarray]:
    """Sorted scores of the rated titles per (platform, year, content type), and per (platform, year, 'all')."""
    rated = frame[frame["score"].notna() & frame["release_year"].notna()]
    out: dict[tuple[str, int, str], np.ndarray] = {}
    for (platform, year, kind), scores in rated.groupby(["platform", "release_year", "type"])["score"]:
        out[(platform, int(year), kind)] = np.sort(scores.to_numpy(np.float64))
    for (platform, year), scores in rated.groupby(["platform", "release_year"])["score"]:
        out[(platform, int(year), "all")] = np.sort(scores.to_numpy(np.float64))
    return out


def _platform_counts(frame: pd.DataFrame) -> dict[str, PlatformCount]:
    """Movies, TV shows and all titles of each platform (zeros for a platform without titles)."""
    out: dict[str, PlatformCount] = {}
    for platform in PLATFORMS:
        kinds = frame.loc[frame["platform"] == platform, "type"]
        out[platform] = PlatformCount(platform=platform, movies=int((kinds == "movie").sum()),
                                      tv_shows=int((kinds == "tv show").sum()), total=len(kinds))
    return out


def is_name(text: str) -> bool:
    """True when a cast entry can be a name: it has a letter (amazon's placeholder titles list '1, 2, 3')."""
    return _LETTER.search(text) is not None


def cast_names(cast: str | None) -> list[str]:
    """The distinct names of a cast list, in order: split on commas, stripped, non-names dropped."""
    names = (piece.strip() for piece in (cast or "").split(","))
    # dict.fromkeys keeps the first of repeats: a name listed twice in one cast is still one title.
    return list(dict.fromkeys(name for name in names if is_name(name)))


def _ranked_actors(titles: pd.DataFrame) -> dict[tuple[str, int], tuple[list[str], list[int]]]:
    """Per (platform, year): cast members by number of titles, most first (ties: alphabetical)."""
    # One plain pass over the ~17k casts: no exploded frame of 110k rows, and the same rule as cast_names.
    counters: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    rows = zip(titles["platform"].tolist(), titles["release_year"].tolist(), titles["cast"].tolist())
    for platform, year, cast in rows:
        if isinstance(cast, str) and year is not None and year is not pd.NA:
            counters[(platform, int(year))].update(cast_names(cast))
    out = {}
    for key, counter in counters.items():
        ranked = sorted(counter.items())
        ranked.sort(key=itemgetter(1), reverse=True)  # stable: equal counts stay alphabetical
        if ranked:
            out[key] = ([name for name, _ in ranked], [count for _, count in ranked])
    return out


def _platform_ranges(frame: pd.DataFrame) -> dict[str, PlatformRange]:
    """Number of titles, release-year and score span of each platform."""
    out: dict[str, PlatformRange] = {}
    for platform in PLATFORMS:
        rows = frame[frame["platform"] == platform]
        out[platform] = PlatformRange(titles=len(rows),
                                      year_min=_plain(rows["release_year"].min()),
                                      year_max=_plain(rows["release_year"].max()),
                                      score_min=_plain(rows["score"].min()), score_max=_plain(rows["score"].max()))
    return out


def build_index(titles: pd.DataFrame) -> QueryIndex:
    """The QueryIndex of a processed titles table (use query_index to get it memoised)."""
    frame = titles.reset_index(drop=True).assign(_pos=np.arange(len(titles)))
    return QueryIndex(records=_records(frame),
                      longest={unit: _ranked_titles(frame, unit) for unit in DURATION_TYPES},
                      scores=_sorted_scores(frame), counts=_platform_counts(frame),
                      actors=_ranked_actors(frame), ranges=_platform_ranges(frame))


def query_index(catalog: Catalog) -> QueryIndex:
    """The QueryIndex of a catalogue: built on first use, kept while the catalogue lives."""
    entry = _INDEXES.get(id(catalog))
    if entry is not None and entry[0]() is catalog:
        return entry[1]
    with _INDEX_LOCK:
        entry = _INDEXES.get(id(catalog))
        # An id can be reused by a new object once the old one is gone: the weak reference tells them apart.
        if entry is None or entry[0]() is not catalog:
            entry = (weakref.ref(catalog, _forget(id(catalog))), build_index(catalog.titles))
            _INDEXES[id(catalog)] = entry
        return entry[1]


def _forget(key: int):
    """Weakref callback dropping a dead catalogue's index (unless the id already holds a newer one)."""

    def callback(ref: weakref.ref) -> None:
        if _INDEXES.get(key, (None,))[0] is ref:
            _INDEXES.pop(key, None)

    return callback


# ---------------------------------------------------------------------------------------------- queries
def longest_titles(catalog: Catalog, year: object = None, platform: object = None, duration_type: object = None,
                   n: object = 10) -> list[LongestTitle]:
    """The n longest titles matching the optional filters, longest first (ties: alphabetical title)."""
    year, platform = parse_optional_year(year), parse_optional_platform(platform)
    unit, n = parse_duration_type(duration_type), parse_count(n)
    index = query_index(catalog)
    ranked = index.longest[unit]
    mask = np.ones(len(ranked.positions), dtype=bool)
    if platform is not None:
        mask &= ranked.platforms == PLATFORMS.index(platform)
    if year is not None:
        mask &= ranked.years == year
    hits = ranked.positions[np.flatnonzero(mask)[:n]]
    return [LongestTitle(**dict(zip(_RECORD_FIELDS, index.records[pos]))) for pos in hits.tolist()]


def get_max_duration(catalog: Catalog, year: object = None, platform: object = None,
                     duration_type: object = None) -> LongestTitle | None:
    """The longest title matching the optional filters (duration type None means 'min'); None when none does."""
    rows = longest_titles(catalog, year=year, platform=platform, duration_type=duration_type, n=1)
    return rows[0] if rows else None


def get_score_count(catalog: Catalog, platform: object, scored: object, year: object,
                    content_type: object = "movie") -> int:
    """Titles of a platform, year and content type whose mean user score is strictly greater than `scored`."""
    platform, threshold = parse_platform(platform), parse_score(scored)
    year, kind = parse_year(year), parse_content_type(content_type)
    scores = query_index(catalog).scores.get((platform, year, kind))
    if scores is None:
        return 0
    return int(len(scores) - np.searchsorted(scores, threshold, side="right"))


def get_count_platform(catalog: Catalog, platform: object) -> PlatformCount:
    """Number of movies, TV shows and all titles of a platform."""
    return PlatformCount(**query_index(catalog).counts[parse_platform(platform)])


def top_actors(catalog: Catalog, platform: object, year: object, n: object = 10) -> list[ActorCount]:
    """The n cast members in the most titles of a platform released in a year (ties: alphabetical)."""
    platform, year, n = parse_platform(platform), parse_year(year), parse_count(n)
    names, counts = query_index(catalog).actors.get((platform, year), ([], []))
    return [ActorCount(actor=name, count=count) for name, count in zip(names[:n], counts[:n])]


def get_actor(catalog: Catalog, platform: object, year: object) -> TopActor | None:
    """The cast member in the most titles of a platform released in a year; None when no such title has a cast."""
    platform, year = parse_platform(platform), parse_year(year)
    top = top_actors(catalog, platform, year, n=1)
    return TopActor(platform=platform, year=year, **top[0]) if top else None


def query_ranges(catalog: Catalog) -> QueryRanges:
    """Valid inputs (platforms, year and score limits, duration and content types) and each platform's data span."""
    ranges = query_index(catalog).ranges
    years = [y for r in ranges.values() for y in (r["year_min"], r["year_max"]) if y is not None]
    return QueryRanges(platforms={p: PlatformRange(**r) for p, r in ranges.items()},
                       year_limits=list(YEAR_LIMITS), year_min=min(years, default=None),
                       year_max=max(years, default=None), score_limits=list(SCORE_LIMITS),
                       duration_types=list(DURATION_TYPES), content_types=list(CONTENT_TYPES))
