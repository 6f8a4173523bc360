"""Evaluation of the recommender on one fixed, seeded 10 % hold-out of the ratings: rating errors and top-10 ranking.

    python -m core.evaluate [--data-dir DIR] [--out FILE] [--users N] [--surprise] [--tune] [--engine spark]

Rating prediction (every held-out rating): RMSE and MAE of the global mean, the user mean, user + title biases,
the ratings model (biases + ALS factors), the hybrid, and with --surprise scikit-surprise's SVD() beside them.
Ranking (N sampled held-out users with at least one held-out rating >= 4, which are the relevant titles; every
title the user did not rate in training is ranked): precision, recall, NDCG and catalogue coverage at 10 of
popularity, content only (the user's content profile), ratings only (predicted rating) and the hybrid (the
recommendation score, with the user's latest liked training title as the chosen title).
--tune fits on a validation split of the training part and prints the ranking weights that become the defaults:
the score weights by a grid on NDCG@10 among the chosen title's nearest neighbours (the candidates `recommend`
ranks), then the new-user similarity weight the same way. (The rating blend needs no tuning: every fit learns it.)
--out writes the figures as JSON (a .md name: the markdown tables).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from core.recommender import HybridRecommender, scale_rating

SPLIT_SEED = 20_240
HOLDOUT = 0.1
RANK_USERS = 2_000
K = 10
RELEVANT = 4.0
BATCH = 250
RATING_MODELS = ("global_mean", "user_mean", "biases", "ratings", "hybrid")
RANKING_MODELS = ("popularity", "content", "ratings", "hybrid")


# ---------------------------------------------------------------------------------------------- split
def holdout_mask(n_ratings: int, seed: int = SPLIT_SEED, fraction: float = HOLDOUT) -> np.ndarray:
    """The fixed hold-out: True for the int(fraction * n) ratings a seeded permutation puts first."""
    mask = np.zeros(n_ratings, bool)
    mask[np.random.default_rng(seed).permutation(n_ratings)[:int(n_ratings * fraction)]] = True
    return mask


def split_ratings(ratings: pd.DataFrame, seed: int = SPLIT_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and held-out ratings."""
    mask = holdout_mask(len(ratings), seed)
    return ratings[~mask].reset_index(drop=True), ratings[mask].reset_index(drop=True)


def positions(model: HybridRecommender, ratings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """User rows (-1: not in the fitted data) and title rows of ratings."""
    user_ids = ratings["user_id"].to_numpy(np.int64)
    users = np.searchsorted(model.user_ids, user_ids).clip(0, len(model.user_ids) - 1)
    users = np.where(model.user_ids[users] == user_ids, users, -1)
    items = pd.Index(model.title_ids).get_indexer(ratings["id"].astype(str))
    return users, items


# ---------------------------------------------------------------------------------------------- rating errors
def errors(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """RMSE and MAE."""
    diff = predicted.astype(np.float64) - actual
    return {"rmse": round(float(np.sqrt(np.mean(diff ** 2))), 4), "mae": round(float(np.mean(np.abs(diff))), 4)}


def rating_metrics(model: HybridRecommender, train: pd.DataFrame, test: pd.DataFrame) -> dict[str, dict]:
    """RMSE and MAE of the baselines, the ratings model and the hybrid on the held-out ratings."""
    users, items = positions(model, test)
    actual = test["rating"].to_numpy(np.float64)
    train_users, _ = positions(model, train)
    sums = np.bincount(train_users, train["rating"].to_numpy(np.float64), len(model.user_ids))
    counts = np.bincount(train_users, minlength=len(model.user_ids))
    user_mean = np.where(counts > 0, sums / np.maximum(counts, 1), model.mean)
    return {"global_mean": errors(np.full(len(actual), model.mean), actual),
            "user_mean": errors(np.where(users >= 0, user_mean[users], model.mean), actual),
            **{part: errors(model.predict_rows(users, items, part), actual)
               for part in ("biases", "ratings", "hybrid")}}


def surprise_metrics(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, float]:
    """RMSE and MAE of scikit-surprise's SVD() with default parameters (the original project's model)."""
    from surprise import SVD, Dataset, Reader

    frame = pd.DataFrame({"user": train["user_id"].to_numpy(), "item": train["id"].astype(str).to_numpy(),
                          "rating": train["rating"].to_numpy(np.float64)})
    started = time.perf_counter()
    trainset = Dataset.load_from_df(frame, Reader(rating_scale=(0.5, 5.0))).build_full_trainset()
    built = time.perf_counter()
    algo = SVD(random_state=0)
    algo.fit(trainset)
    fitted = time.perf_counter()
    predicted = np.array([algo.predict(u, i).est for u, i in
                          zip(test["user_id"].tolist(), test["id"].astype(str).tolist())])
    return {**errors(predicted, test["rating"].to_numpy(np.float64)),
            "fit_seconds": round(fitted - built, 1), "load_seconds": round(built - started, 1)}


# ---------------------------------------------------------------------------------------------- ranking
def anchors_of(model: HybridRecommender, train: pd.DataFrame, users: np.ndarray) -> np.ndarray:
    """Per user row: the title row of their latest training rating >= 4 (else their latest, best rated)."""
    rows, items = positions(model, train)
    frame = pd.DataFrame({"user": rows, "item": items, "liked": train["rating"].to_numpy() >= RELEVANT,
                          "rating": train["rating"].to_numpy(),
                          "time": train["timestamp"].to_numpy() if "timestamp" in train else 0})
    frame = frame[frame["user"].isin(users)].sort_values(["user", "liked", "time", "rating", "item"])
    last = frame.groupby("user")["item"].last()
    return last.reindex(users).to_numpy(np.int64)


def sample_users(model: HybridRecommender, test: pd.DataFrame, n_users: int, seed: int) -> np.ndarray:
    """Sorted user rows of up to n_users fitted users with at least one relevant held-out rating."""
    users, _ = positions(model, test)
    candidates = np.unique(users[(users >= 0) & (test["rating"].to_numpy() >= RELEVANT)])
    if len(candidates) > n_users:
        candidates = np.random.default_rng(seed).choice(candidates, n_users, replace=False)
    return np.sort(candidates)


def relevant_matrix(model: HybridRecommender, test: pd.DataFrame, users: np.ndarray) -> np.ndarray:
    """(users, titles) booleans: held-out ratings >= 4 of the sampled users."""
    rows, items = positions(model, test)
    keep = (test["rating"].to_numpy() >= RELEVANT) & (rows >= 0) & (items >= 0)
    where = np.searchsorted(users, rows[keep]).clip(0, len(users) - 1)
    hit = users[where] == rows[keep]
    relevant = np.zeros((len(users), len(model.title_ids)), bool)
    relevant[where[hit], items[keep][hit]] = True
    return relevant


def rated_mask(model: HybridRecommender, users: np.ndarray) -> np.ndarray:
    """(users, titles) booleans: titles each user rated in the fitted (training) data."""
    mask = np.zeros((len(users), len(model.title_ids)), bool)
    for n, user in enumerate(users):
        mask[n, model.rated_rows(user)] = True
    return mask


def user_batches(model: HybridRecommender, test: pd.DataFrame, users: np.ndarray,
                 anchors: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The sampled users in batches of BATCH: (users, their chosen titles, relevant matrix, rated mask) each."""
    for start in range(0, len(users), BATCH):
        batch = slice(start, start + BATCH)
        yield users[batch], anchors[batch], relevant_matrix(model, test, users[batch]), rated_mask(model, users[batch])


def outside_neighbours(similarity: np.ndarray, excluded: np.ndarray, candidates: int) -> np.ndarray:
    """(users, titles) booleans: True off each row's `candidates` most similar unexcluded titles (as `recommend`
    ranks only the chosen title's nearest neighbours)."""
    outside = np.ones_like(excluded)
    np.put_along_axis(outside, top_rows(similarity, excluded, candidates), False, axis=1)
    return outside


def top_rows(scores: np.ndarray, excluded: np.ndarray, k: int = K) -> np.ndarray:
    """Per row, the column positions of the k best scores, best first, leaving out excluded cells."""
    scores = np.where(excluded, -np.inf, scores)
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def ranking_sums(top: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """Summed precision, recall and NDCG at k over the rows of a batch."""
    hits = np.take_along_axis(relevant, top, axis=1)
    n_relevant = relevant.sum(axis=1)
    discounts = 1 / np.log2(np.arange(2, top.shape[1] + 2))
    ideal = np.cumsum(discounts)[np.minimum(n_relevant, top.shape[1]) - 1]
    return np.array([hits.mean(axis=1).sum(), (hits.sum(axis=1) / n_relevant).sum(),
                     ((hits * discounts).sum(axis=1) / ideal).sum()])


def model_scores(model: HybridRecommender, users: np.ndarray, anchors: np.ndarray) -> dict[str, np.ndarray]:
    """Score of every title for a batch of users, per ranking model."""
    parts = model.components(users, anchors)
    return {"popularity": parts["popularity"], "content": parts["profile"],
            "ratings": scale_rating(model.predict_all(users, "ratings")), "hybrid": model.blend(parts)}


def ranking_metrics(model: HybridRecommender, train: pd.DataFrame, test: pd.DataFrame,
                    n_users: int = RANK_USERS, seed: int = SPLIT_SEED) -> dict[str, dict]:
    """Precision, recall, NDCG and coverage at 10 of each ranking model for sampled held-out users."""
    users = sample_users(model, test, n_users, seed)
    anchors = anchors_of(model, train, users)
    sums = {name: np.zeros(3) for name in RANKING_MODELS}
    shown = {name: np.zeros(len(model.title_ids), bool) for name in RANKING_MODELS}
    for batch, chosen, relevant, excluded in user_batches(model, test, users, anchors):
        for name, scores in model_scores(model, batch, chosen).items():
            top = top_rows(scores, excluded)
            sums[name] += ranking_sums(top, relevant)
            shown[name][top.ravel()] = True
    return {name: {f"precision@{K}": round(float(sums[name][0] / len(users)), 4),
                   f"recall@{K}": round(float(sums[name][1] / len(users)), 4),
                   f"ndcg@{K}": round(float(sums[name][2] / len(users)), 4),
                   f"coverage@{K}": round(float(shown[name].mean()), 4)} for name in RANKING_MODELS}


# ---------------------------------------------------------------------------------------------- tuning
def weight_grid(step: float = 0.1) -> list[dict[str, float]]:
    """Score weights on a simplex grid (rating, profile, popularity summing to one)."""
    n = round(1 / step)
    return [{"rating": a * step, "profile": b * step, "popularity": (n - a - b) * step}
            for a, b in itertools.product(range(n + 1), repeat=2) if a + b <= n]


def tune_score_weights(model: HybridRecommender, train: pd.DataFrame, valid: pd.DataFrame,
                       n_users: int = RANK_USERS) -> tuple[dict[str, float], float]:
    """The score weights with the best validation NDCG@10 when ranking, as `recommend` does, the chosen title's
    nearest neighbours; and that NDCG."""
    users = sample_users(model, valid, n_users, SPLIT_SEED + 1)
    anchors = anchors_of(model, train, users)
    grid = weight_grid()
    ndcg = np.zeros(len(grid))
    for batch, chosen, relevant, excluded in user_batches(model, valid, users, anchors):
        parts = model.components(batch, chosen)
        outside = outside_neighbours(parts["similarity"], excluded, model.params.candidates)
        for n, weights in enumerate(grid):
            ndcg[n] += ranking_sums(top_rows(model.blend(parts, weights), excluded | outside), relevant)[2]
    best = int(np.argmax(ndcg))
    return {name: round(value, 3) for name, value in grid[best].items()}, float(ndcg[best] / len(users))


def tune_new_user_weight(model: HybridRecommender, train: pd.DataFrame, valid: pd.DataFrame,
                         n_users: int = RANK_USERS) -> tuple[float, float]:
    """Cold start: the similarity weight with the best validation NDCG@10 when users are treated as new (only
    the chosen title known) and the chosen title's nearest neighbours are ranked."""
    users = sample_users(model, valid, n_users, SPLIT_SEED + 1)
    anchors = anchors_of(model, train, users)
    title_mean = scale_rating(np.clip(model.mean + model.item_bias, 0.5, 5.0))
    grid = np.arange(11) / 10
    ndcg = np.zeros(len(grid))
    for _, chosen, relevant, excluded in user_batches(model, valid, users, anchors):
        similarity = model.content.similarities_many(chosen)
        outside = outside_neighbours(similarity, excluded, model.params.candidates)
        for n, weight in enumerate(grid):
            scores = model.new_user_scores(similarity, title_mean, weight)
            ndcg[n] += ranking_sums(top_rows(scores, excluded | outside), relevant)[2]
    best = int(np.argmax(ndcg))
    return round(float(grid[best]), 3), float(ndcg[best] / len(users))


def tune(titles: pd.DataFrame, train: pd.DataFrame, n_users: int = RANK_USERS) -> dict:
    """Ranking weights chosen on a validation split of the training ratings (the rating blend is learned by
    every fit itself)."""
    fit_part, valid = split_ratings(train, SPLIT_SEED + 1)
    model = HybridRecommender().fit(titles, fit_part)
    score_weights, ndcg = tune_score_weights(model, fit_part, valid, n_users)
    model.params = replace(model.params, **{f"{name}_weight": value for name, value in score_weights.items()})
    new_user_weight, new_user_ndcg = tune_new_user_weight(model, fit_part, valid, n_users)
    return {**{f"{name}_weight": value for name, value in score_weights.items()},
            "new_user_similarity_weight": new_user_weight,
            "learned_blend_weights": [round(float(w), 3) for w in model.blend_weights],
            "validation_rmse": rating_metrics(model, fit_part, valid)["hybrid"]["rmse"],
            "validation_neighbourhood_ndcg@10": round(ndcg, 4),
            "validation_new_user_ndcg@10": round(new_user_ndcg, 4)}


# ---------------------------------------------------------------------------------------------- report
def evaluate(titles: pd.DataFrame, ratings: pd.DataFrame, n_users: int = RANK_USERS,
             with_surprise: bool = False, fit_parts=None) -> dict:
    """Fit on the training part with the defaults (fit_parts: see HybridRecommender.fit); rating and ranking
    figures on the held-out part."""
    train, test = split_ratings(ratings)
    started = time.perf_counter()
    model = HybridRecommender().fit(titles, train, fit_parts=fit_parts)
    fit_seconds = time.perf_counter() - started
    rating = rating_metrics(model, train, test)
    if with_surprise:
        rating["surprise_svd"] = surprise_metrics(train, test)
    ranking = ranking_metrics(model, train, test, n_users)
    return {"rating": rating, "ranking": ranking,
            "setup": {"train_ratings": len(train), "test_ratings": len(test), "titles": len(titles),
                      "ranked_users": int(min(n_users, len(sample_users(model, test, n_users, SPLIT_SEED)))),
                      "split_seed": SPLIT_SEED, "fit_seconds": round(fit_seconds, 1)}}


def markdown(results: dict) -> str:
    """The figures as two markdown tables."""
    setup = results["setup"]
    lines = [f"Hold-out: {setup['test_ratings']:,} of {setup['train_ratings'] + setup['test_ratings']:,} ratings "
             f"(seed {setup['split_seed']}); hybrid fit on the rest in {setup['fit_seconds']} s.", "",
             "| rating model | RMSE | MAE |", "|---|---:|---:|"]
    for name, row in results["rating"].items():
        extra = f" (fit {row['fit_seconds']} s)" if "fit_seconds" in row else ""
        lines.append(f"| {name}{extra} | {row['rmse']:.4f} | {row['mae']:.4f} |")
    lines += ["", f"Top-{K} ranking for {setup['ranked_users']:,} held-out users (relevant: held-out rating "
              f">= {RELEVANT}; every title not rated in training ranked):", "",
              f"| ranking model | precision@{K} | recall@{K} | NDCG@{K} | coverage@{K} |", "|---|---:|---:|---:|---:|"]
    for name, row in results["ranking"].items():
        lines.append(f"| {name} | {row[f'precision@{K}']:.4f} | {row[f'recall@{K}']:.4f} | "
                     f"{row[f'ndcg@{K}']:.4f} | {row[f'coverage@{K}']:.4f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    from core.catalog import load_catalog

    parser = argparse.ArgumentParser(prog="python -m core.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="raw data dir (default: $STREAMING_DATA_DIR, else the demo data)")
    parser.add_argument("--out", type=Path, help="write the figures here (JSON; markdown for a .md name)")
    parser.add_argument("--users", type=int, default=RANK_USERS, help="held-out users ranked")
    parser.add_argument("--surprise", action="store_true", help="add scikit-surprise SVD() (needs scikit-surprise)")
    parser.add_argument("--tune", action="store_true", help="choose the blend weights on a validation split")
    parser.add_argument("--engine", choices=("local", "spark"), default="local",
                        help="fit the rating parts here (default) or on Spark, as `core.build --engine` does")
    parser.add_argument("--master", help="Spark master for --engine spark (default: local[*])")
    args = parser.parse_args(argv)
    spark = None
    if args.engine == "spark":
        from core.errors import DataError
        from core.spark_session import SparkBuild

        try:
            spark = SparkBuild(args.master)
        except DataError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    catalog = load_catalog(args.data_dir)
    ratings = catalog.ratings(["user_id", "id", "rating", "timestamp"])
    if args.tune:
        tuned = tune(catalog.titles, split_ratings(ratings)[0], args.users)
        print(json.dumps(tuned, indent=2))
        return 0
    try:
        results = evaluate(catalog.titles, ratings, args.users, args.surprise, spark and spark.fit_parts)
    finally:
        if spark is not None:
            spark.stop()
    print(markdown(results))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        text = markdown(results) if args.out.suffix == ".md" else json.dumps(results, indent=2)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
