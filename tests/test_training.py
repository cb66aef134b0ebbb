"""Training experiments (C1, C5): learning, bit-identical repetition, divergence as data,
resume after an interruption, learning-rate selection on the validation split only, and one
implementation of the statistics for trained and random networks."""

import copy
import math

import numpy as np
import pandas as pd
import pytest
import torch

from separability.data import digits, prepare
from separability.propagation import data_statistics, input_features, propagate
from separability.statistics import STATISTICS, class_pair_masks, gram, layer_statistics
from separability.training import (
    PHASES,
    RUN_COLUMNS,
    RunConfig,
    aggregate,
    choose_learning_rate,
    epoch_order,
    finite_or_none,
    read_json,
    select_learning_rate,
    train_run,
    write_json,
)

CPU = torch.device("cpu")
TINY = RunConfig("resnet_bn", depth=2, width=32, seed=0, lr=0.05, epochs=3, batch_size=64,
                 weight_decay=1e-4, schedule="cosine")
TIMING = ("wall_time_s", "training_time_s")


@pytest.fixture(scope="module")
def data():
    torch.set_num_threads(1)
    return prepare(*digits(), 0.2, 0.2, 100, 0)


def comparable(record):
    """A run record without its timings and resume bookkeeping, as strict JSON would hold it."""
    return finite_or_none({key: value for key, value in record.items()
                           if key not in TIMING + ("resumed_from_epoch",)})


def assert_same_model(first, second):
    one, two = first.state_dict(), second.state_dict()
    assert one.keys() == two.keys()
    for key in one:
        assert torch.equal(one[key], two[key]), key


def test_tiny_run_learns_and_repeats_bit_identically(data):
    record, model = train_run(TINY, data, CPU, progress=False)
    again, model_again = train_run(TINY, data, CPU, progress=False)
    assert record["status"] == "ok" and len(record["history"]) == TINY.epochs
    assert record["final"]["test_accuracy"] > 0.8  # chance is 0.1 on the 10 digits
    assert record["history"][-1]["train_loss"] < record["history"][0]["train_loss"]
    assert comparable(record) == comparable(again)
    assert_same_model(model, model_again)
    other, _ = train_run(TINY.replace(seed=1), data, CPU, progress=False)
    assert other["final"]["test_loss"] != record["final"]["test_loss"]


def test_data_order_is_seeded_per_epoch():
    assert torch.equal(epoch_order(3, 5, 100), epoch_order(3, 5, 100))
    assert not torch.equal(epoch_order(3, 5, 100), epoch_order(3, 6, 100))
    assert sorted(epoch_order(3, 5, 100).tolist()) == list(range(100))


@pytest.mark.parametrize("config", [
    RunConfig("mlp", 2, 16, 0, lr=1e8, epochs=3, batch_size=64),
    # the raw resnet's forward signal grows like 3^(L/2): at L = 90 the logits overflow
    RunConfig("resnet", 90, 16, 0, lr=0.01, epochs=2, batch_size=64, resnet_rescale=False),
], ids=["absurd-lr", "raw-resnet"])
def test_divergence_is_recorded_not_raised(config, data, tmp_path):
    record, _ = train_run(config, data, CPU, progress=False)
    assert record["status"] == "diverged"
    assert record["diverged_epoch"] >= 1 and record["diverged_step"] >= 1
    assert len(record["history"]) == record["diverged_epoch"] - 1
    assert math.isnan(record["final"]["test_accuracy"])
    assert math.isnan(record["ratio"]["trained"]) and math.isnan(record["ratio"]["trained_batch"])
    assert math.isfinite(record["ratio"]["init"])
    write_json({"dataset": "digits", **record}, tmp_path / "run.json")  # strict JSON, no NaN
    runs, layers = aggregate([read_json(tmp_path / "run.json")])
    assert runs.status.tolist() == ["diverged"]
    assert runs.ratio_trained.isna().all() and runs.test_accuracy.isna().all()
    assert set(layers.phase) == set(PHASES)


def test_rescaled_resnet_trains_at_the_same_depth(data):
    """The default (rescaled) form of the same deep resnet stays finite."""
    config = RunConfig("resnet", 90, 16, 0, lr=0.01, epochs=1, batch_size=64)
    record, _ = train_run(config, data, CPU, progress=False)
    assert record["status"] == "ok"


def test_resume_after_interruption_equals_uninterrupted_run(data, tmp_path):
    config = TINY.replace(epochs=4, arch="resnet_bn")  # momentum buffers and BN running stats
    checkpoint = tmp_path / "resume.pt"

    def interrupt(epoch):
        if epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_run(config, data, CPU, checkpoint=checkpoint, progress=False,
                  on_epoch_end=interrupt)
    assert checkpoint.exists()
    resumed, resumed_model = train_run(config, data, CPU, checkpoint=checkpoint, progress=False)
    uninterrupted, model = train_run(config, data, CPU, progress=False)
    assert resumed["resumed_from_epoch"] == 2 and uninterrupted["resumed_from_epoch"] == 0
    assert comparable(resumed) == comparable(uninterrupted)
    assert_same_model(resumed_model, model)


def test_checkpoint_of_another_configuration_is_ignored(data, tmp_path):
    checkpoint = tmp_path / "resume.pt"
    train_run(TINY.replace(epochs=1, lr=0.2), data, CPU, checkpoint=checkpoint, progress=False)
    record, _ = train_run(TINY.replace(epochs=1), data, CPU, checkpoint=checkpoint,
                          progress=False)
    fresh, _ = train_run(TINY.replace(epochs=1), data, CPU, progress=False)
    assert record["resumed_from_epoch"] == 0
    assert comparable(record) == comparable(fresh)


def test_choice_is_the_best_validation_score():
    candidates = [
        {"lr": 0.1, "status": "ok", "val_accuracy": 0.80, "val_loss": 0.7},
        {"lr": 0.01, "status": "ok", "val_accuracy": 0.90, "val_loss": 0.5},
        {"lr": 0.03, "status": "ok", "val_accuracy": 0.90, "val_loss": 0.4},  # tie: lower loss
        {"lr": 1.0, "status": "diverged", "val_accuracy": math.nan, "val_loss": math.nan},
    ]
    assert choose_learning_rate(candidates) == 0.03
    assert choose_learning_rate(candidates[:2] + candidates[3:]) == 0.01
    all_diverged = [{"lr": lr, "status": "diverged", "val_accuracy": None, "val_loss": None}
                    for lr in (3.0, 1.0, 10.0)]
    assert choose_learning_rate(all_diverged) == 1.0


def test_lr_selection_uses_only_the_validation_split(data):
    base = RunConfig("mlp", 2, 16, 0, lr=0.0, epochs=2, batch_size=64)
    grid = [1e-4, 0.05, 1e8]
    result = select_learning_rate(base, grid, epochs=2, seed=7, data=data, device=CPU,
                                  progress=False)
    scores = {c["lr"]: c["val_accuracy"] for c in result["candidates"]}
    assert [c["lr"] for c in result["candidates"]] == grid
    assert result["candidates"][2]["status"] == "diverged"
    finite = {lr: score for lr, score in scores.items() if not math.isnan(score)}
    assert result["lr"] == max(finite, key=finite.get) == 0.05
    # the test split is never read: corrupting it, or leaving it out, changes nothing
    rng = np.random.default_rng(0)
    corrupted = {**data, "x_test": rng.normal(size=data["x_test"].shape).astype(np.float32),
                 "y_test": rng.permutation(data["y_test"])}
    no_test = {key: value for key, value in data.items() if not key.endswith("_test")}
    for variant in (corrupted, no_test):
        other = select_learning_rate(base, grid, epochs=2, seed=7, data=variant, device=CPU,
                                     progress=False)
        assert finite_or_none(other["candidates"]) == finite_or_none(result["candidates"])
        assert other["lr"] == result["lr"]
    # while the validation split does drive it: scores follow the validation labels
    shuffled = {**data, "y_val": rng.permutation(data["y_val"])}
    other = select_learning_rate(base, grid[:2], epochs=2, seed=7, data=shuffled, device=CPU,
                                 progress=False)
    assert other["candidates"][1]["val_accuracy"] < scores[0.05] - 0.3


@pytest.mark.parametrize("arch", ["mlp", "resnet", "resnet_bn"])
def test_initial_statistics_equal_the_propagation_code(arch, data):
    """Phase ``init`` of a run equals the random-init propagation of the same seed on the same
    evaluation subset (same weights; propagation rescales features, so up to rounding)."""
    config = RunConfig(arch, 5, 32, 4, lr=0.01, epochs=1, batch_size=64)
    record, _ = train_run(config, data, CPU, progress=False)
    propagated = data_statistics(arch, data["x_eval"], data["y_eval"], 32, 5, seed=4,
                                 progress=False, resnet_rescale=True)
    init = pd.DataFrame(record["statistics"]["init"])
    for name in STATISTICS:
        np.testing.assert_allclose(init[name], propagated[name], rtol=2e-5, atol=2e-6,
                                   err_msg=name)


def test_trained_statistics_equal_the_propagation_code_on_the_same_features(data):
    """After training, each phase's statistics are ``layer_statistics`` of the features the
    propagation code computes from the trained model (resnet_bn is never rescaled, so its
    features are bit for bit the same): one implementation of the statistics, not two."""
    config = TINY.replace(depth=3)
    record, model = train_run(config, data, CPU, progress=False)
    assert record["status"] == "ok"
    masks = class_pair_masks(data["y_eval"])
    for phase, batch_statistics in (("trained", False), ("trained_batch", True)):
        copied = copy.deepcopy(model).train(batch_statistics)  # batch mode moves running stats
        features = propagate(copied, input_features(copied, data["x_eval"]))
        expected = [{"layer": layer, **layer_statistics(gram(h), masks, log_scale)}
                    for layer, h, log_scale in features]
        assert record["statistics"][phase] == expected, phase
    # inference-mode and batch-statistics BN differ after training (running averages)
    assert record["ratio"]["trained"] != record["ratio"]["trained_batch"]
    # the last hidden layer of the trained classifier itself, BN in inference mode
    with torch.no_grad():
        last = model.eval().hidden(torch.as_tensor(data["x_eval"]))
    assert record["statistics"]["trained"][-1] == {"layer": config.depth,
                                                   **layer_statistics(gram(last), masks)}


def test_aggregate_tables(data, tmp_path):
    records = []
    for arch in ("mlp", "resnet_bn"):
        config = RunConfig(arch, 2, 16, 0, lr=0.05, epochs=1, batch_size=64)
        record, _ = train_run(config, data, CPU, progress=False)
        write_json({"dataset": "digits", **record}, tmp_path / f"{arch}.json")
        records.append(read_json(tmp_path / f"{arch}.json"))
    runs, layers = aggregate(records)
    assert list(runs.columns) == list(RUN_COLUMNS)
    assert runs.arch.tolist() == ["mlp", "resnet_bn"] and (runs.status == "ok").all()
    assert runs.ratio_trained.notna().all() and (runs.dataset == "digits").all()
    assert len(layers) == 2 * len(PHASES) * 3
    last = layers[(layers.arch == "mlp") & (layers.phase == "trained") & (layers.layer == 2)]
    assert last.ratio.item() == runs.ratio_trained.iloc[0]
