"""Infinite-width (mean-field) theory of the architectures of the registry
(``separability.architectures``).

Two forms, both from docs/theory.md:

* the Gram recursion ``K_{l+1} = F(K_l)`` on a whole evaluation subset, from which every
  per-layer statistic follows (distances, angles, ratio);
* the scalar recursion of the cosine ``c_l`` between two equal-norm inputs fed straight into
  the first block, cheap enough to iterate to depth 1e5 (decay-law analysis, claim C4).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from scipy.linalg import blas

from separability import architectures


def kappa_excess(c, theta):
    """kappa(c) - c = (sin theta - theta c) / pi for c = cos theta, the part the ReLU adds.

    Written this way it keeps full relative precision when theta is small (kappa(c) - c ~
    theta^3 / 3 pi), where summing sqrt(1 - c^2) + (pi - arccos c) c loses it to cancellation.
    """
    return (np.sin(theta) - theta * c) / math.pi


def kappa(c):
    """Arc-cosine kernel of degree 1 (Cho and Saul 2009) as a function of the cosine ``c``.

    kappa(c) = (sqrt(1 - c^2) + (pi - arccos c) c) / pi, so that E[relu(u) relu(v)] =
    1/2 sqrt(E u^2 E v^2) kappa(c) for jointly Gaussian (u, v) with correlation c.
    """
    c = np.clip(np.asarray(c, dtype=float), -1.0, 1.0)
    return c + kappa_excess(c, np.arccos(c))


def relu_entries(cross: np.ndarray, norm_product: np.ndarray) -> np.ndarray:
    """Entries of the ReLU map from K_ij and sqrt(K_ii K_jj): 1/2 sqrt(K_ii K_jj) kappa(c_ij),
    c_ij = K_ij / sqrt(K_ii K_jj) (0 where a norm is 0)."""
    cos = np.divide(cross, norm_product, out=np.zeros_like(cross), where=norm_product > 0)
    return 0.5 * norm_product * kappa(cos)


def relu_gram(gram: np.ndarray) -> np.ndarray:
    """ReLU map of a Gram matrix: R(K)[i, j] = 1/2 sqrt(K_ii K_jj) kappa(K_ij / sqrt(K_ii K_jj)),
    i.e. E[relu(u) relu(u)^T] for u ~ N(0, K)."""
    norms = np.sqrt(np.diag(gram))
    return relu_entries(gram, np.outer(norms, norms))


def centred_gram(gram: np.ndarray) -> np.ndarray:
    """P K P with P = I - 11^T / n: the Gram matrix of the batch-centred pre-activations."""
    centred = gram - gram.mean(axis=0, keepdims=True)
    return centred - centred.mean(axis=1, keepdims=True)


def large_batch_bn_gram(gram: np.ndarray, centering: bool = True) -> np.ndarray:
    """Large-batch approximation of batch normalisation acting on a Gram matrix: each unit's
    batch variance replaced by its mean over units (docs/theory.md).

    With centering: C = n P K P / trace(P K P), P = I - 11^T/n; without (variance-only BN):
    C = K / mean(diag K). Each unit of the normalised pre-activation then has unit second moment.
    R(C) approximates B(K) of ``bn_relu_gram`` when S = PKP (or K) has a large effective rank
    (trace S)^2 / trace(S^2). Without centering it is exact for one scalar normaliser shared by
    all units (``models.VarianceNorm``, the BN of the scalar theory).
    """
    if centering:
        centred = centred_gram(gram)
        return len(gram) * centred / np.trace(centred)
    return gram / np.mean(np.diag(gram))


BN_FORMS = ("exact", "large_batch")
# Trapezoidal rule in t = log s for the exact BN map: step and truncation tolerance. The step
# gives a relative (max-entry) error below 1e-7 on every Gram matrix measured (n = 40 and the
# digits subset, n = 500, through 300 blocks); tests/test_theory.py checks 1e-6 by halving it.
BN_STEP = 0.6
BN_TOLERANCE = 1e-9


def bn_spectrum(gram: np.ndarray, centering: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues and eigenvectors of S = P K P (``centering``) or S = K, scaled to trace n
    (B(K) is invariant to K -> aK). Rounding-negative eigenvalues are clipped to 0 and directions
    with eigenvalue below n eps lambda_max (numerically zero, such as 1 for P K P) are dropped:
    they carry nothing into S (I + 2 s S)^-1 and a factor 1 into the determinant."""
    n = len(gram)
    lam, vec = np.linalg.eigh(centred_gram(gram) if centering else gram)
    lam = np.clip(lam, 0.0, None)
    if lam[-1] <= 0:
        return lam[:0], vec[:, :0]
    keep = lam > lam[-1] * n * np.finfo(float).eps
    return lam[keep] * (n / lam.sum()), vec[:, keep]


def bn_quadrature(
    lam: np.ndarray, n: int, max_diag: float, step: float = BN_STEP, tolerance: float = BN_TOLERANCE
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes s_k and weights w_k (the factor n det(I + 2 s S)^(-1/2) included) of the exact BN
    integral B(K) = n int_0^inf det(I + 2 s S)^(-1/2) R(S (I + 2 s S)^(-1)) ds for S with
    eigenvalues ``lam`` (trace n, largest diagonal entry ``max_diag``).

    Trapezoidal rule in t = log s with ``step``: the determinant and Sigma(s) are analytic for
    |Im t| < pi (their poles sit where 1 + 2 e^t lam_k = 0), so the error falls geometrically
    as the step shrinks (measured at n = 500: 1e-5 at step 1, 1e-6 at 0.8, 3e-8 at 0.6).
    Range from the spectrum, each end's truncation error below ``tolerance`` (absolute; the
    largest entry of B is at least 1/2):
    * low end: the integrand f(s) = n det(I + 2 s S)^(-1/2) R(Sigma(s)) is analytic at s = 0
      and varies on the scale 1 / (n + 2 lambda_max); the rule's nodes below
      s_low = (tolerance / max_diag)^(1/3) / (n + 2 lambda_max) sum to
      f(0) c_1 + f'(0) c_2 + O(tolerance), c_m = step s_low^m / (e^(m step) - 1), with
      f(0) = n R(S) (a node at s = 0) and f'(0) from f(0) and f(s_low) (extra weight on s_low);
    * high end: |R(Sigma(s))_ij| <= 1 / (4 s) and the determinant falls at least like
      s^(-rho(s)), rho(s) = sum_k s lam_k / (1 + 2 s lam_k), so the tail past s is at most
      n det(s)^(-1/2) / (4 rho(s)); the nodes stop where that is below ``tolerance``.
    """
    s_low = (tolerance / max_diag) ** (1.0 / 3.0) / (n + 2.0 * lam.max())
    t = math.log(s_low) + step * np.arange(int(200.0 / step))
    s = np.exp(t)
    two_s_lam = 2.0 * s[:, None] * lam[None, :]
    det = np.exp(-0.5 * np.log1p(two_s_lam).sum(axis=1))
    rho = 0.5 * (two_s_lam / (1.0 + two_s_lam)).sum(axis=1)
    tail = n * det / (4.0 * rho)
    last = int(np.argmax(tail < tolerance))
    if tail[last] >= tolerance:
        raise ArithmeticError("exact BN quadrature: tail bound not reached (rank-0 S?)")
    c_1 = step * s_low / math.expm1(step)
    c_2 = step * s_low**2 / math.expm1(2.0 * step)
    nodes = np.concatenate([[0.0], s[: last + 1]])
    weights = np.concatenate([[c_1 - c_2 / s_low], step * s[: last + 1] * det[: last + 1]])
    weights[1] += c_2 / s_low * det[0]
    return nodes, n * weights


def bn_relu_gram(
    gram: np.ndarray, centering: bool = True, step: float = BN_STEP, tolerance: float = BN_TOLERANCE
) -> np.ndarray:
    """Exact infinite-width map of batch normalisation then ReLU at the finite batch n = len(K):
    B(K) = E[relu(z) relu(z)^T], z = BN(u) over the batch (centred with ``centering``, biased
    variance, eps -> 0), u ~ N(0, K) per unit (Yang et al., ICLR 2019; docs/theory.md).

    Because relu is positively homogeneous, B(K) = n int_0^inf det(I + 2 s S)^(-1/2)
    R(S (I + 2 s S)^(-1)) ds with S = P K P (S = K for variance-only BN). S = U diag(lam) U^T is
    eigendecomposed once; each node of ``bn_quadrature`` costs one symmetric product
    U diag(lam / (1 + 2 s lam)) U^T (BLAS syrk) and the ReLU map on the upper triangle.
    Relative max-entry error below 1e-7 at the default step (see BN_STEP). B is symmetric PSD
    with trace exactly n / 2 and invariant to K -> a K; S = 0 (all pre-activations equal
    across the batch) gives B = 0.
    """
    gram = np.asarray(gram, dtype=np.float64)
    n = len(gram)
    lam, vec = bn_spectrum(gram, centering)
    if lam.size == 0:
        return np.zeros_like(gram)
    max_diag = float(np.max((vec * vec) @ lam))
    nodes, weights = bn_quadrature(lam, n, max_diag, step, tolerance)
    rows, cols = np.triu_indices(n)
    # entry (i, j) of a Fortran-ordered n x n matrix is element j n + i of its memory: gathering
    # the upper triangle from there (a view) takes a fifth of a block's time less than
    # sigma[rows, cols], which converts the indices and copies the matrix first
    upper_in_memory = cols * n + rows
    upper = np.zeros(rows.size)
    for s, weight in zip(nodes, weights):
        factors = vec * np.sqrt(lam / (1.0 + 2.0 * s * lam))  # Sigma(s) = factors factors^T
        sigma = blas.dsyrk(1.0, factors.T, trans=1)  # upper triangle, Fortran-ordered
        norms = np.sqrt(np.diag(sigma))
        cross = np.take(sigma.ravel(order="F"), upper_in_memory)
        upper += weight * relu_entries(cross, np.take(norms, rows) * np.take(norms, cols))
    out = np.zeros_like(gram)
    out[rows, cols] = upper
    return out + np.triu(out, 1).T


def check_bn_form(bn: str) -> str:
    """Return ``bn`` if it names a form of the BN theory (exact, large_batch), else raise."""
    if bn not in BN_FORMS:
        raise ValueError(f"unknown BN theory form {bn!r}; expected one of {BN_FORMS}")
    return bn


def bn_branch_gram(pre: np.ndarray, bn_centering: bool = True, bn: str = "exact") -> np.ndarray:
    """The Gram map of a normalised ReLU branch, E[relu(BN(u)) relu(BN(u))^T] for u ~ N(0,
    ``pre``) per unit: the exact BN map ``bn_relu_gram`` (``bn="exact"``) or the large-batch
    approximation R(``large_batch_bn_gram``) (``bn="large_batch"``), centred or variance-only
    (``bn_centering``)."""
    if check_bn_form(bn) == "exact":
        return bn_relu_gram(pre, bn_centering)
    return relu_gram(large_batch_bn_gram(pre, bn_centering))


def gram_step(
    arch: str,
    gram: np.ndarray,
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float = 0.0,
    bn_centering: bool = True,
    bn: str = "exact",
) -> np.ndarray:
    """One block of the infinite-width Gram recursion K_l -> K_{l+1} for ``arch`` (its registry
    entry's ``gram_map``), with the pre-activation Gram s_w K + s_b (bias variance s_b on every
    unit, docs/theory.md):

    mlp: R(s_w K + s_b); resnet: K + s_v R(s_w K + s_b); resnet_bn: K + s_v B(s_w K + s_b);
    mlp_bn: B(s_w K + s_b), with B the exact BN map ``bn_relu_gram`` (``bn="exact"``) or the
    large-batch approximation R(``large_batch_bn_gram``) (``bn="large_batch"``). With centred
    BN the bias cancels exactly (P 1 = 0, so P (s_w K + s_b 11^T) P = s_w P K P) and so does
    s_w (B is scale-invariant); with variance-only BN (``bn_centering=False``) the bias does
    not cancel.
    """
    check_bn_form(bn)
    return architectures.get(arch).gram_map(gram, s_w, s_v, s_b, bn_centering, bn)


def input_gram(x: np.ndarray, s_in: float = 1.0) -> np.ndarray:
    """Gram matrix of the input layer h0 = A x in the infinite-width limit: K_0 = s_in X X^T / D."""
    x = np.asarray(x, dtype=np.float64)
    return s_in * (x @ x.T) / x.shape[1]


def gram_trajectory(
    arch: str,
    gram0: np.ndarray,
    depth: int,
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float = 0.0,
    bn_centering: bool = True,
    bn: str = "exact",
) -> Iterator[tuple[int, np.ndarray, float]]:
    """Yield ``(l, K_l / scale_l, log scale_l)`` for l = 0..depth of the Gram recursion.

    Homogeneous architectures (``mlp``, ``resnet``) satisfy F_{s_b}(a K) = a F_{s_b / a}(K)
    (ReLU is positively homogeneous), so K is divided by its mean diagonal after each block,
    the logarithm of the removed scale is carried along and the next block sees the bias
    variance s_b / scale: exact, and nothing overflows at any depth. Normalised architectures
    (``resnet_bn``, ``mlp_bn``) are not homogeneous and are never rescaled.
    """
    homogeneous = architectures.get(arch).homogeneous
    gram = np.array(gram0, dtype=np.float64, copy=True)
    log_scale = 0.0
    for layer in range(depth + 1):
        yield layer, gram, log_scale
        if layer == depth:
            return
        bias = s_b * math.exp(-log_scale) if s_b else 0.0
        gram = gram_step(arch, gram, s_w, s_v, bias, bn_centering, bn)
        if homogeneous:
            scale = float(np.mean(np.diag(gram)))
            gram = gram / scale
            log_scale += math.log(scale)


def log_half_deficits(
    arch: str, log_g0, depth: int, s_w, s_v, q0, s_b, layers: np.ndarray
) -> np.ndarray:
    """log g_l with g = (1 - c) / 2 = sin^2(theta / 2), at ``layers`` (rows), for every element
    of the broadcast arrays log_g0, s_w, s_v, q0, s_b (columns, flattened): the scalar
    recursion of one angle through the blocks of ``arch`` (its registry entry's
    ``scalar_form``), compiled (``separability.scalar``, docs/theory.md, sections 6 and 8)."""
    from separability import scalar  # numba: only the jobs that run the recursion load it

    form = architectures.get(arch).scalar_form()
    if form is None:
        raise ValueError(f"architecture {arch!r} has no scalar form of one angle")
    return scalar.log_half_deficits(form, log_g0, depth, s_w, s_v, q0, s_b, layers)


def _trajectory_layers(depth: int, layers) -> np.ndarray:
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    layers = np.arange(depth + 1) if layers is None else np.asarray(layers, dtype=int)
    if layers.size and (layers.min() < 0 or layers.max() > depth):
        raise ValueError(f"layers must lie in 0..{depth}")
    return layers


def cosine_trajectory(arch: str, cos0, depth: int, s_w=2.0, s_v=2.0, q0=1.0, s_b=0.0) -> np.ndarray:
    """Cosines c_0..c_depth between two inputs of per-unit second moment q0 fed straight into
    the first block (docs/theory.md, scalar form). With pre-activation u = s_w q + s_b and
    c_u = (s_w q c + s_b) / u:

    mlp: c' = kappa(c_u), q' = u / 2; resnet: c' = (q c + s_v (u / 2) kappa(c_u)) / q',
    q' = q + s_v u / 2; resnet_bn (variance-only BN): c' = (q c + b kappa(c_u)) / (q + b),
    q' = q + b, b = s_v / 2; mlp_bn (variance-only BN): c' = kappa(c_u), q' = 1/2. With s_b = 0
    these are kappa(c), (c + a kappa(c)) / (1 + a) with a = s_w s_v / 2, the BN form with
    kappa(c), and kappa(c) again for mlp_bn (the same angle map as the MLP). ``cos0`` and the
    variances may be arrays (broadcast together); the result has the broadcast shape +
    (depth + 1,), index 0 is cos0.
    Computed from the deficit 1 - c (see ``angle_trajectory`` for angles below 1e-8, where c
    itself rounds to 1).
    """
    cos0 = np.asarray(cos0, dtype=np.float64)
    if np.any(np.abs(cos0) > 1):
        raise ValueError("cos0 must lie in [-1, 1]")
    layers = _trajectory_layers(depth, None)
    shape = np.broadcast_shapes(cos0.shape, *(np.shape(v) for v in (s_w, s_v, q0, s_b)))
    with np.errstate(divide="ignore"):  # cos0 = 1: g = 0 stays 0
        log_g = log_half_deficits(
            arch, np.log((1.0 - cos0) / 2.0), depth, s_w, s_v, q0, s_b, layers
        )
    cos = 1.0 - 2.0 * np.exp(log_g)
    cos[0] = np.broadcast_to(cos0, shape).ravel()
    return cos.T.reshape(shape + (depth + 1,))


def log_angle_trajectory(
    arch: str, theta0, depth: int, s_w=2.0, s_v=2.0, q0=1.0, s_b=0.0, layers=None
) -> np.ndarray:
    """log theta_l of the scalar recursion of ``cosine_trajectory`` from the angle theta0 (in
    [0, pi]), at ``layers`` (default 0..depth): shape broadcast(theta0, variances) +
    (len(layers),). Finite however deep the angle falls (exponential decay passes 1e-300 within
    a few thousand layers), with float64's relative precision at every depth."""
    theta0 = np.asarray(theta0, dtype=np.float64)
    if np.any((theta0 < 0) | (theta0 > math.pi)):
        raise ValueError("theta0 must lie in [0, pi]")
    layers = _trajectory_layers(depth, layers)
    shape = np.broadcast_shapes(theta0.shape, *(np.shape(v) for v in (s_w, s_v, q0, s_b)))
    with np.errstate(divide="ignore"):  # theta0 = 0 stays 0: log theta = -inf
        log_g = log_half_deficits(
            arch, 2.0 * np.log(np.sin(theta0 / 2.0)), depth, s_w, s_v, q0, s_b, layers
        )
        half_chord = np.exp(0.5 * log_g)
        # theta = 2 arcsin(x), x = sqrt(g): log theta = log 2 + log x + log(arcsin(x) / x)
        stretch = np.divide(
            np.arcsin(half_chord), half_chord, out=np.ones_like(half_chord), where=half_chord > 0
        )
        log_theta = math.log(2.0) + 0.5 * log_g + np.log(stretch)
    return log_theta.T.reshape(shape + (len(layers),))


def angle_trajectory(
    arch: str, theta0, depth: int, s_w=2.0, s_v=2.0, q0=1.0, s_b=0.0, layers=None
) -> np.ndarray:
    """Angles theta_l (radians) of the scalar recursion from theta0, at ``layers`` (default
    0..depth), resolved to float64's relative precision down to 1e-300 (below that they
    underflow to 0: use ``log_angle_trajectory``)."""
    return np.exp(log_angle_trajectory(arch, theta0, depth, s_w, s_v, q0, s_b, layers))
