"""Hybrid recommender: content similarity (TF-IDF) blended with predicted ratings (biases, tastes, latent factors).

Predicted rating of user u for title i (0.5-5):
    mean + user_bias[u] + title_bias[i] + w_taste * taste[u] . features[i] + w_factors * p[u] . q[i]
where `features` are the title's genre words (TF-IDF, SVD-reduced) and platform, `taste` a per-user ridge
regression of the user's residuals on them, and p, q latent factors fitted by ALS on the same residuals. A user's
taste and p are shrunk towards priors predicted from which titles they chose to rate (the mean features and mean
factors of those titles: implicit feedback, as in SVD++), the maps from choices to priors learned across users
(empirical Bayes: a ridge regression of the fitted vectors, relearned each round). The blend
weights w are learned by every fit ("probe blending"): the parts are fitted without a validation slice of the
ratings, the weights are the non-negative least-squares fit of that slice's residuals, and the parts are then
fitted again on all ratings. A part that predicts nothing on new ratings (noise) gets a weight near zero.
`recommend(u, a)` ranks the `candidates` titles most similar to the chosen title a (TF-IDF cosine), so every
recommendation is related to it (similarity selects the candidates; it is not a weight of the score), by a score
(0-1, weights scaled to sum to one):
    rating_weight * (predicted - 0.5) / 4.5 + profile_weight * cos(profile[u], features[i])
    + popularity_weight * popularity[i]
A new user gets new_user_similarity_weight * cos(a, i) + the rest * (popularity and the title's mean rating).
These ranking weights are the ones `python -m core.evaluate --tune` chose on a validation split of the real data.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.content import ContentIndex, split_list, taste_features, top_k
from core.errors import DataError, InvalidQuery, NotFound
from core.locks import file_lock
from core.progress import Progress
from core.text import quoted
from core.ratings_model import IndexedRatings, RatingParts, subset, validation_mask

MODEL_VERSION = 3
# A served build without a usable model, where the app cannot save one either (see core.processed).
MODEL_MISSING = (f"The recommender model is missing: the served build has no usable model-v{MODEL_VERSION}.npz and "
                 "the app has no writable cache dir to fit one in; build it with python -m core.build")
RATING_RANGE = (0.5, 5.0)
MAX_K = 100
MAX_USER_ID = 2**31 - 1  # user ids are 32-bit in the processed data
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Params:
    """Hyper-parameters: the model's sizes and regularisation, and the ranking weights `--tune` chose."""

    bias_reg: float = 5.0
    taste_reg: float = 5.0
    prior_rounds: int = 2  # relearnings of the tastes' prior from what users chose to rate
    genre_dims: int = 64
    factors: int = 24
    factor_reg: float = 15.0
    iterations: int = 10
    validation: float = 0.1  # share of the ratings the blend weights are learned on
    refit_iterations: int = 3  # ALS rounds on all ratings, from the factors fitted without the validation slice
    cg_steps: int = 3  # conjugate-gradient steps of each user solve, tastes and factors (0: closed forms)
    rating_weight: float = 0.2
    profile_weight: float = 0.5
    popularity_weight: float = 0.3
    new_user_similarity_weight: float = 0.2
    candidates: int = 300
    seed: int = 0


# ---------------------------------------------------------------------------------------------- argument checks
def check_user_id(user_id: object) -> int:
    """A user id as int, or InvalidQuery for anything but a positive 32-bit integer."""
    problem = InvalidQuery(f"user id must be a whole number from 1 to {MAX_USER_ID}, not {quoted(user_id)}")
    if isinstance(user_id, (bool, np.bool_)):
        raise problem
    if isinstance(user_id, str):
        digits = user_id.strip()
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 10):
            raise problem
        user_id = int(digits)
    if isinstance(user_id, (float, np.floating)):
        if not (np.isfinite(user_id) and float(user_id).is_integer()):
            raise problem
        user_id = int(user_id)
    if not isinstance(user_id, (int, np.integer)) or not 1 <= user_id <= MAX_USER_ID:
        raise problem
    return int(user_id)


def check_k(k: object) -> int:
    """A result count as int, or InvalidQuery."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_K:
        raise InvalidQuery(f"k must be a whole number from 1 to {MAX_K}, not {quoted(k)}")
    return int(k)


def verdict(predicted: float) -> str:
    """A plain sentence for a predicted rating."""
    if predicted >= 4.0:
        return "you'll probably love it"
    if predicted >= 3.0:
        return "worth a try"
    return "probably not for you"


# ---------------------------------------------------------------------------------------------- data preparation
def index_ratings(ratings: pd.DataFrame, title_ids: pd.Index) -> IndexedRatings:
    """Processed ratings (user_id, id, rating) as positions; rows whose id is not a title are left out."""
    ids = ratings["id"]
    if isinstance(ids.dtype, pd.CategoricalDtype):
        item = title_ids.get_indexer(ids.cat.categories)[ids.cat.codes.to_numpy()]
        item[ids.cat.codes.to_numpy() < 0] = -1
    else:
        item = title_ids.get_indexer(ids.astype(str))
    value = ratings["rating"].to_numpy(np.float32)
    keep = (item >= 0) & np.isfinite(value)
    # Hashing, not np.unique's sort: the same sorted ids and rows, ~6x faster on 11M ratings.
    user, user_ids = pd.factorize(ratings["user_id"].to_numpy(np.int64)[keep], sort=True)
    return IndexedRatings(user.astype(np.int32), item[keep].astype(np.int32), value[keep], user_ids.astype(np.int64))


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to length one (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms > 0, norms, 1)).astype(np.float32)


def scale_rating(predicted: np.ndarray | float) -> np.ndarray | float:
    """A rating on 0.5-5 mapped to 0-1."""
    return (predicted - RATING_RANGE[0]) / (RATING_RANGE[1] - RATING_RANGE[0])


# ---------------------------------------------------------------------------------------------- the rating parts
# (ratings, title features, params, progress) -> the fitted parts and their blend weights (taste, factors).
PartsFitter = Callable[[IndexedRatings, np.ndarray, "Params", Progress], tuple[RatingParts, np.ndarray]]


def fit_rating_parts(data: IndexedRatings, features: np.ndarray, p: Params,
                     progress: Progress) -> tuple[RatingParts, np.ndarray]:
    """The rating parts fitted in this process, and their blend weights: the parts without a validation slice,
    the weights on that slice, then the parts on all ratings (warm-started)."""
    held_out = validation_mask(len(data.value), p.validation, p.seed)
    with progress.stage("rating parts", total=RatingParts.steps(p, warm=False), unit="steps"):
        parts = RatingParts.fit(subset(data, ~held_out), features, p, progress.advance)
    with progress.stage("blend weights"):
        weights = parts.blend_weights(subset(data, held_out), features)
        parts.user_blocks = parts.item_blocks = None  # the refit reuses its factors and taste map only
    with progress.stage("rating parts on all ratings", total=RatingParts.steps(p, warm=True), unit="steps"):
        return RatingParts.fit(data, features, p, progress.advance, warm=parts), weights


# ---------------------------------------------------------------------------------------------- the model
class HybridRecommender:
    """Content + ratings hybrid: `fit`, then `predict`, `recommend`, `similar_titles`, `user_profile`."""

    verdict = staticmethod(verdict)

    def __init__(self, **params) -> None:
        self.params = Params(**params)
        self.fitted = False

    # ------------------------------------------------------------------ fitting
    FIT_STAGES = ["content index", "rating parts", "blend weights", "rating parts on all ratings",
                  "user profiles"]

    def fit(self, titles: pd.DataFrame, ratings: pd.DataFrame, progress: Progress | None = None,
            fit_parts: PartsFitter | None = None) -> HybridRecommender:
        """Fit on processed titles and (any subset of the) processed ratings, as the ETL writes them; the rating
        parts and blend weights by `fit_parts` (default: fit_rating_parts, in this process; core.spark_model:
        on Spark)."""
        p, progress = self.params, progress or Progress()
        titles = titles.reset_index(drop=True)
        # The rating parts do not need the TF-IDF index: it is built on a thread beside them (mostly
        # single-threaded text work that would otherwise come before the fit).
        with ThreadPoolExecutor(1) as beside:
            content = beside.submit(ContentIndex.build, titles)
            with progress.stage("content index"):
                self._set_titles(titles)
                data = index_ratings(ratings, pd.Index(self.title_ids))
                del ratings  # the caller may have handed its only reference over (fit_and_save)
                if len(data.value) == 0:
                    raise InvalidQuery("no rating refers to a title of the catalogue: nothing to fit")
                self.user_ids = data.user_ids
                # After the ratings: the thread beside has imported scikit-learn meanwhile (~1.4 s; both need it).
                self.features = taste_features(titles, p.genre_dims)
            parts, self.blend_weights = (fit_parts or fit_rating_parts)(data, self.features, p, progress)
            self.content = content.result()
        self.mean, self.user_bias, self.item_bias = parts.mean, parts.user_bias, parts.item_bias
        self.taste, self.user_factors, self.item_factors = parts.taste, parts.user_factors, parts.item_factors
        with progress.stage("user profiles"):
            self._set_rated(data, np.bincount(data.user, minlength=len(data.user_ids)))
            self.item_counts = np.bincount(data.item, minlength=len(self.title_ids)).astype(np.int32)
            self._finish()
        return self

    def _set_titles(self, titles: pd.DataFrame) -> None:
        """Title ids, names and the fields reasons are built from."""
        self.title_ids = np.array(titles["id"].astype(str).tolist(), dtype=str)
        self.row_of = {title_id: row for row, title_id in enumerate(self.title_ids.tolist())}
        # Canonical genres (one vocabulary across platforms: 'dramas' and 'tv dramas' are both 'drama'), where the
        # processed titles have them.
        genre_field = "genres" if "genres" in titles else "listed_in"
        text = {c: titles[c].fillna("").astype(str).to_numpy() for c in ("title", "platform", genre_field,
                                                                            "director", "cast", "type")}
        self.names, self.platforms, self.types = text["title"], text["platform"], text["type"]
        self.genres, self.directors, self.casts = text[genre_field], text["director"], text["cast"]
        years = pd.to_numeric(titles["release_year"], errors="coerce") if "release_year" in titles else None
        self.years = (years.to_numpy(np.float64, na_value=np.nan) if years is not None
                      else np.full(len(titles), np.nan))

    def _set_rated(self, data: IndexedRatings, counts: np.ndarray) -> None:
        """Each user's rated titles and ratings (CSR by user row), and the rating-weighted content profiles."""
        order = np.argsort(data.user, kind="stable")
        self.rated_indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.rated_items = data.item[order]
        self.rated_values = data.value[order].astype(np.float16)
        self.profiles = self._profiles()

    def _profiles(self) -> np.ndarray:
        """Per user: unit-length rating-weighted sum of the features of the titles they rated."""
        shape = (len(self.user_ids), len(self.title_ids))
        weights = sp.csr_matrix((self.rated_values.astype(np.float32), self.rated_items, self.rated_indptr), shape)
        return unit_rows(np.asarray(weights @ self.features[:, :-1]))

    def _finish(self) -> None:
        """Derived arrays every query uses."""
        self.unit_features = unit_rows(self.features[:, :-1])
        self.popularity = (np.log1p(self.item_counts) / np.log1p(max(int(self.item_counts.max()), 1))).astype(
            np.float32)
        self.fitted = True

    # ------------------------------------------------------------------ lookups
    def _require_fitted(self) -> None:
        if not self.fitted:
            raise InvalidQuery("the recommender is not fitted: call fit(titles, ratings) first")

    def title_row(self, title_id: object) -> int:
        """Row of a title id, or NotFound / InvalidQuery with a clear message."""
        self._require_fitted()
        if not isinstance(title_id, str) or not title_id.strip():
            raise InvalidQuery(f"title id must be a non-empty string such as 'ns1', not {quoted(title_id)}")
        row = self.row_of.get(title_id.strip().lower())
        if row is None:
            raise NotFound(f"unknown title id {quoted(title_id)}: no title of the catalogue has this id")
        return row

    def user_row(self, user_id: object) -> int | None:
        """Row of a user id, None for a user without ratings in the fitted data (cold start)."""
        self._require_fitted()
        user_id = check_user_id(user_id)
        row = int(np.searchsorted(self.user_ids, user_id))
        return row if row < len(self.user_ids) and self.user_ids[row] == user_id else None

    def has_user(self, user_id: object) -> bool:
        """True when the user has ratings in the fitted data."""
        return self.user_row(user_id) is not None

    def known_user_ids(self) -> list[int]:
        """Ids of the users with ratings in the fitted data, ascending."""
        self._require_fitted()
        return self.user_ids.tolist()

    def rated_rows(self, user_row: int) -> np.ndarray:
        """Title rows the user rated."""
        return self.rated_items[self.rated_indptr[user_row]:self.rated_indptr[user_row + 1]]

    # ------------------------------------------------------------------ predictions
    def predict(self, user_id: object, title_id: object) -> float:
        """Predicted rating (0.5-5) of a user for a title; a new user gets the title's regularised mean."""
        item, user = self.title_row(title_id), self.user_row(user_id)
        value = self.mean + self.item_bias[item]
        if user is not None:
            taste_weight, factor_weight = self.blend_weights
            value += (self.user_bias[user] + taste_weight * self.taste[user] @ self.features[item]
                      + factor_weight * self.user_factors[user] @ self.item_factors[item])
        return round(float(np.clip(value, *RATING_RANGE)), 4)

    def predict_rows(self, users: np.ndarray, items: np.ndarray, part: str = "hybrid") -> np.ndarray:
        """Vectorised predictions for user and title rows (user row -1: new user); part: biases|ratings|hybrid."""
        known = users >= 0
        safe = np.where(known, users, 0)
        value = self.mean + self.item_bias[items] + np.where(known, self.user_bias[safe], 0)
        if part in ("ratings", "hybrid"):
            weight = self.blend_weights[1] if part == "hybrid" else 1.0
            value += weight * known * np.einsum("nk,nk->n", self.user_factors[safe], self.item_factors[items])
        if part == "hybrid":
            value += self.blend_weights[0] * known * np.einsum("nk,nk->n", self.taste[safe], self.features[items])
        return np.clip(value, *RATING_RANGE).astype(np.float32)

    def predict_all(self, user_rows: np.ndarray, part: str = "hybrid") -> np.ndarray:
        """Predicted ratings of known users (rows) for every title, as a (users, titles) array."""
        value = self.mean + self.item_bias[None, :] + self.user_bias[user_rows][:, None]
        if part in ("ratings", "hybrid"):
            weight = self.blend_weights[1] if part == "hybrid" else 1.0
            value = value + weight * (self.user_factors[user_rows] @ self.item_factors.T)
        if part == "hybrid":
            value = value + self.blend_weights[0] * (self.taste[user_rows] @ self.features.T)
        return np.clip(value, *RATING_RANGE).astype(np.float32)

    def components(self, user_rows: np.ndarray, anchors: np.ndarray | None) -> dict[str, np.ndarray]:
        """The recommendation score's parts for known users (rows) over every title, each 0-1 (users, titles)."""
        parts = {"rating": scale_rating(self.predict_all(user_rows)),
                 "profile": np.clip(self.profiles[user_rows] @ self.unit_features.T, 0, 1),
                 "popularity": np.broadcast_to(self.popularity, (len(user_rows), len(self.title_ids)))}
        parts["similarity"] = (np.zeros_like(parts["rating"]) if anchors is None
                               else self.content.similarities_many(anchors).astype(np.float32))
        return parts

    def blend(self, parts: dict[str, np.ndarray], weights: dict[str, float] | None = None) -> np.ndarray:
        """Weighted sum of score parts (weights default to the tuned ones)."""
        weights = weights or self.score_weights()
        return sum(np.float32(weights[name]) * parts[name] for name in weights)

    def score_weights(self) -> dict[str, float]:
        """Weights of the recommendation score's parts, scaled to sum to one (so the score stays within 0-1)."""
        p = self.params
        weights = {"rating": p.rating_weight, "profile": p.profile_weight, "popularity": p.popularity_weight}
        total = sum(weights.values()) or 1.0
        return {name: value / total for name, value in weights.items()}

    # ------------------------------------------------------------------ queries
    def recommend(self, user_id: object, title_id: object, k: int = 10) -> list[dict]:
        """Up to k titles related to the chosen one and suited to the user, never one they rated, with reasons."""
        anchor, user, k = self.title_row(title_id), self.user_row(user_id), check_k(k)
        similarity = self.content.similarities(anchor)
        if user is None:
            return self._recommend_new_user(anchor, similarity, k)
        weights = self.score_weights()
        predicted = self.predict_all(np.array([user]))[0]
        score = (weights["rating"] * scale_rating(predicted) + weights["popularity"] * self.popularity
                 + weights["profile"] * np.clip(self.unit_features @ self.profiles[user], 0, 1))
        excluded = np.append(self.rated_rows(user), anchor)
        rows = self._pick(score, similarity, excluded, k)
        return [self._record(row, anchor, score[row], predicted[row], similarity[row], None) for row in rows]

    def _recommend_new_user(self, anchor: int, similarity: np.ndarray, k: int) -> list[dict]:
        """Cold start: similarity to the chosen title blended with popularity and the titles' mean rating."""
        predicted = np.clip(self.mean + self.item_bias, *RATING_RANGE)
        score = self.new_user_scores(similarity, scale_rating(predicted))
        rows = self._pick(score, similarity, np.array([anchor]), k)
        return [self._record(row, anchor, score[row], predicted[row], similarity[row], "new user")
                for row in rows]

    def new_user_scores(self, similarity: np.ndarray, title_mean: np.ndarray,
                        similarity_weight: float | None = None) -> np.ndarray:
        """Score (0-1) for a user without ratings: similarity, popularity and the title's scaled mean rating."""
        weights = self.score_weights()
        w = self.params.new_user_similarity_weight if similarity_weight is None else similarity_weight
        total = weights["popularity"] + weights["rating"] or 1.0
        return (w * similarity + (1 - w) / total * (weights["popularity"] * self.popularity
                                                     + weights["rating"] * title_mean)).astype(np.float32)

    def _pick(self, score: np.ndarray, similarity: np.ndarray, excluded: np.ndarray, k: int) -> np.ndarray:
        """Best k by score among the chosen title's nearest neighbours (so every one is related to it)."""
        candidates = top_k(similarity, max(self.params.candidates, k), excluded)
        return candidates[top_k(score[candidates], k)]

    def similar_titles(self, title_id: object, k: int = 10) -> list[dict]:
        """The k titles most similar in content to a title (itself excluded), most similar first."""
        row, k = self.title_row(title_id), check_k(k)
        similarity = self.content.similarities(row)
        return [{**self._title_facts(other), "similarity": round(float(similarity[other]), 4),
                 "reason": self.shared_text(row, other) or "similar description"}
                for other in top_k(similarity, k, np.array([row]))]

    def user_profile(self, user_id: object) -> dict:
        """Number and mean of a user's ratings, favourite genres [(genre, share)] and rating distribution."""
        user = self.user_row(user_id)
        out = {"user_id": check_user_id(user_id), "known": user is not None, "n_ratings": 0, "mean_rating": None,
               "favourite_genres": [], "rating_distribution": {}}
        if user is None:
            return out
        items = self.rated_rows(user)
        values = self.rated_values[self.rated_indptr[user]:self.rated_indptr[user + 1]].astype(np.float64)
        stars, counts = np.unique(values, return_counts=True)
        liked = items[values >= 4.0] if (values >= 4.0).any() else items
        genres = pd.Series([g for row in liked for g in split_list(self.genres[row])], dtype=object)
        shares = genres.value_counts(sort=True).head(5) / len(liked)
        out.update(n_ratings=int(len(items)), mean_rating=round(float(values.mean()), 3),
                   favourite_genres=[(str(g), round(float(s), 3)) for g, s in shares.items()],
                   rating_distribution={float(s): int(c) for s, c in zip(stars, counts)})
        return out

    # ------------------------------------------------------------------ output
    def _title_facts(self, row: int) -> dict:
        """Plain facts of a title row."""
        year = self.years[row]
        return {"id": str(self.title_ids[row]), "title": str(self.names[row]), "platform": str(self.platforms[row]),
                "type": str(self.types[row]) or None, "release_year": None if np.isnan(year) else int(year)}

    def _record(self, row: int, anchor: int, score: float, predicted: float, similarity: float,
                note: str | None) -> dict:
        """One recommendation as plain Python values."""
        reason = self.shared_text(anchor, row) or ("similar description" if similarity > 0 else "suited to you")
        if note:
            reason += f" · popular: {int(self.item_counts[row]):,} ratings ({note})"
        reason += f" · predicted ★{predicted:.1f}"
        return {**self._title_facts(row), "score": round(float(score), 4),
                "predicted_rating": round(float(predicted), 2), "similarity": round(float(similarity), 4),
                "reason": reason}

    def shared_text(self, anchor: int, row: int) -> str:
        """What two titles share: genres, director, cast ('' if nothing)."""
        parts = []
        for label, field, limit in (("same genres", self.genres, 3), ("same director", self.directors, 1),
                                    ("same cast", self.casts, 2)):
            anchor_items = set(split_list(field[anchor]))
            shared = [item for item in split_list(field[row]) if item in anchor_items][:limit]
            if shared:
                parts.append(f"{label}: {', '.join(shared)}")
        return " · ".join(parts)

    # ------------------------------------------------------------------ saving
    ARRAYS = ("title_ids", "user_ids", "user_bias", "item_bias", "taste", "features", "user_factors", "blend_weights",
              "item_factors", "rated_indptr", "rated_items", "rated_values", "profiles", "item_counts")

    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted model atomically (temp file, then rename) as an .npz file."""
        self._require_fitted()
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        matrix = self.content.matrix
        try:
            with open(tmp, "wb") as handle:
                np.savez(handle, **{name: getattr(self, name) for name in self.ARRAYS},
                         mean=np.float64(self.mean), params=np.array(json.dumps(asdict(self.params))),
                         version=np.int64(MODEL_VERSION), tfidf_data=matrix.data, tfidf_indices=matrix.indices,
                         tfidf_indptr=matrix.indptr, tfidf_shape=np.array(matrix.shape))
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, titles: pd.DataFrame) -> HybridRecommender:
        """A saved model, with the catalogue's titles for names and reasons (must be the titles it was fitted on)."""
        with np.load(path, allow_pickle=False) as saved:
            if int(saved["version"]) != MODEL_VERSION:
                raise ValueError(f"{path}: model version {int(saved['version'])}, expected {MODEL_VERSION}")
            model = cls(**json.loads(str(saved["params"])))
            for name in cls.ARRAYS:
                setattr(model, name, saved[name])
            model.mean = float(saved["mean"])
            matrix = sp.csr_matrix((saved["tfidf_data"], saved["tfidf_indices"], saved["tfidf_indptr"]),
                                   shape=tuple(saved["tfidf_shape"]))
        titles = titles.reset_index(drop=True)
        if not np.array_equal(titles["id"].astype(str).to_numpy(), model.title_ids.astype(str)):
            raise ValueError(f"{path}: saved for other titles than the catalogue's")
        model._set_titles(titles)
        model.content = ContentIndex.from_matrix(matrix)
        model._finish()
        return model


# ---------------------------------------------------------------------------------------------- loading for the app
# _LOCK guards the two dicts only; a fit holds its data version's own lock, so a caller that only wants a saved
# model (a new app in the same process, the health route) never waits behind a fit of a minute or more.
_LOCK = threading.Lock()
_LOADED: dict[Path, HybridRecommender] = {}
_FITTING: dict[Path, threading.Lock] = {}
MODEL_STAGES = ["reading ratings for the model", *HybridRecommender.FIT_STAGES, "saving the model"]
# Seconds per million ratings of each stage, measured on the real data (11M ratings, 2 cores): for estimates only.
FIT_SECONDS_PER_MILLION = {"reading ratings for the model": 0.08, "content index": 0.3, "rating parts": 2.2,
                           "blend weights": 0.04, "rating parts on all ratings": 0.8, "user profiles": 0.05,
                           "saving the model": 0.02}


def expected_fit_seconds(n_ratings: int) -> dict[str, float]:
    """Rough seconds each model stage takes for n_ratings ratings (for 'about N s left')."""
    return {stage: rate * n_ratings / 1e6 for stage, rate in FIT_SECONDS_PER_MILLION.items()}


def model_path(version_dir: Path) -> Path:
    """Where the model of a processed data version is saved."""
    return Path(version_dir) / f"model-v{MODEL_VERSION}.npz"


def progress_path(version_dir: Path) -> Path:
    """Where a process fitting the model of a data version writes its progress, for the processes waiting."""
    return model_path(version_dir).with_suffix(".progress.json")


def load_recommender(data_dir: str | os.PathLike | None = None) -> HybridRecommender:
    """The fitted recommender of a raw data dir (None: $STREAMING_DATA_DIR or the demo data), once per process:
    the saved model when it matches the data and the defaults, else a fresh fit that is then saved."""
    from core.catalog import load_catalog

    return recommender_for(load_catalog(data_dir))


def recommender_for(catalog, progress: Progress | None = None, force: bool = False) -> HybridRecommender:
    """The fitted recommender of a loaded catalog, once per process (see load_recommender); force: fit anew."""
    version = catalog.version_dir
    with _LOCK:
        version_lock = _FITTING.setdefault(version, threading.Lock())
    with version_lock:
        with _LOCK:
            model = None if force else _LOADED.get(version)
        if model is None:
            model = load_or_fit(catalog, progress, force)
            with _LOCK:
                _LOADED[version] = model
        return model


def saved_recommender(catalog) -> HybridRecommender | None:
    """The saved model of a catalog if it is there and usable (kept for this process), else None; never fits and
    never waits for a fit under way."""
    with _LOCK:
        model = _LOADED.get(catalog.version_dir)
    if model is None:
        model = _saved_model(catalog)
        if model is None:
            return None
        with _LOCK:
            model = _LOADED.setdefault(catalog.version_dir, model)
    return model


def load_or_fit(catalog, progress: Progress | None = None, force: bool = False,
                fit_parts: PartsFitter | None = None) -> HybridRecommender:
    """Load the saved model, or fit and save one (force: fit anew; fit_parts: see HybridRecommender.fit); a file
    lock keeps several processes from fitting at once (the others wait, then load what it saved). Not kept for
    the process: see recommender_for."""
    if catalog.write_dir is None:  # a served processed folder without a usable model, and nowhere to save one
        raise DataError(MODEL_MISSING)
    path = model_path(catalog.write_dir)
    with file_lock(path.with_suffix(".lock"), "recommender model") as waited:
        model = None if force and not waited else _saved_model(catalog)
        if model is None:
            if catalog.origin == "processed":
                log.warning("the served build has no usable recommender model: fitting one into %s", path.parent)
            model = fit_and_save(catalog, path, progress, fit_parts)
        return model


def _saved_model(catalog) -> HybridRecommender | None:
    """The first usable saved model among the catalog's folders of derived files (a build's own, then the app's)."""
    return catalog.first_derived(lambda folder: _try_load(model_path(folder), catalog.titles))


def fit_and_save(catalog, path: Path, progress: Progress | None = None,
                 fit_parts: PartsFitter | None = None) -> HybridRecommender:
    """Fit the model on a catalog's ratings and save it to path (called under the model lock); the progress is
    also written beside it for the processes waiting for this one."""
    progress = progress or Progress()
    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a process killed while saving
        stale.unlink(missing_ok=True)
    stop_sharing = progress.listen(ProgressFile(progress_path(path.parent)))
    try:
        with progress.stage("reading ratings for the model"):
            handed = [catalog.ratings(["user_id", "id", "rating"])]
        # Handed over, not kept here: fit drops the frame once it is indexed (~0.5 GB less at the peak).
        model = HybridRecommender().fit(catalog.titles, handed.pop(), progress, fit_parts)
        with progress.stage("saving the model"):
            try:
                model.save(path)
            except OSError as exc:
                log.warning("recommender not saved to %s: %s", path, exc)
    finally:
        stop_sharing()
        progress_path(path.parent).unlink(missing_ok=True)
    return model


class ProgressFile:
    """A progress listener that keeps the latest snapshot in a small JSON file (replaced atomically, at most
    once a second), so other processes can show how a fit they wait for is going."""

    def __init__(self, path: Path, every: float = 1.0) -> None:
        self.path, self.every, self.written = path, every, 0.0

    def __call__(self, snapshot: dict) -> None:
        now = time.monotonic()
        if now - self.written < self.every:
            return
        self.written = now
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_text(json.dumps(snapshot), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:  # read-only folder: nobody can wait on a lock there either
            tmp.unlink(missing_ok=True)


def shared_progress(version_dir: Path) -> dict | None:
    """The progress another process wrote while fitting the model of a data version (None if none)."""
    try:
        return json.loads(progress_path(version_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _try_load(path: Path, titles: pd.DataFrame) -> HybridRecommender | None:
    """The saved model if it is there, readable, for these titles and fitted with today's defaults."""
    if not path.is_file():
        return None
    try:
        model = HybridRecommender.load(path, titles)
    except Exception as exc:  # noqa: BLE001 -- truncated zip, bad CRC, missing array...: any damage means refit
        log.warning("saved recommender %s not usable (%s: %s): fitting it again", path, type(exc).__name__, exc)
        return None
    return model if model.params == Params() else None
