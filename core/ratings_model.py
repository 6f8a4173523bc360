"""Rating models fitted with vectorised numpy: regularised biases, per-user ridge tastes, ALS latent factors, each
user's parts shrunk towards what the titles they chose to rate predict (implicit feedback, as in SVD++)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

# Elements of one gathered (users, ratings, dims) chunk (8 MB): small enough to stay in the cache for the
# conjugate-gradient steps' repeated passes (2x faster than 32 MB chunks on the real data), large enough that the
# per-chunk work (allocations, page faults, thread hand-offs) stays small (4 MB chunks: solves 25 % slower, fit 3-5 s).
CHUNK_ELEMENTS = 2_000_000
WORKERS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


@dataclass(frozen=True)
class IndexedRatings:
    """Ratings as positions: user row, title row and value, with the user ids of the rows."""

    user: np.ndarray  # int32 row in user_ids
    item: np.ndarray  # int32 row in the titles
    value: np.ndarray  # float32
    user_ids: np.ndarray  # int64, sorted


def fit_biases(data: IndexedRatings, n_items: int, reg_user: float, reg_item: float,
               rounds: int = 6) -> tuple[float, np.ndarray, np.ndarray]:
    """Global mean, user and title biases by alternating regularised means of the residuals."""
    n_users = len(data.user_ids)
    mean = float(data.value.mean(dtype=np.float64))
    user_count = np.bincount(data.user, minlength=n_users)
    item_count = np.bincount(data.item, minlength=n_items)
    centred = data.value.astype(np.float64) - mean
    user_sum, item_sum = np.bincount(data.user, centred, n_users), np.bincount(data.item, centred, n_items)
    # A title's sum of (centred - its raters' biases) is its centred sum minus rated @ user_bias: two sparse
    # products a round instead of two gathers and weighted bincounts over every rating (1.8 s -> 0.7 s on 11M).
    rated = sp.csr_matrix((np.ones(len(data.user)), (data.user, data.item)), shape=(n_users, n_items))
    user_bias = np.zeros(n_users)
    for _ in range(rounds):
        item_bias = (item_sum - rated.T @ user_bias) / (item_count + reg_item)
        user_bias = (user_sum - rated @ item_bias) / (user_count + reg_user)
    return mean, user_bias.astype(np.float32), item_bias.astype(np.float32)


class RowBlocks:
    """The ratings of each entity (user or title) in padded blocks of entities with similar counts.

    Batched solves need equal-length rows; grouping by counts that grow 1.1x a block keeps the padding under
    ~10 % (5 % on the real data, where 1.25x steps padded 12 % and cost ~5 % more solve time).
    Padding points at one extra zero row of the other side's factors and one extra zero residual.
    """

    def __init__(self, entity: np.ndarray, other: np.ndarray, n_entities: int, n_other: int, growth: float = 1.1):
        # As 16-bit keys where they fit (the titles), numpy's stable sort is a radix sort: 3x faster on 11M.
        order = np.argsort(entity.astype(np.uint16) if n_entities <= 1 << 16 else entity, kind="stable").astype(
            np.int32)
        self.counts = np.bincount(entity, minlength=n_entities)
        starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]])
        by_count = np.argsort(self.counts, kind="stable")
        counts = self.counts[by_count]
        edges = np.unique(np.round(growth ** np.arange(0, np.log(max(counts.max(), 2)) / np.log(growth) + 2)))
        bucket = np.searchsorted(edges, counts)
        self.blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for b in np.unique(bucket[counts > 0]):
            members = by_count[bucket == b]
            width = int(self.counts[members].max())
            offsets = np.arange(width)
            valid = offsets[None, :] < self.counts[members][:, None]
            positions = np.where(valid, starts[members][:, None] + offsets[None, :], 0)
            rows = np.where(valid, order[positions], len(entity)).astype(np.int32)
            others = np.where(valid, other[order[positions]], n_other).astype(np.int32)
            self.blocks.append((members.astype(np.int32), rows, others))
        self._residual: np.ndarray | None = None
        self._block_residuals: list[np.ndarray] = []

    def block_residuals(self, residual: np.ndarray) -> list[np.ndarray]:
        """The residual at each block's rows (padding 0), gathered once per residual array: every solve of a fit
        uses the same residual, and the titles' random gather cost 23 % of their solve on the real data."""
        if residual is not self._residual:
            padded = np.append(residual, np.float32(0)).astype(np.float32)
            self._block_residuals = [padded[rows] for _, rows, _ in self.blocks]
            self._residual = residual
        return self._block_residuals

    def solve(self, factors: np.ndarray, residual: np.ndarray, reg: float, prior: np.ndarray | None = None,
              start: np.ndarray | None = None, steps: int = 0) -> np.ndarray:
        """Per entity, argmin_x sum (residual - x . factor_other)^2 + reg * |x - prior|^2 (prior 0 if None): in
        closed form, or with `start` by `steps` conjugate-gradient steps from it."""
        dims = factors.shape[1]
        padded_factors = np.vstack([factors, np.zeros((1, dims), np.float32)]).astype(np.float32)
        out = np.zeros((len(self.counts), dims), np.float32) if prior is None else prior.astype(np.float32)
        ridge = np.eye(dims, dtype=np.float32) * np.float32(reg)

        def solve_chunk(chunk: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
            members, values, others = chunk
            gathered = np.take(padded_factors, others, axis=0)  # (batch, width, dims)
            if start is not None:
                out[members] = conjugate_gradient(gathered, values, np.float32(reg),
                                                  None if prior is None else prior[members], start[members], steps)
                return
            rhs = (values[:, None, :] @ gathered)[:, 0]
            if prior is not None:
                rhs += np.float32(reg) * prior[members]
            gram = gathered.transpose(0, 2, 1) @ gathered + ridge
            out[members] = np.linalg.solve(gram, rhs[..., None])[..., 0]

        # Thousands of tiny solves: one BLAS thread each, and the chunks spread over the cores instead.
        with threadpool_limits(1), ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(solve_chunk, self.chunks(dims, self.block_residuals(residual))))
        return out

    def chunks(self, dims: int, block_residuals: list[np.ndarray]):
        """(members, residual values, others) slices of the blocks, each of about CHUNK_ELEMENTS gathered factor
        values."""
        for (members, rows, others), values in zip(self.blocks, block_residuals):
            step = max(1, CHUNK_ELEMENTS // (rows.shape[1] * dims))
            for s in range(0, len(members), step):
                yield members[s:s + step], values[s:s + step], others[s:s + step]


def conjugate_gradient(gathered: np.ndarray, residual: np.ndarray, reg: np.float32, prior: np.ndarray | None,
                       start: np.ndarray, steps: int) -> np.ndarray:
    """`steps` Jacobi-preconditioned CG steps from start[b] on each ridge problem
    (gathered[b]^T gathered[b] + reg I) x = gathered[b]^T residual[b] + reg prior[b] (prior 0 if None):
    O(width * dims) a step instead of the closed form's O(width * dims^2) Gram and O(dims^3) solve (Takacs et al.,
    "Applications of the conjugate gradient method for implicit feedback collaborative filtering")."""

    def times_matrix(vectors: np.ndarray) -> np.ndarray:
        """(gathered^T gathered + reg I) @ vectors, per batch row, without forming the Gram."""
        return ((gathered @ vectors[..., None])[..., 0][:, None, :] @ gathered)[:, 0] + reg * vectors

    x = start.astype(np.float32)
    inverse_diagonal = 1 / (np.einsum("bwd,bwd->bd", gathered, gathered) + reg)
    # The first remainder in one pass over gathered: gathered^T (residual - gathered x) + reg (prior - x).
    errors = residual - (gathered @ x[..., None])[..., 0]
    remainder = (errors[:, None, :] @ gathered)[:, 0] - reg * (x if prior is None else x - prior)
    scaled = remainder * inverse_diagonal
    direction, along = scaled, np.einsum("bd,bd->b", remainder, scaled)
    for _ in range(steps):
        product = times_matrix(direction)
        curvature = np.einsum("bd,bd->b", direction, product)
        # A converged row has a zero direction (zero curvature): it keeps its x.
        alpha = np.divide(along, curvature, out=np.zeros_like(along), where=curvature > 0)
        x += alpha[:, None] * direction
        remainder -= alpha[:, None] * product
        scaled = remainder * inverse_diagonal
        next_along = np.einsum("bd,bd->b", remainder, scaled)
        beta = np.divide(next_along, along, out=np.zeros_like(along), where=along > 0)
        direction, along = scaled + beta[:, None] * direction, next_along
    return x


def row_dots(left: np.ndarray, right: np.ndarray, left_rows: np.ndarray, right_rows: np.ndarray,
             chunk: int = 16_384) -> np.ndarray:
    """left[left_rows[n]] . right[right_rows[n]] for every n, in chunks (no (n_ratings, dims) array; chunks
    that stay in a core's cache: 15x faster than chunks of a million rows)."""
    out = np.empty(len(left_rows), np.float32)
    for s in range(0, len(left_rows), chunk):
        out[s:s + chunk] = np.einsum("nk,nk->n", left[left_rows[s:s + chunk]], right[right_rows[s:s + chunk]])
    return out


class RowBands:
    """A CSR matrix cut into row bands, one per core: its products with dense matrices run on the cores at once
    (scipy's sparse products release the GIL). The rated means' product with the title factors, once an ALS round,
    took 0.35 s on one core on the real data."""

    def __init__(self, matrix: sp.csr_matrix, bands: int = WORKERS) -> None:
        edges = np.linspace(0, matrix.shape[0], bands + 1).astype(int)
        self.bands = [matrix[start:stop] for start, stop in zip(edges[:-1], edges[1:])]
        self.shape = matrix.shape

    def __matmul__(self, dense: np.ndarray) -> np.ndarray:
        with ThreadPoolExecutor(len(self.bands)) as pool:
            return np.vstack(list(pool.map(lambda band: np.asarray(band @ dense), self.bands)))


def rated_means(data: IndexedRatings, n_items: int) -> RowBands:
    """(users, titles) matrix whose row u averages over the titles u rated: `rated_means @ V` is each user's mean
    of the title vectors V."""
    counts = np.bincount(data.user, minlength=len(data.user_ids)).astype(np.float32)
    weights = 1 / np.maximum(counts, 1)[data.user]
    return RowBands(sp.csr_matrix((weights, (data.user, data.item)), shape=(len(data.user_ids), n_items),
                                  dtype=np.float32))


def implicit_context(means: RowBands, features: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """What a user's choice of titles says, as a row per user: mean title features (centred), log activity, 1."""
    profile = np.asarray(means @ features[:, :-1])  # the features' last column is a constant
    weights = np.maximum(counts, 1)
    return context_rows(profile, counts, weights @ profile / weights.sum(), np.log(weights).mean())


def context_rows(profile: np.ndarray, counts: np.ndarray, centre: np.ndarray, mean_log: float) -> np.ndarray:
    """Implicit context rows of some users from their mean title features and rating counts, given the
    all-users centre of the profiles and mean log count (so users fitted apart get the rows of a joint fit)."""
    activity = np.log(np.maximum(counts, 1)) - mean_log
    return np.hstack([profile - centre, activity[:, None], np.ones((len(counts), 1))]).astype(np.float32)


def prior_map(context: np.ndarray, targets: np.ndarray, counts: np.ndarray, ridge: float = 1.0) -> np.ndarray:
    """Ridge regression of per-user vectors on their implicit context, weighted by rating count (busy users'
    vectors are the best estimated): the map from a user's choices to a prior for their vector."""
    return solve_prior_map(*prior_sums(context, targets, counts), ridge)


def prior_sums(context: np.ndarray, targets: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The count-weighted Gram matrix of the contexts and their cross products with the targets: sums over
    users, so groups of users fitted apart add theirs up."""
    weighted = context * counts[:, None].astype(np.float32)
    return context.T @ weighted, weighted.T @ targets


def solve_prior_map(gram: np.ndarray, cross: np.ndarray, ridge: float = 1.0) -> np.ndarray:
    """The prior map of summed prior_sums."""
    gram = gram + ridge * np.eye(len(gram), dtype=np.float32)
    return np.linalg.solve(gram.astype(np.float64), cross.astype(np.float64)).astype(np.float32)


def fit_tastes(users: RowBlocks, features: np.ndarray, residual: np.ndarray, context: np.ndarray, reg: float,
               rounds: int, start: tuple[np.ndarray, np.ndarray] | None, step: Callable[[], None],
               steps: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per-user ridge tastes over the title features, shrunk towards context @ map, the map relearned from the
    tastes each of `rounds` times (empirical Bayes); the first solve is shrunk towards zero, or with `start` (the
    tastes and map of an earlier fit) towards that map's prior. With `steps`, every solve takes that many
    conjugate-gradient steps instead of the closed form, from the earlier tastes (from zero at first: the rounds
    after it refine them)."""
    taste, taste_map = (None, None) if start is None else start
    if steps and taste is None:
        taste = np.zeros((len(users.counts), features.shape[1]), np.float32)
    for round_ in range(rounds + 1):
        if round_:
            taste_map = prior_map(context, taste, users.counts)
        prior = None if taste_map is None else context @ taste_map
        taste = users.solve(features, residual, reg, prior, taste if steps else None, steps)
        step()
    return taste, taste_map


def als(users: RowBlocks, items: RowBlocks, residual: np.ndarray, dims: int, reg: float, iterations: int,
        seed: int, on_iteration: Callable[[], None] | None = None,
        start: tuple[np.ndarray, np.ndarray] | None = None, means: RowBands | None = None,
        context: np.ndarray | None = None, steps: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Latent user and title factors of a residual by alternating least squares (closed-form batched solves),
    from random title factors or from `start` (user and title factors of an earlier fit). With `means` and `context`
    each user's factors are shrunk towards a prior learned from their context and the mean factors of the titles
    they rated (from the second round on, when there are user factors to learn it from). With `steps`, the user
    solves that have factors to start from take that many conjugate-gradient steps instead of the closed form
    (not the title solves: their wide rows make the Gram cheap per rating, and CG was no faster there)."""
    rng = np.random.default_rng(seed)
    if start is None:
        user_factors, item_factors = None, (rng.standard_normal((len(items.counts), dims)) * 0.1).astype(np.float32)
    else:
        user_factors, item_factors = start
    for _ in range(iterations):
        prior = None
        if means is not None and user_factors is not None:
            inputs = np.hstack([context, np.asarray(means @ item_factors)])
            prior = inputs @ prior_map(inputs, user_factors, users.counts)
        user_factors = users.solve(item_factors, residual, reg, prior, user_factors if steps else None, steps)
        item_factors = items.solve(user_factors, residual, reg)
        if on_iteration is not None:
            on_iteration()
    return user_factors, item_factors


def validation_mask(n_ratings: int, share: float, seed: int) -> np.ndarray:
    """True for a seeded random `share` of the ratings (the slice the blend weights are learned on)."""
    return np.random.default_rng([seed, 7]).random(n_ratings) < share


def subset(data: IndexedRatings, mask: np.ndarray) -> IndexedRatings:
    """The ratings where mask is True, with the same user rows."""
    return IndexedRatings(data.user[mask], data.item[mask], data.value[mask], data.user_ids)


@dataclass
class RatingParts:
    """The parts of the rating model fitted on some ratings: biases, per-user tastes over the title features and
    latent factors (each fitted on the residual of the biases, the users' parts shrunk towards what their choice
    of titles predicts)."""

    mean: float
    user_bias: np.ndarray
    item_bias: np.ndarray
    taste: np.ndarray
    taste_map: np.ndarray  # implicit context -> prior taste, reused by the refit on all ratings
    user_factors: np.ndarray
    item_factors: np.ndarray
    user_blocks: RowBlocks | None  # None once freed (a refit reuses only the factors and the taste map)
    item_blocks: RowBlocks | None

    @staticmethod
    def steps(params, warm: bool) -> int:
        """How many times `fit` calls `step` (for a progress bar)."""
        rounds = params.refit_iterations if warm else params.iterations
        return 1 + (1 if warm else params.prior_rounds + 1) + rounds

    @classmethod
    def fit(cls, data: IndexedRatings, features: np.ndarray, params, step: Callable[[], None],
            warm: RatingParts | None = None) -> RatingParts:
        """Fit every part (params: the recommender's Params): params.iterations ALS rounds, or with `warm`
        params.refit_iterations rounds from its title factors and its taste prior. `step` is called after each
        solve."""
        # One BLAS thread: the solves spread their chunks over the cores themselves, and the rest is small dense
        # algebra that a multi-threaded BLAS makes up to 100x slower when the cores are busy (spinning threads).
        with threadpool_limits(1):
            return cls._fit(data, features, params, step, warm)

    @classmethod
    def _fit(cls, data: IndexedRatings, features: np.ndarray, params, step: Callable[[], None],
             warm: RatingParts | None) -> RatingParts:
        """`fit` within its thread limit."""
        n_users, n_items = len(data.user_ids), len(features)
        # The blocks (sorts, mostly without the GIL) do not need the biases: built on the other cores meanwhile.
        with ThreadPoolExecutor(WORKERS) as pool:
            user_blocks = pool.submit(RowBlocks, data.user, data.item, n_users, n_items)
            item_blocks = pool.submit(RowBlocks, data.item, data.user, n_items, n_users)
            mean, user_bias, item_bias = fit_biases(data, n_items, params.bias_reg, params.bias_reg)
            residual = data.value - mean - user_bias[data.user] - item_bias[data.item]
            means = rated_means(data, n_items)
            user_blocks, item_blocks = user_blocks.result(), item_blocks.result()
        context = implicit_context(means, features, user_blocks.counts)
        step()
        prior_rounds, taste_start = (params.prior_rounds, None) if warm is None else (0, (warm.taste, warm.taste_map))
        taste, taste_map = fit_tastes(user_blocks, features, residual, context, params.taste_reg, prior_rounds,
                                      taste_start, step, params.cg_steps)
        rounds = params.iterations if warm is None else params.refit_iterations
        user_factors, item_factors = als(user_blocks, item_blocks, residual, params.factors, params.factor_reg,
                                         rounds, params.seed, step,
                                         None if warm is None else (warm.user_factors, warm.item_factors),
                                         means, context, params.cg_steps)
        return cls(mean, user_bias, item_bias, taste, taste_map, user_factors, item_factors, user_blocks,
                   item_blocks)

    def blend_weights(self, held_out: IndexedRatings, features: np.ndarray) -> np.ndarray:
        """Non-negative least-squares weights of (tastes, factors) that best predict held-out residuals of the
        biases; (0, 0) when there is nothing to learn from."""
        from scipy.optimize import nnls

        if len(held_out.value) < 2:
            return np.zeros(2, np.float32)
        residual = held_out.value - self.mean - self.user_bias[held_out.user] - self.item_bias[held_out.item]
        parts = np.column_stack([row_dots(self.taste, features, held_out.user, held_out.item),
                                 row_dots(self.user_factors, self.item_factors, held_out.user, held_out.item)])
        weights, _ = nnls(parts.astype(np.float64), residual.astype(np.float64))
        return weights.astype(np.float32)
