"""Fast server-side search for the pickers: titles by name, users by id; a keystroke costs well under a few ms.

The catalogue is large (23k titles, 115k users), so the browser never gets every option: it sends what was
typed and gets the best `limit` matches back as `(id, label)` pairs.

How it stays fast: once per titles/users frame (memoised on the frame object) the searchable text is normalised
(lower case, accents folded, spaces collapsed), sorted by popularity (number of ratings) and joined into one
newline-separated string. A search is then a handful of compiled regular-expression scans over that string, in C,
each stopping as soon as it has `limit` hits -- and because rows are in popularity order, the first hits of each
scan are the most popular matches of that tier.

Ranking of titles: exact title or id first, then titles starting with the text, then titles with a word starting
with it, then any substring, then titles containing every typed word in any order; inside a tier, more ratings
first. Only when those tiers found fewer than `limit` titles, a last tier forgives typos ('stranger thigns'): RapidFuzz
scores the text against every title as typed and with its words sorted (so word order does not matter), keeps
scores of at least FUZZY_CUTOFF and ranks by score, then ratings. Both title lists are precomputed in the index, and
`fuzz.ratio` with a cutoff is a bit-parallel C scan, so the tier costs ~1-3 ms on the 23k real titles (WRatio and
token_set_ratio were measured at 13-30 ms a keystroke, too slow). Texts shorter than FUZZY_MIN_LENGTH skip it:
a few letters are close to too many titles to mean anything.
Users: the exact id first, then ids starting with the typed digits; more ratings first.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from core.text import title_case

DEFAULT_LIMIT = 20
MAX_LIMIT = 200
MAX_QUERY = 200  # characters of search text considered (a pasted novel is cut)
FUZZY_CUTOFF = 80  # least RapidFuzz score (0-100) of a typo match: one slip in a 5-letter word still scores 80
FUZZY_MIN_LENGTH = 5  # shorter texts get no typo matches
FUZZY_MAX_QUERY = 80  # characters compared by the typo tier (longer than any real title's search form needs)
PLATFORM_NAMES = {"amazon": "Amazon Prime", "disney": "Disney+", "hulu": "Hulu", "netflix": "Netflix"}

_SPACES = re.compile(r"\s+")
_USER_WORDS = re.compile(r"^\s*(?:user|usr|id|#)\s*[:#]?\s*", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------- text
def normalize(text: object) -> str:
    """Search form of a text: lower case, accents folded ('Pokémon' -> 'pokemon'), single spaces, no newlines."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    folded = unicodedata.normalize("NFKD", str(text)[:MAX_QUERY * 4])
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    return _SPACES.sub(" ", folded.casefold()).strip()


def platform_name(platform: object) -> str:
    """'disney' -> 'Disney+'."""
    return PLATFORM_NAMES.get(str(platform), title_case(platform))


def title_label(row: dict | pd.Series) -> str:
    """'The Grand Seduction (2014) · Amazon Prime' from a titles row (title, release_year, platform)."""
    year = row.get("release_year")
    year_text = "" if year is None or pd.isna(year) else f" ({int(year)})"
    return f"{title_case(row.get('title')) or row.get('id', '?')}{year_text} · {platform_name(row.get('platform'))}"


def user_label(user_id: int, n_ratings: int | None) -> str:
    """'User 123 · 81 ratings' ('new user' when the user has no ratings in the data)."""
    if n_ratings is None:
        return f"User {user_id} · new user, no ratings"
    return f"User {user_id} · {n_ratings:,} rating{'' if n_ratings == 1 else 's'}"


def _limit(limit: object) -> int:
    """The number of results asked for, clipped to 1..MAX_LIMIT (bad values: the default)."""
    try:
        value = int(limit)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_LIMIT
    return min(max(value, 1), MAX_LIMIT)


# ---------------------------------------------------------------------------------------------- indexes
@dataclass
class _Joined:
    """Rows' search texts in popularity order, joined by newlines, with each row's start offset."""

    text: str
    starts: np.ndarray
    texts: list[str]

    @classmethod
    def build(cls, texts: list[str]) -> "_Joined":
        lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
        starts = np.concatenate(([1], 1 + np.cumsum(lengths)[:-1])) if texts else np.zeros(0, dtype=np.int64)
        return cls("\n" + "\n".join(texts) + "\n", starts.astype(np.int64), texts)

    def row_at(self, position: int) -> int:
        """The row whose text holds this offset of the joined string."""
        return int(np.searchsorted(self.starts, position, side="right")) - 1

    def prefix_rows(self, query: str) -> Iterator[int]:
        """Rows whose text starts with the query, in popularity order."""
        for match in re.finditer(re.escape("\n" + query), self.text):
            yield self.row_at(match.start() + 1)

    def occurrences(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Rows holding the query (ascending = popularity order) and, for each, whether it holds it at a word start."""
        text = self.text
        positions = [match.start() for match in re.finditer(re.escape(query), text)]
        if not positions:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        rows = np.searchsorted(self.starts, positions, side="right") - 1
        at_word = np.fromiter((not text[pos - 1].isalnum() for pos in positions), dtype=bool, count=len(positions))
        unique, first = np.unique(rows, return_index=True)
        return unique, np.logical_or.reduceat(at_word, first)

    def rows_containing(self, query: str) -> np.ndarray:
        """Every row containing the query, in popularity order (no duplicates)."""
        positions = [match.start() for match in re.finditer(re.escape(query), self.text)]
        return np.unique(np.searchsorted(self.starts, positions, side="right") - 1)


@dataclass
class TitleIndex:
    """Search structures of one titles frame (built once, read-only afterwards)."""

    frame: pd.DataFrame
    ids: list[str]
    joined: _Joined
    exact: dict[str, list[int]]
    by_id: dict[str, int]
    order: np.ndarray  # frame position of each row
    columns: dict[str, list]  # the label columns (id, title, release_year, platform), in frame order
    sorted_words: list[str]  # each row's search text with its words sorted (the typo tier's word-order form)
    _labels: dict[int, str] = field(default_factory=dict)

    def label(self, row: int) -> str:
        """The display label of a row (computed on first use: most rows are never shown)."""
        if row not in self._labels:
            position = int(self.order[row])
            self._labels[row] = title_label({column: values[position] for column, values in self.columns.items()})
        return self._labels[row]


@dataclass
class UserIndex:
    """Search structures of one users frame: ids as text in activity order."""

    ids: np.ndarray
    counts: np.ndarray
    joined: _Joined
    position: dict[int, int]

    def label(self, row: int) -> str:
        return user_label(int(self.ids[row]), int(self.counts[row]))


_LOCK = threading.Lock()
_CACHE: dict[tuple[str, int], tuple[object, object]] = {}  # (kind, id(frame)) -> (frame, index)
_CACHE_SIZE = 8


def _memoised(kind: str, frame: pd.DataFrame, build):
    """The index of a frame, built once per frame object (the frame is kept so its id is not reused)."""
    key = (kind, id(frame))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is frame:
        return hit[1]
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is frame:
            return hit[1]
        index = build(frame)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (frame, index)
        return index


def _build_titles(titles: pd.DataFrame) -> TitleIndex:
    counts = pd.to_numeric(titles["n_ratings"], errors="coerce").fillna(0).to_numpy() \
        if "n_ratings" in titles else np.zeros(len(titles))
    names = [normalize(t) for t in titles["title"].tolist()]
    # popularity first; ties in title order so results are stable
    order = np.lexsort((np.array(names, dtype=object).astype(str), -counts)) if len(titles) else np.zeros(0, int)
    ids = [str(v) for v in titles["id"].to_numpy()[order]]
    ordered = [names[i] for i in order]
    exact: dict[str, list[int]] = {}
    for row, name in enumerate(ordered):
        exact.setdefault(name, []).append(row)
    columns = {name: titles[name].tolist() if name in titles else [None] * len(titles)
               for name in ("id", "title", "release_year", "platform")}
    return TitleIndex(frame=titles, ids=ids, joined=_Joined.build(ordered), exact=exact,
                      by_id={v.lower(): row for row, v in enumerate(ids)}, order=order, columns=columns,
                      sorted_words=[_sorted_words(name) for name in ordered])


def _sorted_words(text: str) -> str:
    return " ".join(sorted(text.split(" ")))


def _build_users(users: pd.DataFrame) -> UserIndex:
    user_ids = pd.to_numeric(users["user_id"], errors="coerce").fillna(-1).to_numpy(dtype=np.int64)
    counts = pd.to_numeric(users["n_ratings"], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
    order = np.lexsort((user_ids, -counts))
    ids, counts = user_ids[order], counts[order]
    return UserIndex(ids=ids, counts=counts, joined=_Joined.build([str(v) for v in ids.tolist()]),
                     position={int(v): row for row, v in enumerate(ids.tolist())})


def title_index(titles: pd.DataFrame) -> TitleIndex:
    """The memoised search index of a titles frame (columns id, title, platform, release_year, n_ratings)."""
    return _memoised("titles", titles, _build_titles)


def user_index(users: pd.DataFrame) -> UserIndex:
    """The memoised search index of a users frame (columns user_id, n_ratings)."""
    return _memoised("users", users, _build_users)


# ---------------------------------------------------------------------------------------------- search
def search_titles(titles: pd.DataFrame, text: object, limit: int = DEFAULT_LIMIT) -> list[tuple[str, str]]:
    """The best title matches of a search text as (id, 'Title (Year) · Platform'); empty text: the most rated.

    Case- and accent-insensitive. Ranking: exact title or id, title prefix, word prefix, substring, every word
    in any order; inside each tier titles with more ratings come first. When these find fewer than `limit` titles,
    close spellings follow (typos, a missing or extra letter, words in another order), best score first.
    """
    index, limit = title_index(titles), _limit(limit)
    query = normalize(text)[:MAX_QUERY]
    if not query:
        return [(index.ids[row], index.label(row)) for row in range(min(limit, len(index.ids)))]
    found: dict[int, None] = {}

    def take(rows) -> bool:
        for row in rows:
            found.setdefault(row, None)
            if len(found) >= limit:
                return True
        return False

    # 1. the exact id or title, 2. titles starting with the text
    if take(([index.by_id[query]] if query in index.by_id else []) + index.exact.get(query, [])) or \
            take(index.joined.prefix_rows(query)):
        return _title_options(index, found)
    # 3. a word starting with the text, 4. the text anywhere (rows of tier 1 are already in `found`)
    rows, at_word = index.joined.occurrences(query)
    if take(int(row) for row in rows[at_word]) or take(int(row) for row in rows[~at_word]):
        return _title_options(index, found)
    # 5. every typed word, in any order (candidates: titles holding the longest word)
    words = list(dict.fromkeys(query.split(" ")))
    if len(words) > 1:
        longest = max(words, key=len)
        texts = index.joined.texts
        if take(int(row) for row in index.joined.rows_containing(longest)
                if all(word in texts[row] for word in words)):
            return _title_options(index, found)
    # 6. close spellings, when the text is long enough to be worth it
    take(fuzzy_rows(index, query, limit, exclude=found))
    return _title_options(index, found)


def fuzzy_rows(index: TitleIndex, query: str, limit: int, exclude=()) -> list[int]:
    """Rows whose title is spelt close to the (normalised) query, best first; equal scores: more ratings first.

    A row's score is the better of RapidFuzz's `ratio` against its title and against its title with sorted words
    (the query's words sorted too; with several words only); rows in `exclude` and scores under FUZZY_CUTOFF are left out.
    """
    if len(query) < FUZZY_MIN_LENGTH or not index.ids:
        return []
    query = query[:FUZZY_MAX_QUERY]
    best: dict[int, float] = {}
    passes = [(query, index.joined.texts)]
    if " " in query:  # word order only matters with several words
        passes.append((_sorted_words(query), index.sorted_words))
    for text, choices in passes:
        for _, score, row in process.extract(text, choices, scorer=fuzz.ratio, processor=None,
                                             score_cutoff=FUZZY_CUTOFF, limit=limit + len(exclude)):
            if row not in exclude and score > best.get(row, -1.0):
                best[row] = score
    # scores within a point are a tie: the more rated title (lower row) first
    return sorted(best, key=lambda row: (-round(best[row]), row))[:limit]


def _title_options(index: TitleIndex, rows) -> list[tuple[str, str]]:
    return [(index.ids[row], index.label(row)) for row in rows]


def parse_user_text(text: object) -> str:
    """The digits of a user search ('user 12', '#12', ' 12 ' -> '12'); '' when the text is not a user id."""
    cleaned = _USER_WORDS.sub("", str(text or "")[:MAX_QUERY]).strip().replace(",", "")
    return cleaned if cleaned.isascii() and cleaned.isdigit() else ""  # not "²" or "٣"


def search_users(users: pd.DataFrame, text: object, limit: int = DEFAULT_LIMIT) -> list[tuple[int, str]]:
    """Users whose id starts with the typed digits as (user_id, 'User 123 · 81 ratings'), exact id first, then
    the most active; empty text: the most active users; text that is not an id: no users."""
    index, limit = user_index(users), _limit(limit)
    raw = str(text or "").strip()
    if not raw:
        return [(int(index.ids[row]), index.label(row)) for row in range(min(limit, len(index.ids)))]
    digits = parse_user_text(raw)
    if not digits:
        return []
    found: dict[int, None] = {}
    exact = index.position.get(int(digits)) if len(digits) < 19 else None
    if exact is not None and str(int(digits)) == digits:
        found[exact] = None
    for row in index.joined.prefix_rows(digits):
        if len(found) >= limit:
            break
        found.setdefault(row, None)
    return [(int(index.ids[row]), index.label(row)) for row in found]


def search_genres(text: object, known: tuple[str, ...], limit: int = 3) -> list[str]:
    """The canonical genres (among `known`) a search text names, best first: by their name or by any catalogue label
    folded into them ('documentaries', 'suspense' -> thriller), exact, then prefix, then a word or anything
    containing the text, then close spellings."""
    query = normalize(text)[:MAX_QUERY]
    if not query:
        return []
    names = _genre_names(known)
    ranked: dict[str, None] = {}
    for tier in (lambda name: name == query, lambda name: name.startswith(query),
                 lambda name: f" {query}" in f" {name}", lambda name: query in name):
        ranked.update((genre, None) for name, genre in names if tier(name))
    if len(query) >= FUZZY_MIN_LENGTH:
        close = process.extract(query, [name for name, _ in names], scorer=fuzz.ratio, processor=None,
                                score_cutoff=FUZZY_CUTOFF, limit=len(names))
        ranked.update((names[row][1], None) for _, _, row in close)
    return list(ranked)[:max(limit, 0)]


def _genre_names(known: tuple[str, ...]) -> list[tuple[str, str]]:
    """(search form of a name, canonical genre) for each known genre and each label folded into one."""
    from core.genres import vocabulary  # the vocabulary file is read on first use

    pairs = [(normalize(genre), genre) for genre in known]
    labels = sorted(vocabulary().labels.items(), key=lambda item: len(item[1]["genres"]))  # 'romantic comedy' last
    for label, columns in labels:
        pairs += [(normalize(label), genre) for genre in columns["genres"] if genre in known]
    return list(dict.fromkeys(pairs))


# ---------------------------------------------------------------------------------------------- look-ups
def title_option(titles: pd.DataFrame, title_id: object) -> tuple[str, str] | None:
    """(id, label) of one title id, or None when the catalogue has no such title."""
    index = title_index(titles)
    row = index.by_id.get(str(title_id).strip().lower()) if title_id is not None else None
    return None if row is None else (index.ids[row], index.label(row))


def user_option(users: pd.DataFrame, user_id: int) -> tuple[int, str]:
    """(id, label) of one user id; a user without ratings in the data is labelled a new user."""
    index = user_index(users)
    row = index.position.get(int(user_id))
    return (int(user_id), user_label(int(user_id), None)) if row is None else (int(user_id), index.label(row))


def has_user(users: pd.DataFrame, user_id: int) -> bool:
    """Whether the user rated anything in the data."""
    return int(user_id) in user_index(users).position
