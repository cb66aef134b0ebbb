"""The scalar recursion of one angle (docs/theory.md, sections 6 and 8), compiled with numba.

Two inputs of equal norm, with per-unit second moment q and cosine c = cos theta, are fed
straight into a stack of identical blocks h -> [h +] V phi(norm(W h + b)). The recursion never
forms c: it iterates the logarithm of the half-deficit g = (1 - c) / 2 = sin^2(theta / 2), so
theta keeps float64's relative precision however small it becomes (past 1e-300, where theta
itself underflows). One block multiplies the deficit by a factor,

    g' = g (1 - m delta),    delta = r / (s_w + r) + s_w / (s_w + r) F(theta_u),

with r = s_b / q the bias variance against the signal's second moment, theta_u the angle of the
pre-activation u = q (s_w + r) (its half-deficit is g s_w / (s_w + r)), F the share of the
deficit the ReLU kernel removes (``kappa_share``; F = 0 for a linear branch, which keeps the
pre-activation's cosine) and m the branch's weight in the block's output.

Every block of the registry (``architectures.ScalarForm``) follows from three flags. The branch
leaves the second moment q_b = u / spread without normalisation and q_b = 1 / spread after the
shared variance normaliser (the scalar form's BN, docs/theory.md, section 6), with spread = 2
after a ReLU (E relu(x)^2 = E x^2 / 2) and 1 for a linear branch. Without a skip path the block
returns the branch, whose deficit is 1 - c_b = (1 - c)(1 - delta): m = 1, q' = q_b. With one it
returns h + V branch, q' = q + s_v q_b, and the cross term vanishes at infinite width, so
1 - c' = (q (1 - c) + s_v q_b (1 - c_b)) / q' and m = s_v q_b / q'. An unnormalised block is
homogeneous, so only r is carried, r' = r q / q'; a normalised block's q grows at most linearly
and is carried absolutely, r' = s_b / q':

=====  ==========  ==============================  =================================
skip   normalised  m                               next bias ratio
=====  ==========  ==============================  =================================
no     no          1                               r' = spread r / (s_w + r)
yes    no          gain / (1 + gain),              r' = r / (1 + gain)
                   gain = s_v (s_w + r) / spread
no     yes         1                               q' = 1 / spread, r' = s_b / q'
yes    yes         s_v / (spread q + s_v)          q' = q + s_v / spread, r' = s_b / q'
=====  ==========  ==============================  =================================

With the ReLU these are the paper's mlp, resnet and resnet_bn and the registry's mlp_bn; m and r
depend on q alone, never on the angle. A linear block without bias keeps the angle exactly
(delta = 0). The compiled kernel advances every column (one initial angle and one variance
setting) one block at a time, on one core.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

from separability.architectures import ScalarForm

# (sin t - t cos t) / (2 pi t^3) as a series in t^2, sum over k = 1..5 of
# (-1)^(k+1) 2k / (2k+1)! t^(2k-2) / (2 pi), highest power first; float64-exact for
# t < SERIES_ANGLE, where the direct formula cancels.
SERIES_ANGLE = 0.1
EXCESS_SERIES = tuple(
    (-1) ** (k + 1) * 2 * k / math.factorial(2 * k + 1) / (2 * math.pi) for k in range(5, 0, -1)
)
_TWO_PI = 2 * math.pi
# every scalar form: ReLU blocks first (mlp, resnet, mlp_bn, resnet_bn), then linear ones
FORMS = tuple(
    ScalarForm(skip, normalised, relu)
    for relu in (True, False)
    for normalised in (False, True)
    for skip in (False, True)
)


@numba.njit(cache=True, nogil=True)
def kappa_share(theta: float, half_chord: float) -> float:
    """F = (sin theta - theta cos theta) / (2 pi sin^2(theta / 2)): the share of the deficit
    1 - c that the ReLU kernel removes, 1 - kappa(c) = (1 - c) (1 - F) for c = cos theta.

    ``half_chord`` is sin(theta / 2). F ~ 2 theta / (3 pi) for small theta and F(pi) = 1/2; below
    SERIES_ANGLE a series keeps full relative precision down to theta = 0, where F = 0.
    """
    if theta >= SERIES_ANGLE:
        return (math.sin(theta) - theta * math.cos(theta)) / (_TWO_PI * (half_chord * half_chord))
    t = theta * theta
    share = EXCESS_SERIES[0]
    for k in range(1, len(EXCESS_SERIES)):
        share = share * t + EXCESS_SERIES[k]
    # theta^3 series / half_chord^2; theta / half_chord -> 2 where both vanish
    ratio = theta / half_chord if half_chord > 0 else 2.0
    return share * (ratio * ratio * theta)


@numba.njit(cache=True, nogil=True)
def _removed_share(relu: bool, log_g: float, s_w: float, r: float) -> float:
    """delta: the share of the half-deficit g = exp(log_g) one branch removes, the bias's share
    r / (s_w + r) of the pre-activation plus, through a ReLU, the kernel's share F(theta_u) of
    the rest, at the pre-activation's half-deficit g s_w / (s_w + r)."""
    if r > 0:
        pre = s_w / (s_w + r)
        log_pre = log_g + math.log(pre)
    else:
        pre, log_pre = 1.0, log_g
    share = 0.0
    if relu:
        half_chord = math.exp(0.5 * log_pre)
        share = kappa_share(2.0 * math.asin(half_chord), half_chord)
    if r > 0:
        share = share * pre + r / (s_w + r)
    return share


@numba.njit(cache=True, nogil=True)
def _branch_weight(
    skip: bool,
    normalised: bool,
    spread: float,
    s_w: float,
    s_v: float,
    s_b: float,
    q: float,
    r: float,
) -> tuple[float, float, float]:
    """(m, q', r'): the branch's weight in the block's output and the next block's second
    moment and bias ratio (the table of the module docstring; q is carried only when the
    branch is normalised)."""
    if normalised:
        if skip:
            mix = s_v / (spread * q + s_v)
            q = q + s_v / spread
        else:
            mix = 1.0
            q = 1.0 / spread
        return mix, q, s_b / q
    if skip:
        gain = s_v * (s_w + r) / spread
        return gain / (1.0 + gain), q, r / (1.0 + gain)
    return 1.0, q, spread * r / (s_w + r)


@numba.njit(cache=True, nogil=True)
def _advance(
    skip: bool,
    normalised: bool,
    relu: bool,
    blocks: int,
    log_g: np.ndarray,
    q: np.ndarray,
    r: np.ndarray,
    s_w: np.ndarray,
    s_v: np.ndarray,
    s_b: np.ndarray,
) -> None:
    """Carry every column's state (log g, q, r) through ``blocks`` blocks, in place. All columns
    advance one block at a time: their independent chains of transcendental calls overlap in
    the processor, twice as fast as running one column through all its blocks."""
    spread = 2.0 if relu else 1.0
    for _ in range(blocks):
        for j in range(log_g.size):
            delta = _removed_share(relu, log_g[j], s_w[j], r[j])
            mix, q[j], r[j] = _branch_weight(
                skip, normalised, spread, s_w[j], s_v[j], s_b[j], q[j], r[j]
            )
            log_g[j] += math.log1p(-mix * delta)


@numba.njit(cache=True, nogil=True)
def _recorded_deficits(
    skip: bool,
    normalised: bool,
    relu: bool,
    log_g0: np.ndarray,
    s_w: np.ndarray,
    s_v: np.ndarray,
    q0: np.ndarray,
    s_b: np.ndarray,
    recorded: np.ndarray,
) -> np.ndarray:
    """log g at the sorted, distinct ``recorded`` layers (rows) for every column. Written as
    explicit loops: numba compiles them in a seventh of the time its array expressions take
    (0.3 s against 1.9 s, once per checkout and per job racing to fill the cache)."""
    columns = log_g0.size
    log_g, q, r = np.empty(columns), np.empty(columns), np.empty(columns)
    for j in range(columns):
        log_g[j], q[j], r[j] = log_g0[j], q0[j], s_b[j] / q0[j]
    out = np.empty((recorded.size, columns))
    layer = 0
    for row in range(recorded.size):
        _advance(skip, normalised, relu, recorded[row] - layer, log_g, q, r, s_w, s_v, s_b)
        layer = recorded[row]
        for j in range(columns):
            out[row, j] = log_g[j]
    return out


def log_half_deficits(
    form: ScalarForm, log_g0, depth: int, s_w, s_v, q0, s_b, layers
) -> np.ndarray:
    """log g_l with g = (1 - c) / 2 = sin^2(theta / 2) of the scalar recursion of a block of
    scalar form ``form``, at ``layers`` (rows, in the given order, repeats allowed, each in
    0..depth), for every element of the broadcast arrays log_g0, s_w, s_v, q0, s_b (columns,
    flattened in C order). log_g0 = -inf (theta0 = 0) stays -inf."""
    if not isinstance(form, ScalarForm):
        raise ValueError(f"the scalar recursion needs a ScalarForm, not {form!r}")
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (log_g0, s_w, s_v, q0, s_b)))
    # writeable C-ordered copies: one compiled signature, whatever the caller passes
    log_g0, s_w, s_v, q0, s_b = (np.array(v, order="C").ravel() for v in arrays)
    if np.any(s_w <= 0) or np.any(s_v < 0) or np.any(q0 <= 0) or np.any(s_b < 0):
        raise ValueError("the scalar recursion needs s_w > 0, s_v >= 0, q0 > 0 and s_b >= 0")
    layers = np.asarray(layers, dtype=np.int64).ravel()
    if layers.size and (layers.min() < 0 or layers.max() > depth):
        raise ValueError(f"layers must lie in 0..{depth}")
    recorded, order = np.unique(layers, return_inverse=True)
    flags = bool(form.skip), bool(form.normalised), bool(form.relu)
    return _recorded_deficits(*flags, log_g0, s_w, s_v, q0, s_b, recorded)[order]


def recursion_seconds(form: ScalarForm, depth: int = 100_000, angles: int = 64, s_b=0.0) -> float:
    """Wall seconds of ``log_half_deficits`` for ``angles`` initial angles spread over (0, pi]
    through ``depth`` blocks of scalar form ``form`` (He init, s_w = s_v = 2), recording 50
    log-spaced layers; one core, kernel compiled beforehand."""
    theta0 = np.linspace(math.pi / angles, math.pi, angles)
    log_g0 = 2.0 * np.log(np.sin(theta0 / 2.0))
    layers = np.unique(np.geomspace(1, depth, 50).astype(int))
    log_half_deficits(form, log_g0, 1, 2.0, 2.0, 1.0, s_b, [1])
    start = time.perf_counter()
    log_half_deficits(form, log_g0, depth, 2.0, 2.0, 1.0, s_b, layers)
    return time.perf_counter() - start


_STARTUP = """
import time
import numpy, pandas, scipy.linalg
start = time.perf_counter()
from separability import scalar
imported = time.perf_counter()
scalar.log_half_deficits(scalar.FORMS[0], -1.0, 1, 2.0, 2.0, 1.0, 0.0, [1])
print(imported - start, time.perf_counter() - imported)
"""


def startup_seconds() -> dict[str, float]:
    """Start-up costs in fresh interpreters sharing an empty numba cache, on top of numpy, scipy
    and pandas (which every job importing the theory loads anyway): importing this module
    (numba included, ``import_s``) and the first call, which compiles the kernel
    (``compile_s``) in the first interpreter and loads it from the cache (``cached_load_s``) in
    the second."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [
            subprocess.run(
                [sys.executable, "-c", _STARTUP],
                env=env,
                cwd=Path(__file__).resolve().parents[1],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            for _ in range(2)
        ]
    (_, compiled), (imported, loaded) = ((float(a), float(b)) for a, b in runs)
    return {"import_s": imported, "compile_s": compiled, "cached_load_s": loaded}
