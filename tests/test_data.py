"""Data preparation: standardisation, stratified splits, reproducibility, synthetic clusters."""

import numpy as np
import pytest

from separability.data import (
    digits,
    load_prepared,
    prepare,
    save_prepared,
    standardisation,
    stratified_splits,
    synthetic,
)


def test_zero_variance_feature_keeps_scale_one():
    x_train = np.array([[0.0, 1.0], [0.0, 3.0], [0.0, 5.0]])
    mean, scale = standardisation(x_train)
    np.testing.assert_array_equal(scale, [1.0, np.std([1.0, 3.0, 5.0])])
    # an unseen value in the constant feature stays a plain number, not a 1e8 outlier
    unseen = (np.array([16.0, 3.0]) - mean) / scale
    assert unseen[0] == 16.0


def test_constant_non_zero_feature_keeps_scale_one():
    """std() of a constant 0.1 column is ~1e-17, not 0: the scale must still be 1."""
    x_train = np.column_stack([np.full(7, 0.1), np.arange(7.0)])
    assert np.std(x_train[:, 0]) > 0  # the rounding residue the check must not divide by
    _, scale = standardisation(x_train)
    assert scale[0] == 1.0


def test_digits_have_constant_pixels_and_stay_bounded():
    prepared = prepare(*digits(), 0.2, 0.2, 500, seed=0)
    assert np.any(prepared["scale"] == 1.0)  # digits' border pixels never vary in training
    assert np.abs(prepared["x_test"]).max() < 100
    np.testing.assert_allclose(prepared["x_train"].mean(axis=0), 0, atol=1e-5)


def test_splits_are_stratified_disjoint_and_complete():
    _, y = digits()
    splits = stratified_splits(y, 0.2, 0.2, seed=0)
    index = np.concatenate(list(splits.values()))
    assert len(index) == len(y) == len(np.unique(index))
    overall = np.bincount(y) / len(y)
    for name, part in splits.items():
        share = np.bincount(y[part], minlength=10) / len(part)
        assert np.abs(share - overall).max() < 0.01, name
    assert len(splits["test"]) == pytest.approx(0.2 * len(y), abs=2)


def test_evaluation_subset_is_a_stratified_part_of_training():
    prepared = prepare(*digits(), 0.2, 0.2, 500, seed=0)
    assert len(prepared["y_eval"]) == 500
    expected = 500 * np.bincount(prepared["y_train"]) / len(prepared["y_train"])
    assert np.abs(np.bincount(prepared["y_eval"]) - expected).max() <= 1
    train_rows = {row.tobytes() for row in prepared["x_train"]}
    assert all(row.tobytes() in train_rows for row in prepared["x_eval"])


def test_heldout_subset_is_a_stratified_part_of_the_test_split():
    """Same size as the evaluation subset (capped by the test split), stratified, seeded, and
    disjoint from everything the network is fitted on."""
    prepared = prepare(*digits(), 0.2, 0.2, 300, seed=0)
    assert len(prepared["y_heldout"]) == len(prepared["y_eval"]) == 300
    expected = 300 * np.bincount(prepared["y_test"]) / len(prepared["y_test"])
    assert np.abs(np.bincount(prepared["y_heldout"]) - expected).max() <= 1
    test_rows = {row.tobytes() for row in prepared["x_test"]}
    train_rows = {row.tobytes() for row in prepared["x_train"]}
    assert all(row.tobytes() in test_rows for row in prepared["x_heldout"])
    assert not any(row.tobytes() in train_rows for row in prepared["x_heldout"])
    whole = prepare(*digits(), 0.2, 0.2, 500, seed=0)  # the test split holds only 360
    assert len(whole["y_heldout"]) == len(whole["y_test"]) == 360


def test_training_subsample():
    prepared = prepare(*digits(), 0.2, 0.2, 100, seed=0, train_size=200)
    assert len(prepared["y_train"]) == 200
    assert np.bincount(prepared["y_train"]).min() >= 19


def test_preparation_is_reproducible(tmp_path):
    first = prepare(*digits(), 0.2, 0.2, 300, seed=1)
    save_prepared(first, tmp_path / "a.npz")
    again = load_prepared(tmp_path / "a.npz")
    other = prepare(*digits(), 0.2, 0.2, 300, seed=2)
    for key, value in first.items():
        np.testing.assert_array_equal(again[key], value)
    assert not np.array_equal(other["y_test"], first["y_test"])


def test_synthetic_clusters_have_the_chosen_angles():
    x, y = synthetic(
        n_classes=4, dim=2000, n_per_class=30, between_angle=1.0, within_angle=0.5, seed=0
    )
    assert x.shape == (120, 2000) and set(y) == {0, 1, 2, 3}
    norms = np.linalg.norm(x, axis=1)
    np.testing.assert_allclose(norms, np.sqrt(2000))
    cos = (x @ x.T) / np.outer(norms, norms)
    same = (y[:, None] == y[None, :]) & ~np.eye(len(y), dtype=bool)
    different = y[:, None] != y[None, :]
    assert np.arccos(cos[same]).mean() == pytest.approx(np.arccos(np.cos(0.5) ** 2), abs=0.03)
    assert np.arccos(cos[different]).mean() == pytest.approx(
        np.arccos(np.cos(0.5) ** 2 * np.cos(1.0)), abs=0.05
    )
    again, _ = synthetic(4, 2000, 30, 1.0, 0.5, seed=0)
    np.testing.assert_array_equal(again, x)


def test_bad_synthetic_angles_are_refused():
    with pytest.raises(ValueError, match="between_angle"):
        synthetic(3, 10, 10, between_angle=2.0, within_angle=0.5, seed=0)


def test_mismatched_labels_are_refused():
    with pytest.raises(ValueError, match="labels"):
        prepare(np.zeros((10, 3)), np.zeros(9), 0.2, 0.2, 5, 0)
