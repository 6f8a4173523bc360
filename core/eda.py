"""Exploratory aggregations behind the Explore panel: global filters, headline numbers and one table per chart.

Every function is pure pandas/numpy over the processed frames of a ``Catalog`` (see ``core.etl``): ``titles``
for everything about the catalogues, ``user_segments`` for the ratings-per-user long tail and ``activity`` for
ratings over time; the 11M ratings are never read. Outputs keep the data's lower-case values (the UI title-cases
them) and are small: a few hundred rows at most, as a ``Table`` (columns of plain values, ready to plot and encode).

The filters (platforms, content type, release-year range) apply to every output: ``user_segments`` and
``activity`` sum the ratings per segment (platform, type, release year) of the rated titles, the very columns
the filters select titles by, so a user's total under the filters is the sum of their kept segments.

A filter change never filters the 23k-title frame: ``prepare`` (app start) turns the catalogue into numpy codes
once (``TitleCodes``: platform, type, year, audience band, runtime, seasons, score, genre and country pairs), and
each chart counts the kept titles' codes with ``np.bincount`` (``select`` gives the kept titles as a mask). The
ratings summaries are cut into runs of one segment once: ``rating_activity`` sums a runs x months matrix, and
``user_totals`` adds dense per-user sums kept at checkpoints of the runs (``UserSums``) to the few runs between
them and the ends of the kept ranges.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Callable, TypedDict, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from core.config import PLATFORMS
from core.etl import SEGMENT_COLUMNS
from core.errors import InvalidQuery
from core.genres import parse_genre
from core.queries import parse_content_type, parse_platform
from core.title_ratings import TitleRatings

T = TypeVar("T")
Table = dict[str, list]  # a chart's table: equal-length columns of plain values (pd.DataFrame(table) for a frame)
_MEMO: dict[tuple[int, str], object] = {}
CONTENT_TYPES: tuple[str, ...] = ("all", "movie", "tv show")
# Audience bands of the maturity ratings, youngest first; codes not listed are "unrated".
AUDIENCES: tuple[str, ...] = ("kids", "all ages", "guidance", "teens", "adults", "unrated")
AUDIENCE_OF_RATING: dict[str, str] = {
    **dict.fromkeys(("tv-y", "tv-y7", "tv-y7-fv", "7+"), "kids"),
    **dict.fromkeys(("g", "tv-g", "all", "all_ages"), "all ages"),
    **dict.fromkeys(("pg", "tv-pg"), "guidance"),
    **dict.fromkeys(("pg-13", "13+", "tv-14", "16+", "16", "ages_16_"), "teens"),
    **dict.fromkeys(("r", "nc-17", "tv-ma", "18+", "ages_18_"), "adults"),
}
# Ratings-per-user bins: lower edges; the last bin is open-ended. Fine at the low end, where narrow filters put
# most users (every user of the real data rated at least 20 titles in all).
USER_BINS: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
SEASON_CAP = 10  # shows with this many seasons or more share one bar
# The columns every aggregation here needs (the long free-text ones left out).
EDA_COLUMNS: list[str] = ["id", "platform", "type", "title", "country", "release_year", "rating", "duration_int",
                          "duration_type", "listed_in", "genres", "score", "n_ratings"]
SCORE_BIN = 0.25  # width of the score histogram bins (scores are means of 0.5-5 ratings)


# ---------------------------------------------------------------------------------------------- filters
@dataclass(frozen=True)
class Filters:
    """The global filter bar: platforms (empty: nothing matches), content type, inclusive release-year range and
    canonical genres (titles listing any of them; empty: every title)."""

    platforms: tuple[str, ...] = PLATFORMS
    content_type: str = "all"
    years: tuple[int, int] | None = None
    genres: tuple[str, ...] = ()

    def is_default(self) -> bool:
        """True when the filters keep every title."""
        return (set(self.platforms) == set(PLATFORMS) and self.content_type == "all" and self.years is None
                and not self.genres)


def year_bounds(titles: pd.DataFrame) -> tuple[int, int]:
    """The smallest and largest release year of the catalogue."""
    years = titles["release_year"].dropna()
    if years.empty:
        return (1900, 2030)
    return int(years.min()), int(years.max())


def make_filters(platforms: object, content_type: object, years: object, bounds: tuple[int, int],
                 genres: object = None, known_genres: tuple[str, ...] = ()) -> Filters:
    """Filters from widget values (genres: among known_genres, by name or URL slug); InvalidQuery with a message a
    user can act on for impossible values."""
    if platforms is None:
        platforms = []
    if isinstance(platforms, str) or not isinstance(platforms, (list, tuple)):
        raise InvalidQuery("platforms must be a list of platform names")
    chosen = {parse_platform(p) for p in platforms}
    kind = "all" if content_type is None or content_type == "" else parse_content_type(content_type)
    return Filters(platforms=tuple(p for p in PLATFORMS if p in chosen), content_type=kind,
                   years=make_year_range(years, bounds), genres=make_genres(genres, known_genres))


def make_genres(genres: object, known: tuple[str, ...]) -> tuple[str, ...]:
    """The chosen genres in the catalogue's order; InvalidQuery for anything but a list of known genres."""
    if genres is None:
        return ()
    if isinstance(genres, str) or not isinstance(genres, (list, tuple)):
        raise InvalidQuery("genres must be a list of genre names")
    if len(genres) > len(known):
        raise InvalidQuery(f"at most {len(known)} genres can be chosen")
    chosen = {parse_genre(genre, known) for genre in genres}
    return tuple(name for name in known if name in chosen)


def make_year_range(years: object, bounds: tuple[int, int]) -> tuple[int, int] | None:
    """An inclusive (start, end) within bounds, or None when it spans them; InvalidQuery otherwise."""
    if years is None:
        return None
    low, high = bounds
    message = f"Release years must be two whole numbers from {low} to {high}, the first not after the second"
    if not isinstance(years, (list, tuple)) or len(years) != 2:
        raise InvalidQuery(message)
    try:
        start, end = (_whole(value) for value in years)
    except (TypeError, ValueError, OverflowError):
        raise InvalidQuery(message) from None
    if not low <= start <= end <= high:
        raise InvalidQuery(message)
    return None if (start, end) == (low, high) else (start, end)


def _whole(value: object) -> int:
    """An int from an int, a whole float or an integer string (TypeError/ValueError/OverflowError otherwise)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a year")
    number = float(value) if isinstance(value, str) else value
    if not isinstance(number, (int, float, np.integer, np.floating)) or not float(number).is_integer():
        raise ValueError(f"not a whole number: {value!r}")
    return int(number)


def kept_rows(frame: pd.DataFrame, filters: Filters) -> np.ndarray:
    """Which rows of a frame with platform, type and release_year columns the filters keep (a boolean mask); the
    genres are not looked at (see `select` for titles)."""
    return _memo(frame, "keys", _keys).kept(filters)


def kept_segment_rows(frame: pd.DataFrame, filters: Filters) -> np.ndarray:
    """kept_rows of a large frame sorted by segment (see core.etl), decided once per run of rows in one segment."""
    runs = _runs(frame)
    return np.repeat(runs.keys.kept(filters), runs.lengths)


def genre_names(titles: pd.DataFrame) -> tuple[str, ...]:
    """The canonical genres the catalogue's titles list, by name."""
    return _memo(titles, "title_codes", _title_codes).genres.names


# ---------------------------------------------------------------------------------------------- indexes
@dataclass(frozen=True)
class Keys:
    """Platform, type and release year of some rows as numpy codes (-1: missing): what the filters select by."""

    platforms: tuple[str, ...]  # in PLATFORMS order, then others by name
    platform: np.ndarray
    types: tuple[str, ...]  # by name
    kind: np.ndarray
    year: np.ndarray  # float64, NaN when unknown

    def kept(self, filters: Filters) -> np.ndarray:
        """The rows the filters keep (a boolean mask)."""
        allowed = np.array([p in filters.platforms for p in self.platforms] + [False])  # [-1]: no platform
        mask = allowed[self.platform]
        if filters.content_type != "all":
            code = self.types.index(filters.content_type) if filters.content_type in self.types else -2
            mask &= self.kind == code
        if filters.years is not None:
            mask &= (self.year >= filters.years[0]) & (self.year <= filters.years[1])
        return mask


def _codes(values: pd.Series, names: list[str]) -> np.ndarray:
    """The position of each value in names (-1 for a missing or unlisted value)."""
    return pd.Index(names).get_indexer(values.astype(object).where(values.notna(), None)).astype(np.int64)


def _keys(frame: pd.DataFrame) -> Keys:
    """The Keys of a frame's platform, type and release_year columns."""
    known = list(PLATFORMS)
    present = frame["platform"].dropna().astype(str).unique().tolist()
    platforms = sorted(present, key=lambda p: (known.index(p) if p in known else len(known), p))
    types = sorted(frame["type"].dropna().astype(str).unique().tolist())
    year = frame["release_year"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    return Keys(tuple(platforms), _codes(frame["platform"], platforms), tuple(types), _codes(frame["type"], types),
                year)


@dataclass(frozen=True)
class Runs:
    """A frame cut into runs of consecutive rows of one segment: the runs' Keys, first rows and lengths."""

    keys: Keys
    starts: np.ndarray
    lengths: np.ndarray


def _runs(frame: pd.DataFrame) -> Runs:
    """The runs of a (large) frame, found once per frame."""
    return _memo(frame, "segment_runs", _segment_runs)


def _segment_runs(frame: pd.DataFrame) -> Runs:
    """The runs of consecutive rows with equal platform, type and release_year."""
    codes = [_run_codes(frame[column]) for column in SEGMENT_COLUMNS]
    changed = np.zeros(len(frame), dtype=bool)
    changed[:1] = True
    for column in codes:
        changed[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(changed)
    runs = frame[SEGMENT_COLUMNS].iloc[starts].reset_index(drop=True)
    return Runs(_keys(runs), starts, np.diff(np.append(starts, len(frame))))


def _run_codes(values: pd.Series) -> np.ndarray:
    """Integers equal where the values are equal (missing values included): cheap for categories and numbers."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy()
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.to_numpy(dtype=np.int64, na_value=np.iinfo(np.int64).min)
    return pd.factorize(values, use_na_sentinel=False)[0]


def _slices(runs: Runs, which: np.ndarray) -> np.ndarray:
    """The row numbers of the chosen runs, in order."""
    starts, lengths = runs.starts[which], runs.lengths[which]
    if not len(starts):
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(int(lengths.sum()))


@dataclass(frozen=True)
class Pairs:
    """A comma-separated list column as (title row, value code) pairs; codes number the values by name."""

    row: np.ndarray
    code: np.ndarray
    names: tuple[str, ...]


@dataclass(frozen=True)
class TitleCodes:
    """The catalogue's columns as numpy arrays, one entry per title: what every chart counts."""

    keys: Keys
    audience: np.ndarray  # position in AUDIENCES; -1 without a maturity rating
    minutes: np.ndarray  # a movie's runtime in minutes (float64), NaN for shows and unknown runtimes
    seasons: np.ndarray  # a show's seasons, -1 for movies and unknown seasons
    score: np.ndarray  # float64, NaN when unrated
    n_ratings: np.ndarray
    country_known: np.ndarray
    genres: Pairs
    countries: Pairs
    genre_member: np.ndarray  # titles x genres, bool: which canonical genres each title lists

    def kept(self, filters: Filters) -> np.ndarray:
        """The titles the filters keep (a boolean mask)."""
        mask = self.keys.kept(filters)
        if filters.genres:
            columns = [self.genres.names.index(g) for g in filters.genres if g in self.genres.names]
            mask &= self.genre_member[:, columns].any(axis=1)
        return mask


def _title_codes(titles: pd.DataFrame) -> TitleCodes:
    """TitleCodes of a titles frame."""
    duration = titles["duration_int"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    unit = titles["duration_type"].astype(object).to_numpy()
    kind = titles["type"].astype(object).to_numpy()
    movie, show = (kind == "movie") & (unit == "min"), (kind == "tv show") & (unit == "season")
    seasons = np.where(show & ~np.isnan(duration), np.nan_to_num(duration, nan=-1), -1).astype(np.int64)
    audience = _codes(audience_of(titles["rating"]).where(titles["rating"].notna()), list(AUDIENCES))
    genres = _pair_codes(titles, "genres")
    member = np.zeros((len(titles), len(genres.names)), dtype=bool)
    member[genres.row, genres.code] = True
    return TitleCodes(
        keys=_memo(titles, "keys", _keys), audience=audience, minutes=np.where(movie, duration, np.nan),
        seasons=seasons,
        score=titles["score"].to_numpy(dtype="float64", na_value=np.nan),
        n_ratings=titles["n_ratings"].to_numpy(dtype="int64"),
        country_known=titles["country"].fillna("").str.len().gt(0).to_numpy(dtype=bool),
        genres=genres, countries=_pair_codes(titles, "country"), genre_member=member)


def _pair_codes(titles: pd.DataFrame, column: str) -> Pairs:
    """Pairs of a list column, value codes in name order."""
    pairs = _exploded(titles, column)
    values = pairs[column].cat
    names = np.asarray(values.categories, dtype=object)
    order = np.argsort(names.astype(str), kind="stable")
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    return Pairs(pairs["row"].to_numpy(), rank[values.codes.to_numpy()], tuple(str(n) for n in names[order]))


@dataclass(frozen=True)
class Selection:
    """Some titles of a catalogue: its TitleCodes and which titles are kept. The chart functions take one (or a
    frame of titles: all of them)."""

    codes: TitleCodes
    mask: np.ndarray

    def platform(self) -> np.ndarray:
        """The platform code of each kept title."""
        return self.codes.keys.platform[self.mask]

    def names(self, codes: np.ndarray) -> list[str]:
        """Platform names of platform codes."""
        return [self.codes.keys.platforms[c] for c in codes]


def select(titles: pd.DataFrame, filters: Filters) -> Selection:
    """The titles the filters keep, as a Selection of the catalogue (its codes built once)."""
    codes = _memo(titles, "title_codes", _title_codes)
    return Selection(codes, codes.kept(filters))


def _selection(titles: pd.DataFrame | Selection) -> Selection:
    """A Selection as is; a frame as the Selection of all its titles."""
    if isinstance(titles, Selection):
        return titles
    return Selection(_memo(titles, "title_codes", _title_codes), np.ones(len(titles), dtype=bool))


def prepare(titles: pd.DataFrame, *summaries: pd.DataFrame) -> None:
    """Build the memoised indexes now (app start), not on a user's first request: the catalogue's codes (genre and
    country lists split once), the segment runs of the summary frames and their per-segment sums."""
    _memo(titles, "title_codes", _title_codes)
    for frame in summaries:
        _runs(frame)
        if "user_row" in frame.columns:
            _memo(frame, "user_sums", _user_sums)
        else:
            _memo(frame, "months", _monthly)


def filter_titles(titles: pd.DataFrame, filters: Filters, columns: list[str] | None = None) -> pd.DataFrame:
    """The titles the filters keep (only `columns` when given; the frame itself when it keeps everything)."""
    mask = select(titles, filters).mask
    frame = titles if columns is None else titles[columns]
    return frame if mask.all() else frame[mask]


# ---------------------------------------------------------------------------------------------- headline
class Headline(TypedDict):
    """The headline numbers of the filtered catalogue."""

    titles: int
    users: int
    ratings: int
    mean_score: float | None
    rated_titles: int


CHECKPOINT_ROWS = 80_000  # user_segments rows between two dense per-user sums (~60 of them on the real data: 28 MB)


@dataclass(frozen=True)
class UserSums:
    """Per-user sums of user_segments, kept dense (float32, users as columns) at checkpoints of its runs sorted by
    segment: dense[k] sums the runs order[:at[k]]. The kept runs of any filters form a few ranges of that order,
    and a range's sum is a difference of the nearest checkpoints plus the few runs between them and its ends."""

    order: np.ndarray  # run numbers sorted by platform, type and release year
    rows: np.ndarray  # rows of user_segments before each position of `order` (len(order) + 1 values)
    at: np.ndarray  # positions in `order` with a dense sum, ascending (0 and len(order) included)
    dense: np.ndarray  # len(at) x users, float32 (whole numbers well below 2**24: exact)


def _user_sums(user_segments: pd.DataFrame) -> UserSums:
    """UserSums of a user_segments frame."""
    runs = _runs(user_segments)
    keys = runs.keys
    order = np.lexsort((np.nan_to_num(keys.year, nan=np.inf), keys.kind, keys.platform))
    rows = np.concatenate([[0], np.cumsum(runs.lengths[order])])
    group = keys.platform[order] * (len(keys.types) + 1) + keys.kind[order]
    edges = np.flatnonzero(np.diff(group)) + 1  # group boundaries are always checkpoints
    spaced = np.searchsorted(rows, np.arange(CHECKPOINT_ROWS, rows[-1], CHECKPOINT_ROWS))
    at = np.unique(np.concatenate([[0, len(order)], edges, spaced]))
    users = int(user_segments["user_row"].max()) + 1 if len(user_segments) else 0
    dense, total = np.zeros((len(at), users), dtype=np.float32), np.zeros(users)
    for k in range(1, len(at)):
        total += _per_user(user_segments, _slices(runs, order[at[k - 1]:at[k]]), None, users)
        dense[k] = total
    return UserSums(order, rows, at, dense)


def _per_user(user_segments: pd.DataFrame, rows: np.ndarray, sign: np.ndarray | None, users: int) -> np.ndarray:
    """Ratings per user (float64, by user_row) of some rows, each times its sign when given."""
    counts = user_segments["n_ratings"].to_numpy()[rows].astype(np.float64)
    if sign is not None:
        counts *= sign
    per_user = np.bincount(user_segments["user_row"].to_numpy()[rows], weights=counts, minlength=users)
    return per_user.astype(np.float64, copy=False)  # an empty bincount is int64


def user_totals(user_segments: pd.DataFrame, filters: Filters) -> np.ndarray:
    """How many of the kept titles each user rated, for every user who rated one (by user_row)."""
    if filters.is_default():  # the first page and every reset: computed once
        return _memo(user_segments, "user_totals", lambda frame: _read_only(_totals(frame, Filters())))
    return _read_only(_totals(user_segments, filters))


def _totals(user_segments: pd.DataFrame, filters: Filters) -> np.ndarray:
    """user_totals, computed from the checkpoints nearest to the ends of the kept ranges of runs."""
    runs, sums = _runs(user_segments), _memo(user_segments, "user_sums", _user_sums)
    coef, sign = _range_terms(sums, runs.keys.kept(filters)[sums.order])
    which = np.flatnonzero(sign[:-1])
    rows = _slices(runs, sums.order[which])
    weights = np.repeat(sign[which], runs.lengths[sums.order[which]])
    per_user = _per_user(user_segments, rows, weights, sums.dense.shape[1]) + _dense_sum(sums, coef)
    return np.rint(per_user[per_user > 0.5]).astype(np.int64)


def _range_terms(sums: UserSums, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sum over the kept runs (in sorted order) as (a coefficient per checkpoint, a sign per sorted run)."""
    edges = np.diff(np.concatenate([[False], kept, [False]]).astype(np.int8))
    ends = np.flatnonzero(edges)  # positions where a kept range starts (+1) or stops (-1)
    coef, sign = np.zeros(len(sums.at)), np.zeros(len(sums.order) + 1)
    for end, direction in zip(ends.tolist(), edges[ends].tolist()):
        k = _nearest(sums, end)
        coef[k] -= direction  # a range's sum: dense[stop] - dense[start], each corrected by the runs between
        first, last = sorted((int(sums.at[k]), end))
        sign[first:last] += -direction if sums.at[k] < end else direction
    return coef, sign


def _dense_sum(sums: UserSums, coef: np.ndarray) -> np.ndarray:
    """The checkpoints' dense sums times their coefficients (+-1 but where a checkpoint ends several ranges)."""
    dense = np.zeros(sums.dense.shape[1], dtype=np.float32)
    for k in np.flatnonzero(coef).tolist():
        if abs(coef[k]) == 1:
            (np.add if coef[k] > 0 else np.subtract)(dense, sums.dense[k], out=dense)
        else:
            dense += np.float32(coef[k]) * sums.dense[k]
    return dense


def _nearest(sums: UserSums, position: int) -> int:
    """The checkpoint with the fewest rows between it and a position of the sorted runs."""
    k = int(np.searchsorted(sums.at, position))
    candidates = [c for c in (k - 1, k) if 0 <= c < len(sums.at)]
    return min(candidates, key=lambda c: abs(int(sums.rows[sums.at[c]]) - int(sums.rows[position])))


def _read_only(values: np.ndarray) -> np.ndarray:
    """The array, made read-only."""
    values.flags.writeable = False
    return values


def headline(titles: pd.DataFrame | Selection, user_counts: np.ndarray) -> Headline:
    """Titles, ratings and mean score of (filtered) titles; users: the user_totals of the same filters."""
    sel = _selection(titles)
    score = sel.codes.score[sel.mask]
    scores = score[~np.isnan(score)]
    return Headline(titles=int(sel.mask.sum()), users=int(len(user_counts)),
                    ratings=int(sel.codes.n_ratings[sel.mask].sum()),
                    mean_score=round(float(scores.mean()), 4) if len(scores) else None,
                    rated_titles=int(len(scores)))


# ---------------------------------------------------------------------------------------------- charts
def _count(first: np.ndarray, second: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A first x second matrix of how often each pair of codes occurs."""
    return np.bincount(first * shape[1] + second, minlength=shape[0] * shape[1]).reshape(shape)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """100 * part / whole, rounded to 2 decimals."""
    return np.round(100 * part / whole, 2)


def _table(**columns: object) -> Table:
    """A Table of columns given as lists or arrays (numbers become plain Python values)."""
    return {name: values.tolist() if isinstance(values, np.ndarray) else list(values)
            for name, values in columns.items()}


def _empty(*names: str) -> Table:
    """A Table without rows."""
    return {name: [] for name in names}


def titles_by_platform_type(titles: pd.DataFrame | Selection) -> Table:
    """Titles per platform and type, with each count's share of its platform (%)."""
    sel = _selection(titles)
    keys = sel.codes.keys
    kind = keys.kind[sel.mask]
    counts = _count(sel.platform()[kind >= 0], kind[kind >= 0], (len(keys.platforms), len(keys.types)))
    platform, kind = np.nonzero(counts)
    return _table(platform=sel.names(platform), type=[keys.types[k] for k in kind], titles=counts[platform, kind],
                  share=_share(counts[platform, kind], counts.sum(axis=1)[platform]))


def releases_per_year(titles: pd.DataFrame | Selection) -> Table:
    """Titles per release year and platform, every year from the first to the last release (zeros included)."""
    sel = _selection(titles)
    year = sel.codes.keys.year[sel.mask]
    known = ~np.isnan(year)
    if not known.any():
        return _empty("platform", "release_year", "titles")
    year = year[known].astype(np.int64)
    first, span = int(year.min()), int(year.max() - year.min()) + 1
    counts = _count(sel.platform()[known], year - first, (len(sel.codes.keys.platforms), span))
    platforms = np.flatnonzero(counts.sum(axis=1))
    return _table(platform=np.repeat(sel.names(platforms), span),
                  release_year=np.tile(np.arange(first, first + span), len(platforms)),
                  titles=counts[platforms].ravel())


def _by_code(codes: np.ndarray, values: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(code, its values in their order) for each code present, in code order."""
    order = np.argsort(codes, kind="stable")
    present, starts = np.unique(codes[order], return_index=True)
    return list(zip(present.tolist(), np.split(values[order], starts[1:])))


def movie_minutes(titles: pd.DataFrame | Selection) -> Table:
    """Per platform, box statistics of movie runtimes in minutes (whiskers: 5th and 95th percentiles)."""
    sel = _selection(titles)
    minutes = sel.codes.minutes[sel.mask]
    movies = ~np.isnan(minutes)
    table = _empty("platform", "movies", "low", "q1", "median", "q3", "high", "mean")
    for platform, values in _by_code(sel.platform()[movies], minutes[movies]):
        stats = np.percentile(values, [5, 25, 50, 75, 95]).tolist()
        row = [sel.codes.keys.platforms[platform], len(values), *stats, round(float(values.mean()), 1)]
        for column, value in zip(table.values(), row):
            column.append(value)
    return table


def show_seasons(titles: pd.DataFrame | Selection, cap: int = SEASON_CAP) -> Table:
    """Shows per number of seasons (cap and more in one bin) and platform, with each bin's share of the platform (%)."""
    sel = _selection(titles)
    seasons = sel.codes.seasons[sel.mask]
    shows = seasons >= 0
    if not shows.any():
        return _empty("platform", "seasons", "shows", "share", "label")
    seasons = np.minimum(seasons[shows], cap)
    counts = _count(sel.platform()[shows], seasons, (len(sel.codes.keys.platforms), int(seasons.max()) + 1))
    platform, season = np.nonzero(counts)
    return _table(platform=sel.names(platform), seasons=season, shows=counts[platform, season],
                  share=_share(counts[platform, season], counts.sum(axis=1)[platform]),
                  label=[str(s) if s < cap else f"{cap}+" for s in season.tolist()])


def audience_of(ratings: pd.Series) -> pd.Series:
    """The audience band of maturity-rating codes ('tv-ma' -> 'adults'; unknown -> 'unrated')."""
    return ratings.map(AUDIENCE_OF_RATING).fillna("unrated").astype(str)


def audience_codes() -> dict[str, list[str]]:
    """The maturity-rating codes of each audience band ('unrated' also takes every unknown code)."""
    codes: dict[str, list[str]] = {band: [] for band in AUDIENCES}
    for code, band in AUDIENCE_OF_RATING.items():
        codes[band].append(code)
    codes["unrated"] = ["nr", "tv-nr", "unrated", "ur", "other codes"]
    return codes


def maturity_mix(titles: pd.DataFrame | Selection) -> Table:
    """Titles per platform and audience band, with each band's share of the platform (%), youngest band first."""
    sel = _selection(titles)
    audience = sel.codes.audience[sel.mask]
    rated = audience >= 0
    counts = _count(sel.platform()[rated], audience[rated], (len(sel.codes.keys.platforms), len(AUDIENCES)))
    platform, band = np.nonzero(counts)
    return _table(platform=sel.names(platform), audience=[AUDIENCES[b] for b in band], titles=counts[platform, band],
                  share=_share(counts[platform, band], counts.sum(axis=1)[platform]))


def _exploded(titles: pd.DataFrame, column: str) -> pd.DataFrame:
    """One row per title and distinct value of a comma-separated list column: row (title position), platform, value."""
    text = pa.array(titles[column], type=pa.string(), from_pandas=True)
    if isinstance(text, pa.ChunkedArray):  # Arrow-backed columns may come in several chunks
        text = text.combine_chunks()
    lists = pc.split_pattern(text, ",")
    values = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    keep = pc.greater(pc.utf8_length(values), 0)
    rows = pc.list_parent_indices(lists).filter(keep).to_numpy().astype("int64")
    encoded = pc.dictionary_encode(values.filter(keep))
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype("int64")
    size = max(len(encoded.dictionary), 1)
    unique = np.unique(rows * size + codes)  # one row per (title, value), in title order
    rows, codes = unique // size, unique % size
    categories = pd.Index(encoded.dictionary.to_pylist(), dtype="str")
    return pd.DataFrame({"row": rows, "platform": titles["platform"].to_numpy()[rows],
                         column: pd.Categorical.from_codes(codes, categories=categories)})


def _memo(frame: pd.DataFrame, name: str, compute: Callable[[pd.DataFrame], T]) -> T:
    """compute(frame), kept while the frame lives (catalogue frames are read-only)."""
    key = (id(frame), name)
    if key not in _MEMO:
        _MEMO[key] = compute(frame)
        weakref.finalize(frame, _MEMO.pop, key, None)
    return _MEMO[key]


def _pair_counts(sel: Selection, pairs: Pairs) -> np.ndarray:
    """Platforms x values: how many kept titles of each platform list each value."""
    kept = sel.mask[pairs.row]
    platform = sel.codes.keys.platform[pairs.row[kept]]
    return _count(platform, pairs.code[kept], (len(sel.codes.keys.platforms), len(pairs.names)))


def _by_name(sel: Selection, codes: np.ndarray) -> list[int]:
    """Platform codes ordered by platform name."""
    return sorted(codes.tolist(), key=lambda c: sel.codes.keys.platforms[c])


def top_genres(titles: pd.DataFrame | Selection, per_platform: int = 6) -> Table:
    """Share of each platform's titles (%) in the union of every platform's top genres, most common first."""
    sel = _selection(titles)
    counts = _pair_counts(sel, sel.codes.genres)
    chosen: set[int] = set()
    for row in counts:  # ties: the alphabetically first genre (codes are in name order)
        present = np.flatnonzero(row)
        chosen.update(present[np.lexsort((present, -row[present]))][:per_platform].tolist())
    totals = counts.sum(axis=0)
    ranked = sorted(chosen, key=lambda g: (-totals[g], g))
    per = np.bincount(sel.platform(), minlength=len(counts))
    rows = [(sel.codes.genres.names[g], sel.codes.keys.platforms[p], int(counts[p, g]))
            for g in ranked for p in _by_name(sel, np.flatnonzero(counts[:, g]))]
    shares = [float(_share(n, per[sel.codes.keys.platforms.index(p)])) for _, p, n in rows]
    return {**_columns(rows, ["genre", "platform", "titles"]), "share": shares}


def _columns(rows: list[tuple], names: list[str]) -> Table:
    """A Table of rows given as tuples."""
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


def top_countries(titles: pd.DataFrame | Selection, n: int = 10) -> Table:
    """Titles per platform in the n countries with most titles, most first; co-productions count for each country."""
    sel = _selection(titles)
    counts = _pair_counts(sel, sel.codes.countries)
    totals = counts.sum(axis=0)
    chosen = sorted(np.flatnonzero(totals).tolist(), key=lambda c: (-totals[c], c))[:n]
    rows = [(sel.codes.countries.names[c], sel.codes.keys.platforms[p], int(counts[p, c]))
            for c in chosen for p in _by_name(sel, np.flatnonzero(counts[:, c]))]
    return _columns(rows, ["country", "platform", "titles"])


def known_country_share(titles: pd.DataFrame | Selection) -> float | None:
    """Share of titles (%) with a known country; None without titles."""
    sel = _selection(titles)
    if not sel.mask.any():
        return None
    return round(100 * float(sel.codes.country_known[sel.mask].mean()), 2)


def score_distribution(titles: pd.DataFrame | Selection, width: float = SCORE_BIN) -> Table:
    """Rated titles per score bin [start, start+width) and platform, with each bin's share of the platform (%)."""
    sel = _selection(titles)
    score = sel.codes.score[sel.mask]
    rated = ~np.isnan(score)
    if not rated.any():
        return _empty("platform", "start", "end", "mid", "titles", "share")
    starts, bins = np.unique(np.round(np.floor(score[rated] / width) * width, 4), return_inverse=True)
    counts = _count(sel.platform()[rated], bins, (len(sel.codes.keys.platforms), len(starts)))
    platform, cell = np.nonzero(counts)
    start = starts[cell]
    return _table(platform=sel.names(platform), start=start, end=np.round(start + width, 4),
                  mid=np.round(start + width / 2, 4), titles=counts[platform, cell],
                  share=_share(counts[platform, cell], counts.sum(axis=1)[platform]))


def mean_scores(titles: pd.DataFrame | Selection) -> Table:
    """Per platform: rated titles, mean and median title score."""
    sel = _selection(titles)
    score = sel.codes.score[sel.mask]
    rated = ~np.isnan(score)
    groups = _by_code(sel.platform()[rated], score[rated])
    return _table(platform=[sel.codes.keys.platforms[p] for p, _ in groups], titles=[len(v) for _, v in groups],
                  mean=[round(float(v.mean()), 4) for _, v in groups],
                  median=[round(float(np.median(v)), 4) for _, v in groups])


@dataclass(frozen=True)
class Monthly:
    """Ratings and their sum per run of an activity frame and month (runs x months matrices)."""

    months: tuple[str, ...]
    ratings: np.ndarray
    sums: np.ndarray


def _monthly(activity: pd.DataFrame) -> Monthly:
    """Monthly of an activity frame."""
    runs = _runs(activity)
    month, months = pd.factorize(activity["month"], sort=True)
    run = np.repeat(np.arange(len(runs.starts)), runs.lengths)
    shape = (len(runs.starts), len(months))
    flat = run * shape[1] + month
    ratings = np.bincount(flat, weights=activity["n_ratings"].to_numpy(np.float64), minlength=shape[0] * shape[1])
    sums = np.bincount(flat, weights=activity["rating_sum"].to_numpy(np.float64), minlength=shape[0] * shape[1])
    return Monthly(tuple(months.tolist()), ratings.reshape(shape), sums.reshape(shape))


def rating_activity(activity: pd.DataFrame, filters: Filters) -> Table:
    """Ratings of the kept titles per month and platform, with their mean (month as YYYY-MM), oldest first."""
    keys, monthly = _runs(activity).keys, _memo(activity, "months", _monthly)
    kept = keys.kept(filters)
    pick = np.zeros((len(keys.platforms), len(kept)))
    pick[keys.platform[kept], np.flatnonzero(kept)] = 1.0
    ratings, sums = (pick @ monthly.ratings).T, (pick @ monthly.sums).T  # months x platforms
    month, platform = np.nonzero(ratings)
    return _table(month=[monthly.months[m] for m in month.tolist()],
                  platform=[keys.platforms[p] for p in platform.tolist()],
                  ratings=ratings[month, platform].astype(np.int64),
                  mean_rating=sums[month, platform] / ratings[month, platform])


def title_rating_activity(titles: Selection, ratings: TitleRatings) -> Table:
    """rating_activity of any selection of titles (a genre filter cuts across segments), from the ratings per title."""
    keys = titles.codes.keys
    kept = np.flatnonzero(titles.mask)
    pick = sp.csr_matrix((np.ones(len(kept), np.float32), (keys.platform[kept], kept)),
                         shape=(len(keys.platforms), len(titles.mask)))
    counts, sums = ratings.monthly(pick)
    counts, sums = counts.T.astype(np.float64), sums.T.astype(np.float64)  # months x platforms
    month, platform = np.nonzero(counts)
    return _table(month=[str(ratings.months[m]) for m in month.tolist()],
                  platform=[keys.platforms[p] for p in platform.tolist()],
                  ratings=np.rint(counts[month, platform]).astype(np.int64),
                  mean_rating=sums[month, platform] / counts[month, platform])


def kept_user_totals(titles: Selection, filters: Filters, user_segments: pd.DataFrame,
                     ratings: TitleRatings | None) -> np.ndarray:
    """user_totals of the kept titles: from the per-segment sums, or from the ratings per title when a genre
    filter keeps titles across segments (`ratings` is then required)."""
    if not filters.genres:
        return user_totals(user_segments, filters)
    return _read_only(_per_title(ratings).user_totals(titles.mask))


def kept_rating_activity(titles: Selection, filters: Filters, activity: pd.DataFrame,
                         ratings: TitleRatings | None) -> Table:
    """rating_activity of the kept titles, from the per-segment sums or (genre filter) the ratings per title."""
    if not filters.genres:
        return rating_activity(activity, filters)
    return title_rating_activity(titles, _per_title(ratings))


def _per_title(ratings: TitleRatings | None) -> TitleRatings:
    """The ratings per title a genre filter needs; ValueError without them (a caller's mistake)."""
    if ratings is None:
        raise ValueError("a genre filter needs the ratings per title (core.title_ratings)")
    return ratings


def ratings_per_user(user_counts: np.ndarray, edges: tuple[int, ...] = USER_BINS) -> Table:
    """Users per bin of their rating count [low, next low), with the bins' share of users and of all ratings (%).

    user_counts: each user's number of ratings (e.g. user_totals); users with none are not counted.
    """
    counts = np.asarray(user_counts, dtype="int64")
    counts = counts[counts > 0]
    users = np.bincount(counts)  # users per rating count
    cut = np.clip(np.asarray([*edges, len(users)]), 0, len(users))
    per_users = np.diff(np.concatenate([[0], np.cumsum(users)])[cut]).astype(np.int64)
    per_ratings = np.diff(np.concatenate([[0], np.cumsum(users * np.arange(len(users)))])[cut]).astype(np.int64)
    keep = np.flatnonzero((per_users > 0) & (np.asarray(edges) >= 0)).tolist()
    highs = [*edges[1:], None]
    low, high = [edges[i] for i in keep], [highs[i] for i in keep]
    return _table(low=low, high=high, users=per_users[keep], ratings=per_ratings[keep],
                  label=[f"{lo:,}+" if hi is None else f"{lo:,}" if hi == lo + 1 else f"{lo:,}–{hi - 1:,}"
                         for lo, hi in zip(low, high)],
                  user_share=np.round(100 * per_users[keep] / max(len(counts), 1), 2),
                  rating_share=np.round(100 * per_ratings[keep] / max(int(counts.sum()), 1), 2))


def top_user_share(user_counts: np.ndarray, fraction: float = 0.1) -> float | None:
    """Share of all ratings (%) given by the most active `fraction` of users; None without ratings."""
    counts = np.asarray(user_counts, dtype="int64")
    if not len(counts) or counts.sum() == 0:
        return None
    top = max(1, int(round(fraction * len(counts))))
    return round(100 * float(np.partition(counts, len(counts) - top)[len(counts) - top:].sum() / counts.sum()), 2)


TOP_COLUMNS = ["id", "title", "platform", "type", "release_year", "score", "n_ratings", "genres", "listed_in"]


def top_titles(titles: pd.DataFrame, n: int = 20, min_ratings: int = 100,
               kept: np.ndarray | None = None) -> pd.DataFrame:
    """The n best-scored titles with at least min_ratings ratings (ties: more ratings, then title), among the kept
    rows (a mask, e.g. select(...).mask) or all of them. Ranked on numpy arrays: only the n rows shown are taken
    from the frame (taking every kept row of its text columns cost most of the call)."""
    score = titles["score"].to_numpy(np.float64, na_value=np.nan)
    counts = titles["n_ratings"].to_numpy(np.int64)
    rated = ~np.isnan(score) & (counts >= min_ratings)
    candidates = np.flatnonzero(rated if kept is None else rated & kept)
    if n > 0 and len(candidates) > n:  # the n-th best score and every title tied with it
        cut = np.partition(score[candidates], len(candidates) - n)[len(candidates) - n]
        candidates = candidates[score[candidates] >= cut]
    names = titles["title"].iloc[candidates].to_numpy(dtype=object).astype(str)
    order = candidates[np.lexsort((names, -counts[candidates], -score[candidates]))][:max(n, 0)]
    out = titles.iloc[order][TOP_COLUMNS].reset_index(drop=True)
    out["score"] = out["score"].astype("float64").round(3)
    return out
