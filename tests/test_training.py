"""Training experiments (C1, C5): learning, bit-identical repetition, divergence and collapse
as data, resume after an interruption (and never on other data or code), learning-rate
selection on the validation split only, statistics on two subsets that never read each other,
and one implementation of the statistics for trained and random networks."""

import copy
import logging
import math

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from separability import architectures
from separability.data import digits, prepare
from separability.io import finite_or_none, read_json, write_json
from separability.models import Ensemble, SeparabilityNet
from separability.propagation import data_statistics, input_features, propagate
from separability.statistics import STATISTICS, class_pair_masks, gram, layer_statistics
from separability.training import analysis, fit
from separability.training.analysis import analyse_run, subset_statistics
from separability.training.config import RunConfig
from separability.training.fit import build_model, epoch_order, train_run
from separability.training.measures import PHASES, SUBSETS
from separability.training.selection import (
    choose_learning_rate,
    halving_rungs,
    select_learning_rate,
)
from separability.training.tables import LAST_LAYER_COLUMNS, RUN_COLUMNS, aggregate

CPU = torch.device("cpu")
TINY = RunConfig(
    "resnet_bn",
    depth=2,
    width=32,
    seed=0,
    lr=0.05,
    epochs=3,
    batch_size=64,
    weight_decay=1e-4,
    schedule="cosine",
)
TIMING = ("wall_time_s", "training_time_s")


@pytest.fixture(scope="module")
def data():
    torch.set_num_threads(1)
    return prepare(*digits(), 0.2, 0.2, 100, 0)


def comparable(record):
    """A run record without its timings and resume bookkeeping, as strict JSON would hold it."""
    return finite_or_none(
        {key: value for key, value in record.items() if key not in TIMING + ("resumed_from_epoch",)}
    )


def analysed(config, data, **options):
    """A training run (``train_run``) with its separability analysis (``analyse_run``) of the
    trained model: the run's record, its analysis and the model."""
    record, model = train_run(config, data, CPU, progress=False, **options)
    return record, analyse_run(record, model, data, CPU), model


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


@pytest.mark.parametrize(
    "config",
    [
        RunConfig("mlp", 2, 16, 0, lr=1e8, epochs=3, batch_size=64),
        # the raw resnet's forward signal grows like 3^(L/2): at L = 90 the logits overflow
        RunConfig("resnet", 90, 16, 0, lr=0.01, epochs=2, batch_size=64, resnet_rescale=False),
    ],
    ids=["absurd-lr", "raw-resnet"],
)
def test_divergence_is_recorded_not_raised(config, data, tmp_path):
    record, result, _ = analysed(config, data)
    assert record["status"] == result["status"] == "diverged"
    assert record["diverged_epoch"] >= 1 and record["diverged_step"] >= 1
    assert len(record["history"]) == record["diverged_epoch"] - 1
    assert math.isnan(record["final"]["test_accuracy"])
    measures = result["last_layer"]
    assert all(
        math.isnan(measures[f"{prefix}ratio_{phase}"])
        for prefix in ("", "heldout_")
        for phase in ("trained", "trained_batch")
    )
    assert math.isfinite(measures["ratio_init"]) and math.isfinite(measures["heldout_ratio_init"])
    assert "non-finite loss" in record["status_reason"]
    write_json({"dataset": "digits", **record}, tmp_path / "run.json")  # strict JSON, no NaN
    write_json(result, tmp_path / "analysis.json")
    runs, layers = aggregate(
        [read_json(tmp_path / "run.json")], [read_json(tmp_path / "analysis.json")]
    )
    assert runs.status.tolist() == ["diverged"]
    assert runs.ratio_trained.isna().all() and runs.test_accuracy.isna().all()
    assert set(layers.phase) == set(PHASES) and set(layers.subset) == set(SUBSETS)


def test_rescaled_resnet_trains_at_the_same_depth(data):
    """The default (rescaled) form of the same deep resnet stays finite."""
    config = RunConfig("resnet", 90, 16, 0, lr=0.01, epochs=1, batch_size=64)
    record, _ = train_run(config, data, CPU, progress=False)
    assert record["status"] == "ok"


def interrupted_at_epoch_2(config, data, checkpoint):
    """Run ``config`` with a checkpoint until an interruption after epoch 2."""

    def interrupt(epoch):
        if epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_run(config, data, CPU, checkpoint=checkpoint, progress=False, on_epoch_end=interrupt)
    assert checkpoint.exists()


def test_resume_after_interruption_equals_uninterrupted_run(data, tmp_path):
    config = TINY.replace(epochs=4, arch="resnet_bn")  # momentum buffers and BN running stats
    checkpoint = tmp_path / "resume.pt"
    interrupted_at_epoch_2(config, data, checkpoint)
    resumed, resumed_model = train_run(config, data, CPU, checkpoint=checkpoint, progress=False)
    uninterrupted, model = train_run(config, data, CPU, progress=False)
    assert resumed["resumed_from_epoch"] == 2 and uninterrupted["resumed_from_epoch"] == 0
    assert comparable(resumed) == comparable(uninterrupted)
    assert_same_model(resumed_model, model)


def test_a_finished_run_resumes_from_its_last_checkpoint(data, tmp_path):
    """A train job runs several seeds and keeps each finished run's checkpoint until all are
    written: after an interruption a finished run is rebuilt from its last epoch without
    training again, with the same record and model."""
    config = TINY.replace(epochs=2, arch="resnet_bn")
    checkpoint = tmp_path / "resume.pt"
    finished, model = train_run(config, data, CPU, checkpoint=checkpoint, progress=False)
    rebuilt, rebuilt_model = train_run(config, data, CPU, checkpoint=checkpoint, progress=False)
    assert rebuilt["resumed_from_epoch"] == 2
    assert comparable(rebuilt) == comparable(finished)
    assert_same_model(rebuilt_model, model)


def test_checkpoint_of_another_configuration_is_ignored(data, tmp_path):
    checkpoint = tmp_path / "resume.pt"
    train_run(TINY.replace(epochs=1, lr=0.2), data, CPU, checkpoint=checkpoint, progress=False)
    record, _ = train_run(TINY.replace(epochs=1), data, CPU, checkpoint=checkpoint, progress=False)
    fresh, _ = train_run(TINY.replace(epochs=1), data, CPU, progress=False)
    assert record["resumed_from_epoch"] == 0
    assert comparable(record) == comparable(fresh)


def test_checkpoint_of_other_data_is_discarded(data, tmp_path, caplog):
    """Interrupt, change the data (another split seed), rerun: a fresh run on the new data,
    with a log line saying why the checkpoint was discarded (issue: the old split's training
    data held the new test samples)."""
    config = TINY.replace(epochs=4)
    checkpoint = tmp_path / "resume.pt"
    interrupted_at_epoch_2(config, data, checkpoint)
    new_data = prepare(*digits(), 0.2, 0.2, 100, seed=1)
    with caplog.at_level(logging.WARNING, logger="separability"):
        record, model = train_run(config, new_data, CPU, checkpoint=checkpoint, progress=False)
    assert record["resumed_from_epoch"] == 0
    assert "discarding checkpoint" in caplog.text and "data" in caplog.text
    fresh, fresh_model = train_run(config, new_data, CPU, progress=False)
    assert comparable(record) == comparable(fresh)
    assert_same_model(model, fresh_model)
    assert (
        record["data_sha256"]
        != train_run(TINY.replace(epochs=1), data, CPU, progress=False)[0]["data_sha256"]
    )


def test_checkpoint_of_other_training_code_is_discarded(data, tmp_path, monkeypatch, caplog):
    config = TINY.replace(epochs=3)
    checkpoint = tmp_path / "resume.pt"
    interrupted_at_epoch_2(config, data, checkpoint)
    monkeypatch.setattr(fit, "code_fingerprint", lambda: "edited training code")
    with caplog.at_level(logging.WARNING, logger="separability"):
        record, _ = train_run(config, data, CPU, checkpoint=checkpoint, progress=False)
    assert record["resumed_from_epoch"] == 0 and "code" in caplog.text


def dead_last_block(build):
    """``build_model`` with the last block's weights zeroed: every ReLU of layer L is dead at
    initialisation and stays dead (zero pre-activation, zero gradient)."""

    def build_dead(config, in_dim, n_classes):
        model = build(config, in_dim, n_classes)
        with torch.no_grad():
            model.blocks[-1].w.weight.zero_()
        return model

    return build_dead


def test_collapsed_network_is_recorded_not_raised(data, tmp_path, monkeypatch):
    """All ReLUs of the last hidden layer dead (q = 0): status ``collapsed`` with its reason,
    NaN statistics at that layer, and a record that writes and aggregates."""
    for module in (fit, analysis):
        monkeypatch.setattr(module, "build_model", dead_last_block(build_model))
    config = RunConfig("mlp", 3, 16, 0, lr=0.05, epochs=2, batch_size=64)
    record, result, _ = analysed(config, data)
    assert record["status"] == "ok"  # training finished; the analysis finds the collapse
    assert result["status"] == "collapsed" and "q = 0" in result["status_reason"]
    for phase in PHASES:
        for subset in SUBSETS:
            last = result["statistics"][phase][subset][-1]
            assert all(math.isnan(last[name]) for name in STATISTICS), (phase, subset)
            assert math.isfinite(result["statistics"][phase][subset][1]["ratio"])
    assert math.isfinite(record["final"]["test_accuracy"])  # it still classifies (at chance)
    write_json({"dataset": "digits", **record}, tmp_path / "run.json")
    write_json(result, tmp_path / "analysis.json")
    runs, _ = aggregate([read_json(tmp_path / "run.json")], [read_json(tmp_path / "analysis.json")])
    assert runs.status.tolist() == ["collapsed"] and runs.ratio_trained.isna().all()


@pytest.mark.parametrize("batch_statistics", [False, True], ids=["running-BN", "batch-BN"])
def test_subsets_never_read_each_other(data, batch_statistics):
    """Corrupting the held-out subset changes nothing on the training subset and vice versa
    (BN with batch statistics normalises each subset over itself); only the nearest-class-mean
    accuracy of the held-out subset reads the training subset's class means, by definition."""
    model = build_model(TINY.replace(depth=3), data["x_train"].shape[1], 10)
    model.blocks[0].norm.running_mean.fill_(0.3)  # running statistics unlike a fresh model's
    reference = subset_statistics(model, data, batch_statistics)
    rng = np.random.default_rng(0)
    for corrupted, key in (("heldout", "heldout"), ("train", "eval")):
        other = {**data, f"x_{key}": rng.normal(size=data[f"x_{key}"].shape).astype(np.float32)}
        changed = subset_statistics(model, other, batch_statistics)
        kept = "train" if corrupted == "heldout" else "heldout"
        gram_stats = pd.DataFrame(changed[kept])[list(STATISTICS)]
        pd.testing.assert_frame_equal(gram_stats, pd.DataFrame(reference[kept])[list(STATISTICS)])
        assert not pd.DataFrame(changed[corrupted]).ratio.equals(
            pd.DataFrame(reference[corrupted]).ratio
        )
        ncm_changed = pd.DataFrame(changed["heldout"]).ncm_accuracy
        assert not ncm_changed.equals(pd.DataFrame(reference["heldout"]).ncm_accuracy)


def test_choice_is_the_best_validation_score():
    candidates = [
        {"lr": 0.1, "status": "ok", "val_accuracy": 0.80, "val_loss": 0.7},
        {"lr": 0.01, "status": "ok", "val_accuracy": 0.90, "val_loss": 0.5},
        {"lr": 0.03, "status": "ok", "val_accuracy": 0.90, "val_loss": 0.4},  # tie: lower loss
        {"lr": 1.0, "status": "diverged", "val_accuracy": math.nan, "val_loss": math.nan},
    ]
    assert choose_learning_rate(candidates) == 0.03
    assert choose_learning_rate(candidates[:2] + candidates[3:]) == 0.01
    all_diverged = [
        {"lr": lr, "status": "diverged", "val_accuracy": None, "val_loss": None}
        for lr in (3.0, 1.0, 10.0)
    ]
    assert choose_learning_rate(all_diverged) == 1.0


def test_lr_selection_uses_only_the_validation_split(data):
    base = RunConfig("mlp", 2, 16, 0, lr=0.0, epochs=2, batch_size=64)
    grid = [1e-4, 0.05, 1e8]
    result = select_learning_rate(
        base, grid, epochs=2, seed=7, data=data, device=CPU, progress=False
    )
    scores = {c["lr"]: c["val_accuracy"] for c in result["candidates"]}
    assert [c["lr"] for c in result["candidates"]] == grid
    assert result["candidates"][2]["status"] == "diverged"
    finite = {lr: score for lr, score in scores.items() if not math.isnan(score)}
    assert result["lr"] == max(finite, key=finite.get) == 0.05
    # the test split is never read: corrupting it, or leaving it out, changes nothing
    rng = np.random.default_rng(0)
    corrupted = {
        **data,
        "x_test": rng.normal(size=data["x_test"].shape).astype(np.float32),
        "y_test": rng.permutation(data["y_test"]),
    }
    no_test = {key: value for key, value in data.items() if not key.endswith("_test")}
    for variant in (corrupted, no_test):
        other = select_learning_rate(
            base, grid, epochs=2, seed=7, data=variant, device=CPU, progress=False
        )
        assert finite_or_none(other["candidates"]) == finite_or_none(result["candidates"])
        assert other["lr"] == result["lr"]
    # while the validation split does drive it: scores follow the validation labels
    shuffled = {**data, "y_val": rng.permutation(data["y_val"])}
    other = select_learning_rate(
        base, grid[:2], epochs=2, seed=7, data=shuffled, device=CPU, progress=False
    )
    assert other["candidates"][1]["val_accuracy"] < scores[0.05] - 0.3


@pytest.mark.parametrize("arch", ["mlp", "resnet", "resnet_bn"])
def test_initial_statistics_equal_the_propagation_code(arch, data):
    """Phase ``init`` of a run equals the random-init propagation of the same seed on the same
    evaluation subset (same weights; propagation rescales features, so up to rounding)."""
    config = RunConfig(arch, 5, 32, 4, lr=0.01, epochs=1, batch_size=64)
    _, record, _ = analysed(config, data)
    propagated = data_statistics(
        arch, data["x_eval"], data["y_eval"], 32, 5, seed=4, progress=False, resnet_rescale=True
    )
    init = pd.DataFrame(record["statistics"]["init"]["train"])
    for name in STATISTICS:
        np.testing.assert_allclose(init[name], propagated[name], rtol=2e-5, atol=2e-6, err_msg=name)


def test_trained_statistics_equal_the_propagation_code_on_the_same_features(data):
    """After training, each phase's statistics are ``layer_statistics`` of the features the
    propagation code computes from the trained model (resnet_bn is never rescaled, so its
    features are bit for bit the same): one implementation of the statistics, not two."""
    config = TINY.replace(depth=3)
    _, record, model = analysed(config, data)
    assert record["status"] == "ok"
    masks = class_pair_masks(data["y_eval"])
    for phase, batch_statistics in (("trained", False), ("trained_batch", True)):
        copied = copy.deepcopy(model).train(batch_statistics)  # batch mode moves running stats
        features = propagate(copied, input_features(copied, data["x_eval"]))
        expected = [
            {"layer": layer, **layer_statistics(gram(h), masks, log_scale)}
            for layer, h, log_scale in features
        ]
        assert without_ncm(record["statistics"][phase]["train"]) == expected, phase
    # inference-mode and batch-statistics BN differ after training (running averages)
    assert record["last_layer"]["ratio_trained"] != record["last_layer"]["ratio_trained_batch"]
    # the last hidden layer of the trained classifier itself, BN in inference mode, on both
    # subsets; the held-out nearest-class-mean accuracy uses the training subset's class means
    with torch.no_grad():
        last = {
            subset: model.eval().hidden(torch.as_tensor(data[f"x_{key}"]))
            for subset, key in SUBSETS.items()
        }
    for subset, key in SUBSETS.items():
        expected = {
            "layer": config.depth,
            **layer_statistics(gram(last[subset]), class_pair_masks(data[f"y_{key}"])),
        }
        assert without_ncm(record["statistics"]["trained"][subset][-1:]) == [expected]
    means = np.stack([last["train"].numpy()[data["y_eval"] == c].mean(axis=0) for c in range(10)])
    distances = ((last["heldout"].numpy()[:, None, :] - means[None]) ** 2).sum(axis=2)
    ncm = np.mean(distances.argmin(axis=1) == data["y_heldout"])
    assert record["last_layer"]["heldout_ncm_accuracy_trained"] == pytest.approx(ncm)
    assert record["last_layer"]["heldout_ncm_accuracy_trained"] > 0.8


def without_ncm(rows):
    """Per-layer rows without the nearest-class-mean accuracy and the effective rank (not
    statistics of ``layer_statistics``)."""
    extra = ("ncm_accuracy", "effective_rank")
    return [{key: value for key, value in row.items() if key not in extra} for row in rows]


def test_aggregate_tables(data, tmp_path):
    records, analyses = [], []
    for arch in ("mlp", "resnet_bn"):
        config = RunConfig(arch, 2, 16, 0, lr=0.05, epochs=1, batch_size=64)
        record, result, _ = analysed(config, data)
        write_json({"dataset": "digits", **record}, tmp_path / f"{arch}.json")
        write_json(result, tmp_path / f"{arch}_analysis.json")
        records.append(read_json(tmp_path / f"{arch}.json"))
        analyses.append(read_json(tmp_path / f"{arch}_analysis.json"))
    runs, layers = aggregate(records, analyses)
    assert list(runs.columns) == list(RUN_COLUMNS)
    assert runs.arch.tolist() == ["mlp", "resnet_bn"] and (runs.status == "ok").all()
    assert runs[list(LAST_LAYER_COLUMNS)].notna().all().all() and (runs.dataset == "digits").all()
    assert len(layers) == 2 * len(PHASES) * len(SUBSETS) * 3
    last = layers[(layers.arch == "mlp") & (layers.phase == "trained") & (layers.layer == 2)]
    assert last[last.subset == "train"].ratio.item() == runs.ratio_trained.iloc[0]
    assert last[last.subset == "heldout"].ratio.item() == runs.heldout_ratio_trained.iloc[0]
    assert last[last.subset == "heldout"].fisher.item() == runs.heldout_fisher_trained.iloc[0]
    assert last[last.subset == "train"].ncm_accuracy.isna().all()


def test_second_training_settings_join_the_dag_only_when_configured(tmp_path):
    """claims.training_robustness_datasets and claims.training_second_width each add one full
    set of training jobs (selection, runs, table) read by the claims, and nothing otherwise;
    a second width equal to training.width is refused before any job, naming the key."""
    from conftest import snakemake
    from test_workflow import copy_workflow, jobs_of

    workdir = copy_workflow(tmp_path)
    smoke = yaml.safe_load((workdir / "smoke.yaml").read_text())
    # one train job and one select_lr job per architecture (over all depths and seeds)
    jobs_per_setting = len(smoke["architectures"])
    plain = jobs_of(
        snakemake("-n", "--cores", "1", "--configfile", "smoke.yaml", cwd=workdir).stdout
    )
    assert plain["train"] == jobs_per_setting and plain["aggregate_training"] == 1
    assert plain["select_lr"] == jobs_per_setting
    (workdir / "second.yaml").write_text(
        yaml.safe_dump(
            {"claims": {"training_robustness_datasets": ["synthetic"], "training_second_width": 8}}
        )
    )
    dry = snakemake(
        "-n", "--cores", "1", "--configfile", "smoke.yaml", "second.yaml", cwd=workdir
    ).stdout
    planned = jobs_of(dry)
    # the second settings train the paper's architectures only (all the claims read there)
    paper = len([arch for arch in architectures.paper_order() if arch in smoke["architectures"]])
    assert planned["train"] == plain["train"] + 2 * paper < 3 * plain["train"]
    assert planned["select_lr"] == plain["select_lr"] + 2 * paper
    assert planned["aggregate_training"] == 3
    assert "results/synthetic/training/runs.tsv" in dry
    assert "results/digits/training_N8/runs/mlp_depth2_seed0.json" in dry
    (workdir / "same.yaml").write_text(
        yaml.safe_dump({"claims": {"training_second_width": smoke["training"]["width"]}})
    )
    refused = snakemake(
        "-n", "--cores", "1", "--configfile", "smoke.yaml", "same.yaml", cwd=workdir, check=False
    )
    assert refused.returncode != 0
    assert "claims.training_second_width" in refused.stdout + refused.stderr


def test_runs_trained_together_equal_runs_trained_alone(data):
    """``fit`` trains several runs as one Ensemble: each run's model and history are
    bit-identical to its run alone, and a partner that diverges changes nothing for the others
    (it stops at its own step, they train on)."""
    seeds = [TINY.replace(seed=seed) for seed in range(3)]
    together = fit.fit(seeds, data, CPU, progress=False)
    for config, result in zip(seeds, together, strict=True):
        (alone,) = fit.fit([config], data, CPU, progress=False)
        assert result.history == alone.history
        assert_same_model(result.model, alone.model)
    rates = [TINY, TINY.replace(lr=1e4)]
    steady, diverging = fit.fit(rates, data, CPU, progress=False)
    assert (steady.status, diverging.status) == ("ok", "diverged")
    assert diverging.diverged_step is not None and len(diverging.history) < TINY.epochs
    assert steady.history == together[0].history
    assert_same_model(steady.model, together[0].model)
    with pytest.raises(ValueError, match="differ only in"):
        fit.fit([TINY, TINY.replace(depth=3)], data, CPU, progress=False)
    variance_only = SeparabilityNet("resnet_bn", 4, 8, 2, n_classes=3, bn_centering=False)
    with pytest.raises(ValueError, match="centred BN"):
        Ensemble([variance_only.initialise(0)])


def test_halving_rungs():
    assert halving_rungs(10, 6) == [(3, 3), (5, 2)]
    assert halving_rungs(4, 6) == [(1, 3), (2, 2)]
    assert halving_rungs(10, 2) == [] and halving_rungs(1, 6) == []


def test_successive_halving_keeps_the_survivors_runs(data):
    """Successive halving stops the worse candidates at its rungs; each survivor's history is
    the same as in the full grid, bit for bit, so the choice is the full grid's here."""
    base = RunConfig("mlp", 2, 16, 0, lr=0.0, epochs=4, batch_size=64)
    grid = [1e-4, 3e-4, 1e-3, 0.01, 0.05, 1e8]
    full = select_learning_rate(base, grid, 4, 7, data, CPU, progress=False)
    halved = select_learning_rate(
        base, grid, 4, 7, data, CPU, progress=False, successive_halving=True
    )
    assert halved["halving_rungs"] == [[1, 3], [2, 2]]
    assert halved["lr"] == full["lr"]
    statuses = {c["lr"]: c["status"] for c in halved["candidates"]}
    assert list(statuses.values()).count("ok") == 2 and statuses[1e8] == "diverged"
    for mine, theirs in zip(halved["candidates"], full["candidates"], strict=True):
        n = len(mine["history"])
        assert finite_or_none(mine["history"]) == finite_or_none(theirs["history"][:n])
        if mine["status"] == "stopped":
            assert n in (1, 2)


def test_test_split_is_evaluated_at_log_spaced_epochs_and_the_last(data):
    record, _ = train_run(TINY.replace(epochs=6), data, CPU, progress=False)
    tested = [r["epoch"] for r in record["history"] if "test_accuracy" in r]
    assert tested == [1, 2, 4, 6]
    assert all("val_accuracy" in r for r in record["history"])
    assert record["final"]["test_accuracy"] == record["history"][-1]["test_accuracy"]


def test_probe_accuracy_on_small_held_out_subsets():
    """The linear probe separates separable features, uses fewer folds when the rarest class has
    fewer members than PROBE_FOLDS, and is NaN where no fold can be held out (a class with one
    member, a single class, all-zero features)."""
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 10)
    features = np.eye(3)[labels] * 5 + rng.normal(0, 0.1, (30, 3))
    assert analysis.probe_accuracy(features, labels) == 1.0
    rare = np.r_[labels[:-8], [2, 2]]  # class 2 has two members: two folds
    assert analysis.probe_accuracy(features[: len(rare)], rare) == 1.0
    assert math.isnan(analysis.probe_accuracy(features[:21], labels[:21]))  # class 2: one member
    assert math.isnan(analysis.probe_accuracy(features[:10], labels[:10]))  # one class
    assert math.isnan(analysis.probe_accuracy(np.zeros((30, 3)), labels))
