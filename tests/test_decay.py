"""Decay-law fits of the angle (C4): each of the four laws is recovered from its own curve,
from theta or from log theta where theta underflows."""

import numpy as np
import pytest

from separability.decay import (
    LAWS,
    MIN_FIT_LAYERS,
    PAPER_WORDS,
    DecayFit,
    best_law,
    classify,
    decay_windows,
    fit_law,
    paper_name,
    rate,
    window_fits,
    word_check,
)

LAYERS = np.unique(np.geomspace(10, 5000, 60).astype(int))
CURVES = {
    "exponential": 2.0 * np.exp(-0.01 * LAYERS),
    "power": 3.0 * LAYERS**-0.4,
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


@pytest.mark.parametrize(
    "exponent, law", [(0.95, "reciprocal"), (1.05, "reciprocal"), (0.85, "power")]
)
def test_power_law_near_one_is_the_reciprocal_law(exponent, law):
    """A winning power law within RECIPROCAL_BAND of exponent 1 is named reciprocal and
    reported with its one-parameter fit (exponent exactly 1)."""
    winner, _ = best_law(LAYERS, 3.0 * LAYERS**-exponent)
    assert winner.law == law
    assert rate(winner) == pytest.approx(1.0 if law == "reciprocal" else exponent, rel=1e-9)


def test_fit_predicts_its_curve_and_round_trips_as_dict():
    fit = fit_law("power", LAYERS, CURVES["power"])
    assert (fit.first, fit.last) == (LAYERS.min(), LAYERS.max())
    np.testing.assert_allclose(fit.predict_log(LAYERS), np.log(CURVES["power"]), atol=1e-9)
    assert fit.rms == pytest.approx(0.0, abs=1e-9)
    assert DecayFit(**fit.as_dict()) == fit


def test_fit_refuses_unknown_laws_and_short_windows():
    with pytest.raises(ValueError, match="unknown decay law 'linear'"):
        fit_law("linear", LAYERS, CURVES["power"])
    short = LAYERS[: MIN_FIT_LAYERS - 1]
    with pytest.raises(ValueError, match=f"at least {MIN_FIT_LAYERS} layers"):
        fit_law("power", short, 3.0 * short**-0.4)
    # layer 0 and non-positive angles do not count towards a fit
    with pytest.raises(ValueError, match="at least"):
        fit_law("power", [0, 1, 2, 3], [1.0, 0.5, 0.0, 0.2])


def test_windows_with_too_few_layers_are_skipped():
    fits = window_fits(LAYERS, CURVES["reciprocal"], [(10, 11), (10, 1000), (1000, 5000)])
    assert [(winner.first, winner.last) for winner, _ in fits] == [
        (LAYERS[LAYERS >= 10].min(), LAYERS[LAYERS <= 1000].max()),
        (LAYERS[LAYERS >= 1000].min(), LAYERS.max()),
    ]
    assert all(winner.law == "reciprocal" for winner, _ in fits)


def test_decay_windows():
    assert decay_windows(500) == [(10, 500)]
    assert decay_windows(2999) == [(10, 1000)]
    assert decay_windows(5000) == [(10, 1000), (1000, 5000)]


def test_paper_names():
    assert [paper_name(law) for law in LAWS] == [
        "exponential",
        "sub-exponential",
        "reciprocal",
        "inverse-logarithmic",
    ]


WINDOW = np.unique(np.geomspace(10, 1000, 60).astype(int))


@pytest.mark.parametrize(
    "theta, law, words",
    [
        (1.0 / WINDOW, "power", {"sub-exponential", "reciprocal"}),
        (np.exp(-WINDOW / 50.0), "exponential", {"exponential"}),
        (1.0 / np.log(WINDOW), "inverse_log", {"sub-exponential"}),
        (WINDOW**-0.5, "power", {"sub-exponential"}),
        (np.full(len(WINDOW), 0.3), "none", set()),
    ],
    ids=["1/l", "exp(-l/50)", "1/log l", "l^-1/2", "constant"],
)
def test_dictionary_from_the_papers_words(theta, law, words):
    """The pre-declared dictionary: 1/l is sub-exponential and reciprocal, e^(-l/50) is
    exponential, 1/log l is sub-exponential and not reciprocal, a power law of exponent 1/2 is
    sub-exponential only, an angle that does not decay is none of them."""
    result = classify(WINDOW, theta)
    assert result["law"] == law
    assert {word for word, ok in result["words"].items() if ok} == words
    for word in PAPER_WORDS:
        assert word_check(result, word) == ("holds" if word in words else "does not hold")


def test_a_window_no_law_fits_is_inconclusive():
    """An angle that falls, then rises again, is fitted by none of the laws within the floor:
    no word applies and every check is inconclusive, not a law."""
    theta = 1.0 / WINDOW * (1 + 0.8 * np.sin(np.log(WINDOW) * 3))
    result = classify(WINDOW, theta)
    assert result["law"] == "unresolved"
    assert {word_check(result, word) for word in PAPER_WORDS} == {"inconclusive"}


def test_noise_raises_the_fit_floor():
    """A reciprocal series with 20% noise per layer is unresolved at the fixed floor, and a
    reciprocal power law once its own noise sets the floor."""
    rng = np.random.default_rng(0)
    theta = 1.0 / WINDOW * np.exp(0.2 * rng.standard_normal(len(WINDOW)))
    assert classify(WINDOW, theta)["law"] == "unresolved"
    noisy = classify(WINDOW, theta, noise=np.full(len(WINDOW), 0.2))
    assert noisy["law"] == "power" and noisy["words"]["reciprocal"]
