"""Exploratory aggregations behind the Explore panel: global filters, headline numbers and one table per chart.

Every function is pure pandas/numpy over the processed frames of a ``Catalog`` (see ``core.etl``): ``titles``
for everything about the catalogues, ``user_segments`` for the ratings-per-user long tail and ``activity`` for
ratings over time; the 11M ratings are never read. Outputs keep the data's lower-case values (the UI title-cases
them) and are small: a few hundred rows at most, ready to plot.

The filters (platforms, content type, release-year range) apply to every output: ``user_segments`` and
``activity`` sum the ratings per segment (platform, type, release year) of the rated titles, the very columns
the filters select titles by, so a user's total under the filters is the sum of their kept segments.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Callable, TypedDict, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.config import PLATFORMS
from core.etl import SEGMENT_COLUMNS
from core.errors import InvalidQuery
from core.queries import parse_content_type, parse_platform

T = TypeVar("T")
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
                          "duration_type", "listed_in", "score", "n_ratings"]
SCORE_BIN = 0.25  # width of the score histogram bins (scores are means of 0.5-5 ratings)


# ---------------------------------------------------------------------------------------------- filters
@dataclass(frozen=True)
class Filters:
    """The global filter bar: platforms (empty: nothing matches), content type, inclusive release-year range."""

    platforms: tuple[str, ...] = PLATFORMS
    content_type: str = "all"
    years: tuple[int, int] | None = None

    def is_default(self) -> bool:
        """True when the filters keep every title."""
        return set(self.platforms) == set(PLATFORMS) and self.content_type == "all" and self.years is None


def year_bounds(titles: pd.DataFrame) -> tuple[int, int]:
    """The smallest and largest release year of the catalogue."""
    years = titles["release_year"].dropna()
    if years.empty:
        return (1900, 2030)
    return int(years.min()), int(years.max())


def make_filters(platforms: object, content_type: object, years: object,
                 bounds: tuple[int, int]) -> Filters:
    """Filters from widget values; InvalidQuery with a message a user can act on for impossible values."""
    if platforms is None:
        platforms = []
    if isinstance(platforms, str) or not isinstance(platforms, (list, tuple)):
        raise InvalidQuery("platforms must be a list of platform names")
    chosen = {parse_platform(p) for p in platforms}
    kind = "all" if content_type is None or content_type == "" else parse_content_type(content_type)
    return Filters(platforms=tuple(p for p in PLATFORMS if p in chosen), content_type=kind,
                   years=make_year_range(years, bounds))


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
    """Which rows of a frame with platform, type and release_year columns the filters keep (a boolean mask)."""
    mask = frame["platform"].isin(list(filters.platforms)).to_numpy(dtype=bool)
    if filters.content_type != "all":
        mask = mask & (frame["type"] == filters.content_type).to_numpy(dtype=bool)
    if filters.years is not None:
        mask = mask & frame["release_year"].between(*filters.years).fillna(False).to_numpy(dtype=bool)
    return mask


def kept_segment_rows(frame: pd.DataFrame, filters: Filters) -> np.ndarray:
    """kept_rows of a large frame sorted by segment (see core.etl), decided once per run of rows in one segment."""
    runs, lengths = _memo(frame, "segment_runs", _segment_runs)
    return np.repeat(kept_rows(runs, filters), lengths)


def _segment_runs(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The runs of consecutive rows with equal platform, type and release_year: their values and lengths."""
    codes = [pd.factorize(frame[column], use_na_sentinel=False)[0] for column in SEGMENT_COLUMNS]
    changed = np.zeros(len(frame), dtype=bool)
    changed[:1] = True
    for column in codes:
        changed[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(changed)
    return frame[SEGMENT_COLUMNS].iloc[starts].reset_index(drop=True), np.diff(np.append(starts, len(frame)))


def prepare(titles: pd.DataFrame, *summaries: pd.DataFrame) -> None:
    """Build the memoised indexes now (app start), not on a user's first request: the catalogue's genre and country
    lists split once, and the segment runs of the summary frames (user_segments, activity)."""
    for column in ("listed_in", "country"):
        _catalogue_pairs(titles, column)
    for frame in summaries:
        _memo(frame, "segment_runs", _segment_runs)


def filter_titles(titles: pd.DataFrame, filters: Filters, columns: list[str] | None = None) -> pd.DataFrame:
    """The titles the filters keep (only `columns` when given; the frame itself when it keeps everything)."""
    mask = kept_rows(titles, filters)
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


def user_totals(user_segments: pd.DataFrame, filters: Filters) -> np.ndarray:
    """How many of the kept titles each user rated, for every user who rated one (in no particular order)."""
    if filters.is_default():  # the first page and every reset: computed once
        return _memo(user_segments, "user_totals", lambda frame: _totals(frame, None))
    return _totals(user_segments, kept_segment_rows(user_segments, filters))


def _totals(user_segments: pd.DataFrame, mask: np.ndarray | None) -> np.ndarray:
    """user_totals over the rows of a mask (None: every row); read-only."""
    rows = user_segments["user_row"].to_numpy()
    counts = user_segments["n_ratings"].to_numpy()
    if mask is not None:
        rows, counts = rows[mask], counts[mask]
    per_user = np.bincount(rows, weights=counts)  # user_row numbers the users densely: a short array
    totals = per_user[per_user > 0].astype(np.int64)
    totals.flags.writeable = False
    return totals


def headline(titles: pd.DataFrame, user_counts: np.ndarray) -> Headline:
    """Titles, ratings and mean score of (filtered) titles; users: the user_totals of the same filters."""
    scores = titles["score"].dropna()
    return Headline(titles=int(len(titles)), users=int(len(user_counts)), ratings=int(titles["n_ratings"].sum()),
                    mean_score=round(float(scores.mean()), 4) if len(scores) else None,
                    rated_titles=int(len(scores)))


# ---------------------------------------------------------------------------------------------- charts
def titles_by_platform_type(titles: pd.DataFrame) -> pd.DataFrame:
    """Titles per platform and type, with each count's share of its platform (%)."""
    counts = titles.groupby(["platform", "type"], observed=True).size().rename("titles").reset_index()
    totals = counts.groupby("platform")["titles"].transform("sum")
    counts["share"] = (100 * counts["titles"] / totals).round(2)
    return _by_platform(counts, ["type"])


def releases_per_year(titles: pd.DataFrame) -> pd.DataFrame:
    """Titles per release year and platform, every year from the first to the last release (zeros included)."""
    frame = titles.dropna(subset=["release_year"])
    if frame.empty:
        return pd.DataFrame({"platform": pd.Series(dtype="str"), "release_year": pd.Series(dtype="int64"),
                             "titles": pd.Series(dtype="int64")})
    counts = frame.groupby(["platform", frame["release_year"].astype("int64")], observed=True).size()
    years = range(int(frame["release_year"].min()), int(frame["release_year"].max()) + 1)
    grid = pd.MultiIndex.from_product([sorted(frame["platform"].unique()), years], names=["platform", "release_year"])
    counts = counts.reindex(grid, fill_value=0).rename("titles").reset_index()
    return _by_platform(counts, ["release_year"])


def movie_minutes(titles: pd.DataFrame) -> pd.DataFrame:
    """Per platform, box statistics of movie runtimes in minutes (whiskers: 5th and 95th percentiles)."""
    movies = titles[(titles["type"] == "movie") & (titles["duration_type"] == "min")].dropna(subset=["duration_int"])
    rows = []
    for platform, minutes in movies.groupby("platform")["duration_int"]:
        values = minutes.to_numpy(dtype="float64")
        low, q1, median, q3, high = np.percentile(values, [5, 25, 50, 75, 95])
        rows.append({"platform": platform, "movies": len(values), "low": low, "q1": q1, "median": median,
                     "q3": q3, "high": high, "mean": round(float(values.mean()), 1)})
    columns = ["platform", "movies", "low", "q1", "median", "q3", "high", "mean"]
    return _by_platform(pd.DataFrame(rows, columns=columns), []) if rows else pd.DataFrame(columns=columns)


def show_seasons(titles: pd.DataFrame, cap: int = SEASON_CAP) -> pd.DataFrame:
    """Shows per number of seasons (cap and more in one bin) and platform, with each bin's share of the platform (%)."""
    shows = titles[(titles["type"] == "tv show") & (titles["duration_type"] == "season")]
    shows = shows.dropna(subset=["duration_int"])
    if shows.empty:
        return pd.DataFrame(columns=["platform", "seasons", "shows", "share", "label"])
    seasons = shows["duration_int"].astype("int64").clip(upper=cap)
    counts = (pd.DataFrame({"platform": shows["platform"].to_numpy(), "seasons": seasons.to_numpy()})
              .groupby(["platform", "seasons"]).size().rename("shows").reset_index())
    counts["share"] = (100 * counts["shows"] / counts.groupby("platform")["shows"].transform("sum")).round(2)
    counts["label"] = counts["seasons"].astype(str).where(counts["seasons"] < cap, f"{cap}+")
    return _by_platform(counts, ["seasons"])


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


def maturity_mix(titles: pd.DataFrame) -> pd.DataFrame:
    """Titles per platform and audience band, with each band's share of the platform (%), youngest band first."""
    codes = titles.groupby(["platform", "rating"], observed=True).size().rename("titles").reset_index()
    codes["audience"] = audience_of(codes["rating"])
    mix = codes.groupby(["platform", "audience"])["titles"].sum().reset_index()
    mix["share"] = (100 * mix["titles"] / mix.groupby("platform")["titles"].transform("sum")).round(2)
    mix["order"] = mix["audience"].map({name: i for i, name in enumerate(AUDIENCES)})
    return _by_platform(mix, ["order"]).drop(columns="order")


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


def _pairs(titles: pd.DataFrame, column: str, catalogue: pd.DataFrame | None) -> pd.DataFrame:
    """_exploded(titles, column), cut from the catalogue's memoised pairs when titles were filtered from it."""
    if catalogue is None:
        return _exploded(titles, column)
    full = _catalogue_pairs(catalogue, column)
    if titles is catalogue:
        return full
    kept = np.zeros(len(catalogue), dtype=bool)
    kept[catalogue.index.get_indexer(titles.index)] = True
    return full[kept[full["row"].to_numpy()]]


def _catalogue_pairs(catalogue: pd.DataFrame, column: str) -> pd.DataFrame:
    """_exploded(catalogue, column), split once per catalogue."""
    return _memo(catalogue, f"pairs:{column}", lambda frame: _exploded(frame, column))


def top_genres(titles: pd.DataFrame, per_platform: int = 6, catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """Share of each platform's titles (%) in the union of every platform's top genres, most common first.

    catalogue: the unfiltered titles that `titles` was filtered from (same index); its genre lists are split once.
    """
    pairs = _pairs(titles, "listed_in", catalogue).rename(columns={"listed_in": "genre"})
    if pairs.empty:
        return pd.DataFrame(columns=["genre", "platform", "titles", "share"])
    counts = pairs.groupby(["platform", "genre"], observed=True).size().rename("titles").reset_index()
    counts["genre"] = counts["genre"].astype("str")
    counts = counts.sort_values(["platform", "titles", "genre"], ascending=[True, False, True])
    chosen = set(counts.groupby("platform").head(per_platform)["genre"])
    order = counts[counts["genre"].isin(chosen)].groupby("genre")["titles"].sum().sort_values(ascending=False)
    per = titles.groupby("platform").size()
    counts = counts[counts["genre"].isin(chosen)].copy()
    counts["share"] = (100 * counts["titles"] / counts["platform"].map(per)).round(2)
    counts["rank"] = counts["genre"].map({g: i for i, g in enumerate(sorted(order.index, key=lambda g: (-order[g], g)))})
    return counts.sort_values(["rank", "platform"]).drop(columns="rank").reset_index(drop=True)[
        ["genre", "platform", "titles", "share"]]


def top_countries(titles: pd.DataFrame, n: int = 10, catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """Titles per platform in the n countries with most titles, most first; co-productions count for each country.

    catalogue: as for top_genres.
    """
    pairs = _pairs(titles, "country", catalogue)
    if pairs.empty:
        return pd.DataFrame(columns=["country", "platform", "titles"])
    counts = pairs.groupby(["country", "platform"], observed=True).size().rename("titles").reset_index()
    counts["country"] = counts["country"].astype("str")
    totals = counts.groupby("country")["titles"].sum()
    chosen = sorted(totals.index, key=lambda c: (-totals[c], c))[:n]
    counts = counts[counts["country"].isin(chosen)].copy()
    counts["rank"] = counts["country"].map({c: i for i, c in enumerate(chosen)})
    return counts.sort_values(["rank", "platform"]).drop(columns="rank").reset_index(drop=True)


def known_country_share(titles: pd.DataFrame) -> float | None:
    """Share of titles (%) with a known country; None without titles."""
    if not len(titles):
        return None
    return round(100 * float(titles["country"].fillna("").str.len().gt(0).mean()), 2)


def score_distribution(titles: pd.DataFrame, width: float = SCORE_BIN) -> pd.DataFrame:
    """Rated titles per score bin [start, start+width) and platform, with each bin's share of the platform (%)."""
    rated = titles.dropna(subset=["score"])
    if rated.empty:
        return pd.DataFrame(columns=["platform", "start", "end", "mid", "titles", "share"])
    start = np.floor(rated["score"].to_numpy(dtype="float64") / width) * width
    counts = (pd.DataFrame({"platform": rated["platform"].to_numpy(), "start": np.round(start, 4)})
              .groupby(["platform", "start"]).size().rename("titles").reset_index())
    counts["end"] = (counts["start"] + width).round(4)
    counts["mid"] = (counts["start"] + width / 2).round(4)
    counts["share"] = (100 * counts["titles"] / counts.groupby("platform")["titles"].transform("sum")).round(2)
    return _by_platform(counts, ["start"])[["platform", "start", "end", "mid", "titles", "share"]]


def mean_scores(titles: pd.DataFrame) -> pd.DataFrame:
    """Per platform: rated titles, mean and median title score."""
    rated = titles.dropna(subset=["score"])
    grouped = rated.groupby("platform")["score"]
    stats = pd.DataFrame({"titles": grouped.size(), "mean": grouped.mean().round(4),
                          "median": grouped.median().round(4)})
    return _by_platform(stats.rename_axis("platform").reset_index(), [])


def rating_activity(activity: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Ratings of the kept titles per month and platform, with their mean (month as YYYY-MM), oldest first."""
    kept = activity[kept_segment_rows(activity, filters)]
    sums = kept.groupby(["month", "platform"], observed=True)[["n_ratings", "rating_sum"]].sum().reset_index()
    out = sums.rename(columns={"n_ratings": "ratings"}).astype({"platform": "str", "ratings": "int64"})
    out["mean_rating"] = out.pop("rating_sum") / out["ratings"]
    return _by_platform(out, []).sort_values(["month"], kind="stable").reset_index(drop=True)


def ratings_per_user(user_counts: np.ndarray, edges: tuple[int, ...] = USER_BINS) -> pd.DataFrame:
    """Users per bin of their rating count [low, next low), with the bins' share of users and of all ratings (%).

    user_counts: each user's number of ratings (e.g. user_totals); users with none are not counted.
    """
    counts = np.asarray(user_counts, dtype="int64")
    counts = counts[counts > 0]
    bins = np.searchsorted(np.asarray(edges), counts, side="right") - 1
    binned = bins >= 0  # counts below the first edge are in no bin
    highs = [*edges[1:], None]
    frame = pd.DataFrame({
        "low": list(edges), "high": pd.array(highs, dtype="Int64"),
        "users": np.bincount(bins[binned], minlength=len(edges)),
        "ratings": np.bincount(bins[binned], weights=counts[binned], minlength=len(edges)).astype("int64")})
    frame["label"] = [f"{lo:,}+" if hi is None else f"{lo:,}" if hi == lo + 1 else f"{lo:,}–{hi - 1:,}"
                      for lo, hi in zip(edges, highs)]
    frame["user_share"] = (100 * frame["users"] / max(len(counts), 1)).round(2)
    frame["rating_share"] = (100 * frame["ratings"] / max(int(counts.sum()), 1)).round(2)
    return frame[(frame["users"] > 0) & (frame["low"] >= 0)].reset_index(drop=True)


def top_user_share(user_counts: np.ndarray, fraction: float = 0.1) -> float | None:
    """Share of all ratings (%) given by the most active `fraction` of users; None without ratings."""
    counts = np.sort(np.asarray(user_counts, dtype="int64"))[::-1]
    if not len(counts) or counts.sum() == 0:
        return None
    top = max(1, int(round(fraction * len(counts))))
    return round(100 * float(counts[:top].sum() / counts.sum()), 2)


def top_titles(titles: pd.DataFrame, n: int = 20, min_ratings: int = 100) -> pd.DataFrame:
    """The n best-scored titles with at least min_ratings ratings (ties: more ratings, then title)."""
    rated = titles[titles["score"].notna() & (titles["n_ratings"] >= min_ratings)]
    columns = ["title", "platform", "type", "release_year", "score", "n_ratings", "listed_in"]
    candidates = rated.nlargest(n, "score", keep="all") if n > 0 else rated.iloc[0:0]
    ranked = candidates.sort_values(["score", "n_ratings", "title"], ascending=[False, False, True]).head(n)
    out = ranked[columns].reset_index(drop=True)
    out["score"] = out["score"].astype("float64").round(3)
    return out


def _by_platform(frame: pd.DataFrame, then: list[str]) -> pd.DataFrame:
    """Rows in platform order (amazon, disney, hulu, netflix), then by the given columns."""
    order = frame["platform"].map({p: i for i, p in enumerate(PLATFORMS)})
    return (frame.assign(_order=order).sort_values(["_order", *then]).drop(columns="_order")
            .reset_index(drop=True))
