"""The ratings summed per title: what a filter that is not a segment (genres) and the title page need.

`core.eda` answers the platform/type/year filters from rating counts per segment. A genre filter cuts across
segments, so it needs the ratings per title instead: `TitleRatings` holds each rating's title in user order (so a
user's total over any set of titles is one sparse product), every title's ratings per month (rating activity)
and per star value (for the title page's distribution). It is built once per data version from ratings.parquet
(streamed one row group at a time) and saved beside it as an .npz file, so later processes load it in
milliseconds; an unreadable file is rebuilt, an unwritable folder only costs the rebuild in every process.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
import weakref
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import scipy.sparse as sp

from core.errors import DataError
from core.locks import file_lock

FILE_NAME = "title-ratings-v1.npz"
SAVED = ("title", "user_starts", "months", "monthly_count", "monthly_sum", "stars")
STARS: tuple[float, ...] = tuple(k / 2 for k in range(1, 11))  # rating values 0.5 ... 5, each a bin
log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_MEMO: dict[int, "TitleRatings"] = {}


@dataclass(frozen=True)
class TitleRatings:
    """Which titles each user rated, and per title the ratings per month and per star value."""

    by_user: sp.csr_matrix  # users (users.parquet order) x titles, 1.0 where the user rated the title
    months: np.ndarray  # 'YYYY-MM' of each column of the monthly matrices, ascending
    monthly_count: np.ndarray  # titles x months, float32
    monthly_sum: np.ndarray  # titles x months, float32: sum of the ratings
    stars: np.ndarray  # titles x len(STARS), int32: ratings rounded to the nearest half star

    def user_totals(self, kept: np.ndarray) -> np.ndarray:
        """How many of the kept titles (a mask over titles) each user rated, for every user who rated one."""
        totals = self.by_user @ np.asarray(kept, dtype=np.float32)  # whole numbers far below 2**24: exact
        return np.rint(totals[totals > 0.5]).astype(np.int64)

    def monthly(self, weights: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """(ratings, rating sums) per row of a sparse weights matrix (rows x titles) and month."""
        return np.asarray(weights @ self.monthly_count), np.asarray(weights @ self.monthly_sum)


def _by_user(title: np.ndarray, user_starts: np.ndarray, n_titles: int) -> sp.csr_matrix:
    """The users x titles matrix of each user's rated titles (int32 indices: no copy of the 11M of them)."""
    index = np.int32 if len(title) < 2**31 else np.int64
    return sp.csr_matrix((np.ones(len(title), np.float32), title.astype(index, copy=False),
                          user_starts.astype(index, copy=False)), shape=(len(user_starts) - 1, n_titles))


def _month_numbers(months: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of 'YYYY-MM' texts."""
    return np.asarray(months, dtype="datetime64[M]").astype(np.int64)


def build(ratings_path: Path, title_ids: pd.Index, n_users_ratings: np.ndarray, months: np.ndarray) -> TitleRatings:
    """TitleRatings from a ratings.parquet (user_id, id, rating, timestamp; sorted by user), the users' rating
    counts and every month that has ratings ('YYYY-MM', ascending)."""
    n_titles, n_months = len(title_ids), len(months)
    numbers = _month_numbers(months)
    parts, users = [], []
    counts = np.zeros(n_titles * n_months, dtype=np.float64)
    sums = np.zeros(n_titles * n_months, dtype=np.float64)
    stars = np.zeros(n_titles * len(STARS), dtype=np.int64)
    columns = ["user_id", "id", "rating", "timestamp"]
    for batch in pq.ParquetFile(ratings_path).iter_batches(batch_size=1_000_000, columns=columns):
        title = _title_rows(batch.column("id"), title_ids)
        rating = batch.column("rating").to_numpy(zero_copy_only=False).astype(np.float64)
        stamp = batch.column("timestamp").to_numpy(zero_copy_only=False).astype("datetime64[s]")
        month = np.searchsorted(numbers, stamp.astype("datetime64[M]").astype(np.int64))
        cell = title * n_months + np.minimum(month, max(n_months - 1, 0))
        counts += np.bincount(cell, minlength=len(counts))
        sums += np.bincount(cell, weights=rating, minlength=len(sums))
        star = np.clip(np.rint(rating * 2).astype(np.int64), 1, len(STARS)) - 1
        stars += np.bincount(title * len(STARS) + star, minlength=len(stars))
        parts.append(title.astype(np.int32))
        users.append(batch.column("user_id").to_numpy(zero_copy_only=False))
    title = np.concatenate(parts) if parts else np.zeros(0, np.int32)
    user = np.concatenate(users) if users else np.zeros(0, np.int32)
    if len(user) and (np.diff(user) < 0).any():  # the ETL sorts by user; anything else is sorted here
        title = title[np.argsort(user, kind="stable")]
    starts = np.concatenate([[0], np.cumsum(n_users_ratings, dtype=np.int64)])
    if starts[-1] != len(title):
        raise ValueError(f"{ratings_path}: {len(title):,} ratings, the users' counts add up to {starts[-1]:,}")
    shape = (n_titles, n_months)
    return TitleRatings(_by_user(title, starts, n_titles), np.asarray(months, dtype="U7"),
                        counts.reshape(shape).astype(np.float32), sums.reshape(shape).astype(np.float32),
                        stars.reshape(n_titles, len(STARS)).astype(np.int32))


def _title_rows(ids: pa.Array, title_ids: pd.Index) -> np.ndarray:
    """The title row of each rating's id (dictionary-encoded, as the ETL writes it, or plain text)."""
    if pa.types.is_dictionary(ids.type):
        rows = title_ids.get_indexer(ids.dictionary.to_numpy(zero_copy_only=False))
        found = rows[ids.indices.to_numpy(zero_copy_only=False)]
    else:
        found = pc.index_in(ids, value_set=pa.array(title_ids.to_numpy(), pa.string())).to_numpy(
            zero_copy_only=False)
        found = np.where(pd.isna(found), -1, found).astype(np.int64)
    if (found < 0).any():
        raise ValueError("a rating names a title id that is not in the titles")
    return found.astype(np.int64)


# ---------------------------------------------------------------------------------------------- saved copy
def save(index: TitleRatings, path: Path) -> None:
    """Write the index atomically (temp file, then rename)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as handle:
            np.savez(handle, title=index.by_user.indices, user_starts=index.by_user.indptr, months=index.months,
                     monthly_count=index.monthly_count, monthly_sum=index.monthly_sum, stars=index.stars)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load(path: Path, n_titles: int, n_users: int) -> TitleRatings | None:
    """The saved index when it is there, whole and of these titles and users; None otherwise (logged if damaged)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in SAVED}
        fits = (len(arrays["user_starts"]) == n_users + 1 and arrays["user_starts"][-1] == len(arrays["title"])
                and (arrays["title"] < n_titles).all())
        index = TitleRatings(_by_user(arrays["title"], arrays["user_starts"], n_titles), arrays["months"],
                             arrays["monthly_count"], arrays["monthly_sum"], arrays["stars"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        log.warning("%s unreadable (%s): rebuilding it", path, exc)
        return None
    shapes_fit = (fits and index.stars.shape[0] == n_titles
                  and index.monthly_count.shape == index.monthly_sum.shape == (n_titles, len(index.months)))
    if not shapes_fit:
        log.warning("%s does not fit the catalogue: rebuilding it", path)
        return None
    return index


def _read_only(index: TitleRatings) -> TitleRatings:
    """The index with every array made read-only (shared by every request of the process)."""
    for array in (index.by_user.data, index.by_user.indices, index.by_user.indptr, index.months,
                  index.monthly_count, index.monthly_sum, index.stars):
        array.flags.writeable = False
    return index


def for_catalog(catalog) -> TitleRatings:
    """The TitleRatings of a Catalog: kept for the process, loaded from its version folder or built and saved;
    DataError when its ratings cannot be read."""
    key = id(catalog.titles)
    with _LOCK:
        if key not in _MEMO:
            _MEMO[key] = _read_only(_load_or_build(catalog))
            weakref.finalize(catalog.titles, _MEMO.pop, key, None)
        return _MEMO[key]


def _load_or_build(catalog) -> TitleRatings:
    """Load the saved index (a served build's own, else the app's), or build and save it (one process at a time;
    the others wait and load it); with nowhere to save it, every process builds its own."""
    index = _load_saved(catalog)
    if index is not None:
        return index
    if catalog.write_dir is None:
        log.warning("%s: no %s and no writable folder to save one: it is built at each start",
                    catalog.version_dir, FILE_NAME)
        return _build_for(catalog)
    path = Path(catalog.write_dir) / FILE_NAME
    with file_lock(path.with_suffix(".lock"), "ratings per title") as waited:
        index = _load_saved(catalog) if waited else None
        if index is None:
            index = _build_for(catalog)
            try:
                save(index, path)
            except OSError as exc:  # read-only data: every process builds its own copy
                log.warning("could not save %s (%s): it is rebuilt at each start", path, exc)
    return index


def _load_saved(catalog) -> TitleRatings | None:
    """The first usable saved index among the catalog's folders of derived files."""
    return catalog.first_derived(lambda folder: load(Path(folder) / FILE_NAME, len(catalog.titles),
                                                     len(catalog.users)))


def _build_for(catalog) -> TitleRatings:
    """The index built from a catalog's ratings file; DataError when they cannot be read."""
    try:
        months = np.unique(catalog.activity["month"].astype(str).to_numpy())
        return build(Path(catalog.version_dir) / "ratings.parquet", pd.Index(catalog.titles["id"]),
                     catalog.users["n_ratings"].to_numpy(), months)
    except (OSError, KeyError, ValueError, pa.ArrowException) as exc:
        raise DataError(f"{catalog.version_dir}: the ratings per title cannot be built ({exc})") from None
