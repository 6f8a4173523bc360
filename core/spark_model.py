"""The recommender's rating parts fitted on Apache Spark, for HybridRecommender.fit(..., fit_parts=SparkFitter(spark)).

The same model as core.ratings_model, step by step:
- biases: the same six rounds of alternating regularised means, each a Spark aggregation (GROUP BY title, then
  GROUP BY user, against the other side's biases joined in);
- latent factors: MLlib's ALS (pyspark.ml.recommendation.ALS, explicit) on the bias residuals, rank and
  iterations as Params. MLlib regularises each user's (title's) factors by regParam times their rating count
  (ALS-WR); ours by a constant λ. ALS's fit is unchanged when the users' factors are scaled by c and the titles'
  by 1/c, so only the product of the two sides' penalties matters: with typical counts N/users and N/titles,
  λ|p|² + λ|q|² matches regParam (N/users |p|² + N/titles |q|²) when regParam = λ · sqrt(users · titles) / N.
- tastes, and the implicit priors of tastes and factors: grouped pandas UDFs (applyInPandas) over groups of users
  (user row modulo the number of groups), each solving its users' ridge regressions at once with the local
  model's own batched solver (RowBlocks); a prior map is a small ridge regression whose Gram and cross products
  the groups sum and the driver solves. The final pass re-solves each user's factors against MLlib's title
  factors with the local model's constant λ, shrunk towards their prior (one ALS half-step with the prior).
- blend weights: non-negative least squares on the same validation slice as locally, from the 2x2 Gram and
  cross products the groups sum.
Exact equality with the local model is impossible (MLlib's random start, ALS-WR, no warm start), so the
check is the evaluation's RMSE (README, Scaling out).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from core.errors import StreamingError
from core.progress import Progress
from core.ratings_model import (IndexedRatings, RatingParts, RowBlocks, context_rows, prior_sums, solve_prior_map,
                                validation_mask)
from core.spark_session import spark_problem

BUCKET_RATINGS = 500_000  # ratings per group of users one pandas UDF call solves
BIAS_ROUNDS = 6  # as core.ratings_model.fit_biases
PASS_SCHEMA = "part string, user int, vec array<double>"


@dataclass(frozen=True)
class PassPlan:
    """What one pass over the groups of users computes (sent to the executors with the arrays it needs)."""

    features: np.ndarray
    item_factors: np.ndarray
    centre: np.ndarray
    mean_log: float
    taste_reg: float
    factor_reg: float
    taste_map: np.ndarray | None  # None: tastes shrunk towards zero
    factor_map: np.ndarray | None  # None: MLlib's user factors kept
    taste_sums: bool  # sums for the next taste map
    factor_sums: bool  # sums for the factors' prior map (against MLlib's user factors)
    final: bool  # per-user vectors and the blend sums of the validation rows


# ---------------------------------------------------------------------------------------------- executor side
def solve_group(rows: pd.DataFrame, factors: pd.DataFrame, plan: Any) -> pd.DataFrame:
    """One group of users (pandas UDF): their tastes and, as the plan says, prior sums, re-solved factors and the
    blend sums of their validation rows. `rows`: user, item, residual, held; `factors`: MLlib's user, vec."""
    with threadpool_limits(1):
        return _solve_group(rows, factors, plan.value)


def _solve_group(rows: pd.DataFrame, factors: pd.DataFrame, plan: PassPlan) -> pd.DataFrame:
    """solve_group within one BLAS thread."""
    users, local = np.unique(rows["user"].to_numpy(np.int32), return_inverse=True)
    item, residual = rows["item"].to_numpy(np.int32), rows["residual"].to_numpy(np.float32)
    train, held = ~rows["held"].to_numpy(bool), rows["held"].to_numpy(bool)
    n_items = len(plan.features)
    blocks = RowBlocks(local[train], item[train], len(users), n_items)
    weights = (1 / np.maximum(blocks.counts, 1)).astype(np.float32)[local[train]]
    means = sp.csr_matrix((weights, (local[train], item[train])), shape=(len(users), n_items), dtype=np.float32)
    context = context_rows(np.asarray(means @ plan.features[:, :-1]), blocks.counts, plan.centre, plan.mean_log)
    prior = None if plan.taste_map is None else context @ plan.taste_map
    taste = blocks.solve(plan.features, residual[train], plan.taste_reg, prior)
    out = []
    if plan.taste_sums:
        out.append(("taste_sums", _flat(*prior_sums(context, taste, blocks.counts))))
    inputs = np.hstack([context, np.asarray(means @ plan.item_factors)])
    mllib = np.zeros((len(users), plan.item_factors.shape[1]), np.float32)
    if len(factors):
        mllib[np.searchsorted(users, factors["user"].to_numpy())] = np.stack(factors["vec"].to_numpy())
    if plan.factor_sums:
        out.append(("factor_sums", _flat(*prior_sums(inputs, mllib, blocks.counts))))
    if plan.final:
        user_factors = mllib if plan.factor_map is None else blocks.solve(
            plan.item_factors, residual[train], plan.factor_reg, inputs @ plan.factor_map)
        parts = np.column_stack([np.einsum("nk,nk->n", taste[local[held]], plan.features[item[held]]),
                                 np.einsum("nk,nk->n", user_factors[local[held]], plan.item_factors[item[held]])])
        parts = parts.astype(np.float64)
        out.append(("blend_sums", _flat(parts.T @ parts, parts.T @ residual[held].astype(np.float64),
                                         np.array([held.sum()]))))
        vectors = np.hstack([taste, user_factors]).astype(np.float64)
        return pd.DataFrame({"part": ["user"] * len(users) + [name for name, _ in out],
                             "user": np.r_[users, np.full(len(out), -1)].astype(np.int32),
                             "vec": [*vectors, *(vec for _, vec in out)]})
    return pd.DataFrame({"part": [name for name, _ in out], "user": np.full(len(out), -1, np.int32),
                         "vec": [vec for _, vec in out]})


def _flat(*arrays: np.ndarray) -> np.ndarray:
    """Arrays as one float64 vector (summed across groups, split again on the driver)."""
    return np.concatenate([np.asarray(a, np.float64).ravel() for a in arrays])


# ---------------------------------------------------------------------------------------------- driver side
def als_reg_param(factor_reg: float, user_counts: np.ndarray, item_counts: np.ndarray) -> float:
    """MLlib's regParam (scaled by each side's rating counts) equivalent to a constant λ (see the module doc):
    λ over the geometric mean of the rating-weighted mean counts of users and titles."""
    n_ratings = max(int(user_counts.sum()), 1)
    typical = [float((counts.astype(np.float64) ** 2).sum()) / n_ratings for counts in (user_counts, item_counts)]
    return factor_reg / math.sqrt(max(typical[0] * typical[1], 1.0))


def blend_from_sums(gram: np.ndarray, cross: np.ndarray, n: float) -> np.ndarray:
    """The non-negative least-squares weights of `RatingParts.blend_weights` from X'X and X'y alone:
    |Ax - b|² with A'A = X'X and A'b = X'y has the same minimiser."""
    from scipy.optimize import nnls

    if n < 2:
        return np.zeros(2, np.float32)
    values, vectors = np.linalg.eigh(gram)
    keep = values > 1e-12 * max(values.max(), 1e-300)
    roots = np.sqrt(values[keep])
    weights, _ = nnls(roots[:, None] * vectors[:, keep].T, (vectors[:, keep].T @ cross) / roots)
    return weights.astype(np.float32)


class SparkFitter:
    """Fits the rating parts and their blend weights on a Spark session (a PartsFitter)."""

    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self.groups = self.n_users = 0  # set by each fit

    def __call__(self, data: IndexedRatings, features: np.ndarray, p, progress: Progress
                 ) -> tuple[RatingParts, np.ndarray]:
        try:
            return self._fit(data, features, p, progress)
        except StreamingError:
            raise
        except Exception as exc:  # noqa: BLE001 -- Spark's errors are Java exceptions in Python clothes
            raise spark_problem(exc, "fitting the recommender on Spark") from None

    def _fit(self, data: IndexedRatings, features: np.ndarray, p, progress: Progress
             ) -> tuple[RatingParts, np.ndarray]:
        self.n_users = len(data.user_ids)
        rows = self._rows(data, validation_mask(len(data.value), p.validation, p.seed))
        shape = (len(data.user_ids), len(features))
        try:
            with progress.stage("rating parts", total=3 + p.prior_rounds, unit="steps"):
                first, sums = self._parts(rows, shape, features, p, progress.advance, train_only=True)
            with progress.stage("blend weights"):
                weights = blend_from_sums(sums[:4].reshape(2, 2), sums[4:6], sums[6])
            with progress.stage("rating parts on all ratings", total=4, unit="steps"):
                final, _ = self._parts(rows, shape, features, p, progress.advance, train_only=False,
                                       taste_map=first.taste_map)
        finally:
            rows.unpersist()
        return final, weights

    def _rows(self, data: IndexedRatings, held: np.ndarray) -> Any:
        """The ratings as a cached Spark frame (user, item, value, held, group), partitioned by group. They come
        from the driver: the saved model keeps every rating (each user's rated titles), so it holds them anyway."""
        from pyspark.sql import functions as F

        self.groups = max(2 * self.spark.sparkContext.defaultParallelism, -(-len(data.value) // BUCKET_RATINGS))
        table = pa.table({"user": data.user, "item": data.item, "value": data.value, "held": held})
        frame = self.spark.createDataFrame(table).withColumn("bucket", F.col("user") % self.groups)
        frame = frame.repartition(self.groups, "bucket").persist()
        frame.count()
        return frame

    def _parts(self, rows: Any, shape: tuple[int, int], features: np.ndarray, p, step: Callable[[], None],
               train_only: bool, taste_map: np.ndarray | None = None) -> tuple[RatingParts, np.ndarray]:
        """Biases, MLlib factors, tastes and prior-shrunk user factors on the rows (train_only: without the
        validation slice, whose blend sums come back too); taste_map: start from it (no prior rounds)."""
        from pyspark.sql import functions as F

        train = rows.where(~F.col("held")) if train_only else rows
        mean, user_bias, item_bias, user_counts, item_counts = self._biases(train, shape, p.bias_reg)
        step()
        scored = self._residuals(rows, mean, user_bias, item_bias, train_only).persist()
        try:
            user_factors, item_factors = self._als(scored.where(~F.col("held")), user_counts, item_counts, p)
            step()
            weights = np.maximum(user_counts, 1)
            plan = functools.partial(PassPlan, features=features, item_factors=item_factors,
                                     centre=(item_counts @ features[:, :-1].astype(np.float64)) / weights.sum(),
                                     mean_log=float(np.log(weights).mean()), taste_reg=p.taste_reg,
                                     factor_reg=p.factor_reg)
            try:
                final, taste_map = self._tastes(scored, user_factors, plan, p, step, taste_map)
            finally:
                user_factors.unpersist()
        finally:
            scored.unpersist()
        taste, factors = np.split(final["user"], [features.shape[1]], axis=1)
        parts = RatingParts(mean, user_bias, item_bias, taste, taste_map, factors, item_factors, None, None)
        return parts, final.get("blend_sums", np.zeros(7))

    def _tastes(self, scored: Any, user_factors: Any, plan: Callable[..., PassPlan], p, step: Callable[[], None],
                taste_map: np.ndarray | None) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
        """The passes over the groups of users: the factors' prior map (from MLlib's user factors) with the first
        taste map's sums, p.prior_rounds relearnings of the taste map (none when starting from `taste_map`),
        then the final pass; its outputs and the last taste map."""
        rounds = p.prior_rounds if taste_map is None else 0
        inputs = len(plan.keywords["features"][0]) + 1
        sums = self._pass(scored, user_factors, plan(taste_map=taste_map, factor_map=None, taste_sums=rounds > 0,
                                                     factor_sums=True, final=False))
        factor_map = self._prior_map(sums["factor_sums"], inputs + p.factors, p.factors)
        step()
        for round_ in range(rounds):
            if round_:
                sums = self._pass(scored, user_factors, plan(taste_map=taste_map, factor_map=None, taste_sums=True,
                                                             factor_sums=False, final=False))
                step()
            taste_map = self._prior_map(sums["taste_sums"], inputs, inputs - 1)
        final = self._pass(scored, user_factors, plan(taste_map=taste_map, factor_map=factor_map, taste_sums=False,
                                                      factor_sums=False, final=True))
        step()
        return final, taste_map

    def _biases(self, train: Any, shape: tuple[int, int], reg: float):
        """Global mean, user and title biases (alternating regularised means, each round two aggregations whose
        results stay in Spark), and the users' and titles' rating counts."""
        from pyspark.sql import functions as F

        mean = float(train.agg(F.avg(F.col("value").cast("double"))).first()[0])
        user_bias = None
        for _ in range(BIAS_ROUNDS):
            item_bias = self._bias_round(train, "item", "user", user_bias, mean, reg)
            user_bias = self._bias_round(train, "user", "item", item_bias, mean, reg)
        (user_bias, user_counts), (item_bias, item_counts) = (self._collect(frame, size) for frame, size in
                                                              ((user_bias, shape[0]), (item_bias, shape[1])))
        return mean, user_bias.astype(np.float32), item_bias.astype(np.float32), user_counts, item_counts

    @staticmethod
    def _bias_round(train: Any, side: str, other: str, other_bias: Any, mean: float, reg: float) -> Any:
        """One side's biases (id, bias, n): the regularised mean of its ratings' residuals of the mean and of the
        other side's biases (None: zero), computed now (a local checkpoint: the next round starts from it)."""
        from pyspark.sql import functions as F

        residual = F.col("value").cast("double") - F.lit(mean)
        if other_bias is not None:
            train = train.join(other_bias.select(F.col("id").alias(other), "bias"), other, "left")
            residual = residual - F.coalesce(F.col("bias"), F.lit(0.0))
        totals = train.groupBy(F.col(side).alias("id")).agg(F.sum(residual).alias("total"), F.count("*").alias("n"))
        return totals.select("id", (F.col("total") / (F.col("n") + F.lit(reg))).alias("bias"), "n").localCheckpoint()

    @staticmethod
    def _collect(frame: Any, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Biases and counts (id, bias, n) as arrays over every row (zero where none)."""
        table = frame.toArrow()
        ids = table["id"].to_numpy()
        bias, count = np.zeros(size), np.zeros(size, np.int64)
        bias[ids], count[ids] = table["bias"].to_numpy(), table["n"].to_numpy()
        return bias, count

    def _vector_frame(self, key: str, values: np.ndarray) -> Any:
        """A per-user or per-title number as a Spark frame (key, bias)."""
        return self.spark.createDataFrame(pa.table({key: pa.array(np.arange(len(values)), pa.int32()),
                                                    "bias": values.astype(np.float64)}))

    def _residuals(self, rows: Any, mean: float, user_bias: np.ndarray, item_bias: np.ndarray,
                   keep_held: bool) -> Any:
        """The rows with each rating's residual of the biases (float, as the local model's); keep_held: the
        validation slice stays marked (else every row is fitted)."""
        from pyspark.sql import functions as F

        users = self._vector_frame("user", user_bias).withColumnRenamed("bias", "user_bias")
        items = self._vector_frame("item", item_bias).withColumnRenamed("bias", "item_bias")
        residual = F.col("value").cast("double") - F.lit(mean) - F.col("user_bias") - F.col("item_bias")
        return (rows.join(users, "user").join(items, "item")
                .select("user", "item", residual.cast("float").alias("residual"),
                        F.col("held") if keep_held else F.lit(False).alias("held"), "bucket"))

    def _als(self, train: Any, user_counts: np.ndarray, item_counts: np.ndarray, p) -> tuple[Any, np.ndarray]:
        """MLlib's ALS on the residuals: the users' factors as a Spark frame (user, vec, bucket) and the titles'
        as an array (zeros for titles without ratings)."""
        from pyspark.ml.recommendation import ALS
        from pyspark.sql import functions as F

        reg = als_reg_param(p.factor_reg, user_counts, item_counts)
        blocks = self.spark.sparkContext.defaultParallelism  # a block per core: each factor is sent to fewer blocks
        model = ALS(rank=p.factors, maxIter=p.iterations, regParam=reg, userCol="user", itemCol="item",
                    ratingCol="residual", implicitPrefs=False, nonnegative=False, seed=p.seed,
                    numUserBlocks=blocks, numItemBlocks=blocks).fit(train)
        items = model.itemFactors.toArrow()
        item_factors = np.zeros((len(item_counts), p.factors), np.float32)
        item_factors[items["id"].to_numpy()] = self._matrix(items["features"], p.factors)  # float32 -> float32
        users = model.userFactors.select(F.col("id").alias("user"), F.col("features").alias("vec"))
        return users.withColumn("bucket", F.col("user") % self.groups).persist(), item_factors

    @staticmethod
    def _matrix(column: pa.ChunkedArray, width: int | None) -> np.ndarray:
        """A column of equal-length lists as a (rows, width) array (width None: the lists' length)."""
        column = column.combine_chunks()
        width = width or len(column[0])
        return column.flatten().to_numpy().reshape(-1, width)

    def _pass(self, scored: Any, user_factors: Any, plan: PassPlan) -> dict[str, np.ndarray]:
        """One pass over the groups of users: the sums added up over the groups, and the per-user vectors."""
        shared = self.spark.sparkContext.broadcast(plan)
        try:
            table = (scored.groupBy("bucket").cogroup(user_factors.groupBy("bucket"))
                     .applyInPandas(functools.partial(solve_group, plan=shared), PASS_SCHEMA).toArrow())
        finally:
            shared.unpersist()
        parts = table["part"].to_numpy(zero_copy_only=False)
        out: dict[str, np.ndarray] = {}
        for name in ("taste_sums", "factor_sums", "blend_sums", "user"):
            chosen = np.flatnonzero(parts == name)
            if len(chosen):
                out[name] = self._matrix(table["vec"].take(chosen), None)
        if "user" in out:  # a row per user, in the users' order
            vectors = out["user"]
            out["user"] = np.zeros((self.n_users, vectors.shape[1]), np.float32)
            out["user"][table["user"].to_numpy()[parts == "user"]] = vectors
        return {name: value if name == "user" else value.sum(axis=0) for name, value in out.items()}

    @staticmethod
    def _prior_map(sums: np.ndarray, inputs: int, targets: int) -> np.ndarray:
        """A prior map from the summed Gram matrix (inputs x inputs) and cross products (inputs x targets)."""
        gram, cross = np.split(sums, [inputs * inputs])
        return solve_prior_map(gram.reshape(inputs, inputs).astype(np.float32),
                               cross.reshape(inputs, targets).astype(np.float32))
