"""Title content: a weighted TF-IDF matrix for similarity, and dense genre/platform features for user tastes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.genres import FACETS

# scikit-learn is imported where a model is fitted, not here: loading a saved model (every server start) and a
# no-op build need none of it, and importing it costs ~0.8 s.

# Share of each field in the similarity (squared norm of its block): genres lead, so similar titles share genres;
# the people and the description separate titles of the same genres; country and type break ties. The genre block
# holds the canonical genres and facets (core.genres): one vocabulary for the four catalogues.
FIELD_WEIGHTS: dict[str, float] = {"genres": 0.45, "description": 0.2, "cast": 0.1, "director": 0.1,
                                   "title": 0.05, "country": 0.05, "type": 0.05}
PLATFORMS = ("amazon", "disney", "hulu", "netflix")


def split_list(text: str) -> list[str]:
    """A comma-separated field ('a, b') as its items."""
    return [item for item in text.split(", ") if item]


def _vectorizer(field: str):
    """The TF-IDF vectorizer of one text field (a scikit-learn TfidfVectorizer)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if field in ("cast", "director", "country", "type", "genres"):
        # Each person, country or genre is one token: "tom hanks" must not match "tom cruise", nor "action &
        # adventure" "sci-fi & fantasy".
        return TfidfVectorizer(tokenizer=split_list, token_pattern=None, lowercase=False, min_df=1,
                               dtype=np.float32)
    if field == "description":
        return TfidfVectorizer(stop_words="english", min_df=2, max_df=0.5, sublinear_tf=True,
                               max_features=40_000, dtype=np.float32)
    return TfidfVectorizer(stop_words="english", min_df=2, dtype=np.float32)  # title words


def field_matrix(texts: pd.Series, field: str) -> sp.csr_matrix:
    """Row-normalised TF-IDF of one field (an all-empty field gives an empty matrix)."""
    values = texts.fillna("").astype(str).to_numpy()
    try:
        return _vectorizer(field).fit_transform(values).tocsr()
    except ValueError:  # empty vocabulary (e.g. a tiny fixture without any description)
        return sp.csr_matrix((len(values), 0), dtype=np.float32)


def genre_terms(titles: pd.DataFrame) -> pd.Series:
    """Each title's canonical genres and facet values as one list ('drama, origin:international, format:anime'),
    then the words of the catalogue's own labels ('word:dramas'): a facet is a term of its own kind, so the
    audience 'kids & family' never meets a genre of that name; the label words keep what the vocabulary folds
    away (a catalogue's wording, 'tv' or 'movies'), which the canonical terms alone lose on the real data."""
    words = titles["listed_in"].fillna("").str.findall(r"[a-z0-9]+").map(
        lambda found: ", ".join(f"word:{w}" for w in dict.fromkeys(found)))
    columns = [titles["genres"].fillna("")] + [
        titles[facet].fillna("").map(lambda text, kind=facet: ", ".join(f"{kind}:{v}" for v in split_list(text)))
        for facet in FACETS] + [words]
    joined = columns[0]
    for column in columns[1:]:
        joined = joined.str.cat(column, sep=", ")
    return joined.str.replace(r"(, )+", ", ", regex=True).str.strip(", ")


def _field(titles: pd.DataFrame, field: str) -> pd.Series:
    """The text of one field of FIELD_WEIGHTS."""
    return genre_terms(titles) if field == "genres" else titles[field]


def tfidf_matrix(titles: pd.DataFrame) -> sp.csr_matrix:
    """Weighted, row-normalised TF-IDF over the text fields: a row dot product is a cosine similarity."""
    from sklearn.preprocessing import normalize

    blocks = [field_matrix(_field(titles, field), field) * np.float32(np.sqrt(weight))
              for field, weight in FIELD_WEIGHTS.items()]
    return normalize(sp.hstack(blocks, format="csr", dtype=np.float32)).astype(np.float32)


def _unit_scale(block: np.ndarray) -> np.ndarray:
    """The block scaled to a mean squared row norm of one, so each block gets the same prior weight."""
    mean_sq = float((block.astype(np.float64) ** 2).sum(axis=1).mean())
    return (block / np.sqrt(mean_sq) if mean_sq > 0 else block).astype(np.float32)


def taste_features(titles: pd.DataFrame, genre_dims: int = 64) -> np.ndarray:
    """Dense per-title features users have tastes over: canonical genres and facets (TF-IDF, SVD-reduced),
    platform, a constant."""
    genres = field_matrix(genre_terms(titles), "genres")
    dims = min(genre_dims, genres.shape[1] - 1)
    if dims >= 1:
        genre_block = principal_components(genres, dims)
    else:
        genre_block = genres.toarray()
    platform = titles["platform"].astype(str).to_numpy()
    platform_block = (platform[:, None] == np.array(PLATFORMS)[None, :]).astype(np.float32)
    constant = np.ones((len(titles), 1), np.float32)  # lets each user's taste absorb what its bias missed
    return np.hstack([_unit_scale(genre_block), _unit_scale(platform_block), constant]).astype(np.float32)


def principal_components(matrix: sp.spmatrix, dims: int) -> np.ndarray:
    """The rows projected on the matrix's top `dims` right singular vectors (an exact truncated SVD): through the
    small terms x terms Gram (164 x 164 on the real genres; 0.2 s where a randomized SVD took 1.3 s), each vector's
    sign fixed so its largest loading is positive."""
    _, vectors = np.linalg.eigh((matrix.T @ matrix).toarray().astype(np.float64))
    top = vectors[:, ::-1][:, :dims]
    top *= np.sign(top[np.abs(top).argmax(axis=0), np.arange(dims)])
    return np.asarray(matrix @ top)


@dataclass(frozen=True)
class ContentIndex:
    """TF-IDF rows of the titles and their transpose (an inverted index for one-title similarity)."""

    matrix: sp.csr_matrix
    transposed: sp.csr_matrix

    @classmethod
    def build(cls, titles: pd.DataFrame) -> ContentIndex:
        """The index of a titles frame (row i = titles.iloc[i])."""
        return cls.from_matrix(tfidf_matrix(titles))

    @classmethod
    def from_matrix(cls, matrix: sp.csr_matrix) -> ContentIndex:
        """The index of a saved TF-IDF matrix."""
        matrix = sp.csr_matrix(matrix, dtype=np.float32)
        return cls(matrix, matrix.T.tocsr())

    def similarities(self, row: int) -> np.ndarray:
        """Cosine similarity of title `row` to every title (itself included), from its terms' postings only."""
        return np.asarray((self.matrix[row] @ self.transposed).toarray()).ravel()

    def similarities_many(self, rows: np.ndarray) -> np.ndarray:
        """Cosine similarities of several titles to every title, as a dense (len(rows), n_titles) array."""
        return (self.matrix[rows] @ self.transposed).toarray()


def top_k(scores: np.ndarray, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """Positions of the k highest scores, best first (ties by position), leaving out `exclude`."""
    scores = scores.astype(np.float64, copy=True)
    if exclude is not None and len(exclude):
        scores[exclude] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return np.empty(0, np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.lexsort((part, -scores[part]))]
