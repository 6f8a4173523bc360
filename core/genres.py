"""One genre vocabulary across the four catalogues: each raw `listed_in` label -> canonical genres and facets.

The mapping is `core/genres.csv`, reviewed by hand: one row per raw label as the ETL writes it (lower case, the
comma-holding amazon genre with slashes), its canonical genres and facet values ('|' between several), and a note
saying why where the choice is not obvious. Plural/singular (`Dramas`), `TV ` prefixes (`TV Dramas`), `&`/`and`/`-`
variants (`Action-Adventure`) and synonyms (`Suspense`) fold into one genre; labels that are not genres become
facets: origin (`International Movies`, `British TV Shows`), audience (`Kids`, `Children & Family Movies`), format
(`Stand-Up Comedy`, `Anime`, `Docuseries`), community (`LGBTQ Movies`, `Black Stories`) and collection (a
catalogue's own shelves: `Classic Movies`, `Independent Movies`, `Special Interest`).

Canonical names are written in display case in the file and kept lower-case in the data (the ETL's rule), like
every list column: comma-separated. A label missing from the file is kept as a genre of its own and counted.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from core.errors import DataError, InvalidQuery
from core.text import bounded, quoted, title_case

VOCABULARY_FILE = Path(__file__).with_name("genres.csv")
FACETS: tuple[str, ...] = ("origin", "audience", "format", "community", "collection")
COLUMNS: tuple[str, ...] = ("genres", *FACETS)  # the columns the ETL adds to the titles
FILE_COLUMNS = ("label", *COLUMNS, "note")
SEPARATOR = "|"  # between several canonical names in one cell of the file
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Vocabulary:
    """The mapping file, read: raw label -> canonical names per column, and each canonical name's display form."""

    labels: dict[str, dict[str, tuple[str, ...]]]  # label -> column -> lower-case canonical names
    display: dict[str, str]  # lower-case canonical name -> display name
    digest: str  # of the file's bytes: processed data made with another mapping is rebuilt

    def names(self, column: str) -> tuple[str, ...]:
        """The canonical names of one column ('genres' or a facet), sorted."""
        return tuple(sorted({name for row in self.labels.values() for name in row[column]}))


def read_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    """The vocabulary in a mapping file; DataError naming the file and row for anything malformed."""
    try:
        data = path.read_bytes()
        rows = list(csv.DictReader(data.decode("utf-8").splitlines()))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: unreadable genre vocabulary ({exc})") from None
    if not rows or tuple(rows[0].keys()) != FILE_COLUMNS:
        raise DataError(f"{path}: expected the columns {','.join(FILE_COLUMNS)}")
    labels: dict[str, dict[str, tuple[str, ...]]] = {}
    display: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        label = (row["label"] or "").strip()
        if not label or label != label.lower() or "," in label or label in labels:
            raise DataError(f"{path}, line {number}: label {label!r} must be lower-case, comma-free and unique")
        labels[label] = {column: _names(row[column], display, f"{path}, line {number}") for column in COLUMNS}
    return Vocabulary(labels, display, hashlib.sha256(data).hexdigest()[:12])


def _names(cell: str | None, display: dict[str, str], where: str) -> tuple[str, ...]:
    """The canonical names of one cell ('Comedy|Romance'), recording their display forms."""
    out = []
    for name in (part.strip() for part in (cell or "").split(SEPARATOR)):
        if not name:
            continue
        key = name.lower()
        if "," in name or display.setdefault(key, name) != name:
            raise DataError(f"{where}: {name!r} has a comma or is spelt differently elsewhere ({display[key]!r})")
        out.append(key)
    return tuple(out)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The project's vocabulary (core/genres.csv), read once per process."""
    return read_vocabulary()


def split_labels(listed_in: object) -> list[str]:
    """The labels of one listed_in value ('dramas, international movies'), whitespace tidied, no empties."""
    if not isinstance(listed_in, str):
        return []
    return [" ".join(part.split()) for part in listed_in.split(",") if part.strip()]


@dataclass(frozen=True)
class Mapped:
    """The canonical columns of some titles, and how often each raw label was mapped or left unmapped."""

    columns: pd.DataFrame  # genres + FACETS: comma-separated lower-case names, null when empty
    mapped: Counter
    unmapped: Counter


def map_labels(listed_in: pd.Series, vocab: Vocabulary | None = None) -> Mapped:
    """The canonical genres and facets of each title's listed_in (a label not in the vocabulary: its own genre)."""
    vocab = vocab or vocabulary()
    mapped: Counter = Counter()
    unmapped: Counter = Counter()
    per_value: dict[str, tuple[str | None, ...]] = {}
    counts = listed_in.value_counts(dropna=True)
    for value, count in zip(counts.index.tolist(), counts.tolist()):
        names: dict[str, list[str]] = {column: [] for column in COLUMNS}
        for label in dict.fromkeys(split_labels(value)):
            row = vocab.labels.get(label)
            (mapped if row is not None else unmapped)[label] += count
            for column in COLUMNS:
                names[column].extend(row[column] if row is not None else ((label,) if column == "genres" else ()))
        per_value[value] = tuple(", ".join(sorted(set(found))) or None for found in names.values())
    empty = (None,) * len(COLUMNS)
    rows = [per_value.get(value, empty) if isinstance(value, str) else empty for value in listed_in.tolist()]
    return Mapped(pd.DataFrame(rows, columns=list(COLUMNS), index=listed_in.index).astype("str"), mapped, unmapped)


# ---------------------------------------------------------------------------------------------- names
def display_name(name: object) -> str:
    """A canonical genre or facet value as shown ('sci-fi & fantasy' -> 'Sci-Fi & Fantasy', 'lgbtq+' -> 'LGBTQ+')."""
    text = str(name)
    return vocabulary().display.get(text, title_case(text, missing="—"))


def slug(name: str) -> str:
    """A genre's form in a URL: 'action & adventure' -> 'action-adventure'."""
    return _SLUG.sub("-", name.lower()).strip("-")


def parse_genre(text: object, known: tuple[str, ...]) -> str:
    """The genre among `known` that a URL slug or a name (any case) names; InvalidQuery otherwise."""
    value = bounded(str(text), "genre", 80).strip().lower()
    for name in known:
        if value in (name, slug(name)):
            return name
    raise InvalidQuery(f"unknown genre {quoted(str(text))}")
