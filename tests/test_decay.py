"""Decay-law fits of the angle (C4): each of the four laws is recovered from its own curve,
from theta or from log theta where theta underflows."""

import numpy as np
import pytest

from separability.decay import LAWS, best_law, fit_law, rate, window_fits

LAYERS = np.unique(np.geomspace(10, 5000, 60).astype(int))
CURVES = {
    "exponential": 2.0 * np.exp(-0.01 * LAYERS),
    "power": 3.0 * LAYERS ** -0.4,
    "reciprocal": 9.0 / LAYERS,
    "inverse_log": 9.0 / (np.log(LAYERS) + 4.0),
}


@pytest.mark.parametrize("law", LAWS)
def test_each_law_is_recovered(law):
    noisy = CURVES[law] * np.exp(0.002 * np.random.default_rng(1).standard_normal(len(LAYERS)))
    winner, fits = best_law(LAYERS, noisy)
    assert winner.law == law
    assert [fit.law for fit in fits] == list(LAWS)


def test_rates():
    assert rate(best_law(LAYERS, CURVES["exponential"])[0]) == pytest.approx(0.01, rel=1e-9)
    assert rate(best_law(LAYERS, CURVES["power"])[0]) == pytest.approx(0.4, rel=1e-9)
    inverse_log = best_law(LAYERS, CURVES["inverse_log"])[0]
    assert rate(inverse_log) == pytest.approx(9.0, rel=1e-9)  # theta log l -> 9
    assert inverse_log.offset == pytest.approx(4.0, rel=1e-9)
    np.testing.assert_allclose(inverse_log.predict(LAYERS), CURVES["inverse_log"], rtol=1e-9)


def test_log_theta_reaches_where_theta_underflows():
    """An exponential decay far below float64's range is fitted from log theta."""
    layers = np.arange(1000, 10_001, 100)
    log_theta = 1.0 - 0.7 * layers  # theta = e^-7000 at the end
    assert np.all(np.exp(log_theta[20:]) == 0)
    [(winner, _)] = window_fits(layers, windows=[(1000, 10_000)], log_theta=log_theta)
    assert winner.law == "exponential" and rate(winner) == pytest.approx(0.7, rel=1e-9)


def test_inverse_log_refuses_a_growing_curve():
    fit = fit_law("inverse_log", LAYERS, 0.1 * np.log(LAYERS))
    assert fit.heldout_rms == float("inf")


def test_angles_given_once():
    with pytest.raises(ValueError, match="exactly one"):
        fit_law("power", LAYERS, CURVES["power"], np.log(CURVES["power"]))
