"""Figures 1-9 drawn from small synthetic tidy tables shaped like the workflow's results: each
figure renders, every panel with data is labelled, architectures are told apart in a legend,
the promised log axes are there, unfinished training runs are marked, and ``save`` writes the
PDF and PNG. Importing the module leaves matplotlib's backend alone."""

import math
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from separability.plotting import angles, phase_diagram, random_init, style, training, width_law

ARCHS = ("mlp", "resnet", "resnet_bn")
NAMES = [style.LABELS[arch] for arch in ARCHS]
DEPTH = 12
TRAINED_DEPTHS = (2, 8)
SEEDS = 3


@pytest.fixture(scope="module", autouse=True)
def paper_style():
    style.style()
    yield
    plt.close("all")


def draw(figure: plt.Figure) -> plt.Figure:
    """Render ``figure`` (text such as mathtext labels is only parsed when drawn)."""
    figure.canvas.draw()
    return figure


def data_axes(figure: plt.Figure) -> list[plt.Axes]:
    """The visible axes that hold something drawn from the data."""
    return [ax for ax in figure.axes if ax.axison and (ax.lines or ax.collections)]


def assert_labelled(figure: plt.Figure) -> None:
    """Every axes with data has an x label, and a y label of its own or of an axes it shares
    the y axis with."""
    for ax in data_axes(figure):
        assert ax.get_xlabel(), f"no x label on {ax.get_title()!r}"
        siblings = ax.get_shared_y_axes().get_siblings(ax)
        assert any(other.get_ylabel() for other in siblings), f"no y label on {ax.get_title()!r}"


def legend_texts(figure: plt.Figure) -> list[str]:
    """Texts of every legend of the figure and of its axes."""
    legends = list(figure.legends) + [
        ax.get_legend() for ax in figure.axes if ax.get_legend() is not None
    ]
    return [text.get_text() for legend in legends for text in legend.get_texts()]


def assert_architectures_in_legend(figure: plt.Figure) -> None:
    texts = legend_texts(figure)
    for name in NAMES:
        assert name in texts, f"{name} not in the legend {texts}"


# --------------------------------------------------------------------------------------------
# Random-init tables: distances (figures 1, 2, 7), angles (figures 3, 4, 8)


def channel_columns(d_w, d_b) -> dict:
    """Angle and norm-gap columns consistent with normalised distances d_w, d_b: the angles
    carry the distances, the norm gaps stay flat."""
    return {
        "theta_w": 2 * np.arcsin(np.minimum(d_w / 2, 1.0)),
        "theta_b": 2 * np.arcsin(np.minimum(d_b / 2, 1.0)),
        "gap_w_norm": np.full_like(d_w, 0.1),
        "gap_b_norm": np.full_like(d_w, 0.12),
    }


def distance_tables(widths=(32,)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulation (per seed and width) and Gram-recursion theory tables of d_w, d_b and their
    ratio through DEPTH layers; resnet_bn's theory exact ("centred") and large-batch."""
    rng = np.random.default_rng(0)
    layers = np.arange(DEPTH + 1)
    simulation, theory = [], []
    for rank, arch in enumerate(ARCHS):
        d_w = 0.8 * np.exp(-0.02 * (3 - rank) * layers)
        d_b = (1.3 - 0.02 * (3 - rank) * layers / DEPTH) * d_w
        variants = (
            {"centred": 0.0, "centred_large_batch": 0.05} if arch == "resnet_bn" else {"-": 0.0}
        )
        for variant, shift in variants.items():
            theory.append(
                pd.DataFrame(
                    {
                        "arch": arch,
                        "variant": variant,
                        "layer": layers,
                        "d_w_norm": d_w,
                        "d_b_norm": d_b + shift * d_w,
                        "ratio": d_b / d_w + shift,
                        **channel_columns(d_w, d_b + shift * d_w),
                    }
                )
            )
        for width in widths:
            for seed in range(SEEDS):
                noise = np.exp(rng.normal(0, 1 / math.sqrt(width), size=(2, len(layers))))
                simulation.append(
                    pd.DataFrame(
                        {
                            "arch": arch,
                            "seed": seed,
                            "width": width,
                            "layer": layers,
                            "d_w_norm": d_w * noise[0],
                            "d_b_norm": d_b * noise[1],
                            "ratio": d_b * noise[1] / (d_w * noise[0]),
                            **channel_columns(d_w * noise[0], d_b * noise[1]),
                        }
                    )
                )
    return pd.concat(simulation, ignore_index=True), pd.concat(theory, ignore_index=True)


def scalar_table(depth: int = 3000) -> pd.DataFrame:
    """Scalar theory of theta_l from pi/2 and pi/4: exponential (mlp), power-law (resnet) and
    reciprocal (resnet_bn) decay."""
    layers = np.arange(depth + 1)
    laws = {
        "mlp": lambda a0: a0 * np.exp(-0.002 * layers),
        "resnet": lambda a0: a0 * (1 + layers) ** -0.5,
        "resnet_bn": lambda a0: a0 * 10 / (10 + layers),
    }
    rows = [
        pd.DataFrame({"arch": arch, "angle0": angle0, "layer": layers, "theta": law(angle0)})
        for arch, law in laws.items()
        for angle0 in (math.pi / 2, math.pi / 4)
    ]
    table = pd.concat(rows, ignore_index=True)
    return table.assign(cos=np.cos(table.theta), log_theta=np.log(table.theta))


def pairs_table(depth: int = 100, width: int = 32, **columns) -> pd.DataFrame:
    """Controlled pairs: the scalar theory's angles to ``depth`` with seed noise."""
    scalar = scalar_table()
    rng = np.random.default_rng(1)
    shown = scalar[scalar.layer <= depth]
    rows = [
        shown.assign(
            seed=seed,
            width=width,
            **columns,
            theta=shown.theta * np.exp(rng.normal(0, 0.02, len(shown))),
        )
        for seed in range(SEEDS)
    ]
    table = pd.concat(rows, ignore_index=True).drop(columns="log_theta")
    return table.assign(cos=np.cos(table.theta))


def test_distances_figure():
    """Figure 1: within- and between-class distance panels, symlog layer axis, architectures
    and every theory variant in the legend."""
    simulation, theory = distance_tables()
    figure = draw(random_init.distances_figure(simulation, theory, "digits"))
    assert len(data_axes(figure)) == 2
    assert_labelled(figure)
    assert_architectures_in_legend(figure)
    assert "theory, large-batch BN approximation" in legend_texts(figure)
    assert all(ax.get_xscale() == "symlog" for ax in figure.axes)
    assert "N = 32" in figure._suptitle.get_text()


def test_ratio_figure():
    """Figure 2: a panel per channel (the distance ratio, the angle ratio, the norm-gap
    ratio), each with mean +- sd bands and the theory lines of every variant."""
    simulation, theory = distance_tables()
    figure = draw(random_init.ratio_figure(simulation, theory, "digits"))
    assert len(figure.axes) == 3
    assert_labelled(figure)
    assert_architectures_in_legend(figure)
    for ax in figure.axes:
        assert ax.get_xscale() == "symlog"
        assert len(ax.collections) == len(ARCHS)  # one seed band per architecture
        assert len(ax.lines) >= len(ARCHS) + 1  # means, theory (two for resnet_bn), ratio 1
    titles = [ax.get_title() for ax in figure.axes]
    assert "angle channel" in titles[1] and "norm channel" in titles[2]


def sampled_errors(widths=(64, 1024, 65536), networks=4) -> pd.DataFrame:
    """The sampler's width scan of figure 7: per network, |ratio - theory| falling like
    N^(-1/2), resnet_bn against the exact BN theory and (flat) its large-batch approximation."""
    rng = np.random.default_rng(3)
    rows = []
    for arch in ARCHS:
        variants = ("centred", "centred_large_batch") if arch == "resnet_bn" else ("-",)
        for variant in variants:
            for width in widths:
                floor = 0.02 if variant == "centred_large_batch" else 0.0
                errors = floor + 0.1 * math.sqrt(64 / width) * rng.lognormal(0, 0.5, networks)
                rows += [
                    {
                        "arch": arch,
                        "variant": variant,
                        "width": width,
                        "network": k,
                        "samples": 20,
                        "error": error,
                    }
                    for k, error in enumerate(errors)
                ]
    return pd.DataFrame(rows)


def test_width_figure():
    """Figure 7: error against width on log-log axes, the sampler's curves to N = 2^16 with the
    real networks' points at their widths (marked in the legend), N^-1/2 reference, resnet_bn
    also against the large-batch approximation."""
    simulation, theory = distance_tables(widths=(16, 64, 256))
    figure = draw(random_init.width_figure(simulation, theory, "digits", sampled_errors()))
    [ax] = figure.axes
    assert_labelled(figure)
    assert_architectures_in_legend(figure)
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert ax.get_xlim()[1] > 65536 and ax.get_xlim()[0] < 16
    texts = legend_texts(figure)
    assert r"$\propto N^{-1/2}$" in texts
    assert any("large-batch" in text for text in texts)
    assert any(text.startswith("sampler, 20 inputs") for text in texts)
    assert any(text.startswith("real networks") for text in texts)
    assert len(ax.containers) == len(ARCHS)  # the real networks' error bars


def test_angle_decay_figure():
    """Figure 3: log-log and semi-log panels, the local exponent with its analytic limits, and
    each architecture's law in the theory's asymptotic window under C4's dictionary named in
    the legend."""
    wide = pairs_table(width=4096).rename(columns={"seed": "network"})
    real = pairs_table(width=512)
    figure = draw(angles.angle_decay_figure(wide, scalar_table(), real))
    axes = figure.axes
    assert len(axes) == 3
    assert_labelled(figure)
    assert_architectures_in_legend(figure)
    assert [(ax.get_xscale(), ax.get_yscale()) for ax in axes] == [
        ("log", "log"),
        ("linear", "log"),
        ("log", "linear"),
    ]
    assert "local exponent" in axes[2].get_ylabel()
    texts = legend_texts(figure)
    assert {"1: a 1/l law", "1/log l"} <= set(texts)
    notes = " ".join(texts)
    for name, law, words in (
        ("MLP", "exponential", "(exponential)"),
        ("ResNet", "power", "(sub-exponential)"),
        ("ResNet+BN", "power", "(sub-exponential, reciprocal)"),
    ):
        assert f"{name}, l ∈ [1000, 3000]: {law}, p = " in notes
        note = next(t for t in texts if t.startswith(f"{name}, l ∈"))
        assert note.endswith(words), note
    assert any(text.startswith("sampler, N = 4096") for text in texts)
    assert any(text.startswith("real networks, N = 512 (finite width") for text in texts)
    assert "N = 4096" in figure._suptitle.get_text()


def test_angle_maps_figure():
    """Figure 4: cosine map and contraction panels with the simulated first block as dots."""
    pairs = pairs_table(depth=1)
    figure = draw(angles.angle_maps_figure(pairs, 2.0, 2.0, 0.0))
    axes = figure.axes
    assert len(axes) == 2
    assert_labelled(figure)
    assert all(len(ax.collections) == len(ARCHS) for ax in axes)  # dots per architecture
    assert {"MLP", "ResNet", "ResNet+BN, block 1", "ResNet+BN, block 100"} <= set(
        legend_texts(figure)
    )


# --------------------------------------------------------------------------------------------
# Training tables (figures 5, 6)


def runs_table(unfinished: bool = True) -> pd.DataFrame:
    """runs.tsv of a small study: three architectures, two depths, three seeds; the mlp of
    depth 8, seed 2 diverged (its trained measures NaN) when ``unfinished``."""
    rng = np.random.default_rng(2)
    rows = []
    for rank, arch in enumerate(ARCHS):
        for depth in TRAINED_DEPTHS:
            for seed in range(SEEDS):
                ratio = 1.5 + 0.2 * rank - 0.02 * depth + 0.02 * rng.standard_normal()
                row = {
                    "dataset": "digits",
                    "arch": arch,
                    "depth": depth,
                    "width": 32,
                    "seed": seed,
                    "n_classes": 10,
                    "status": "ok",
                    "ratio_init": 1.2 - 0.01 * depth,
                    "heldout_ratio_init": 1.2,
                    "ratio_trained": ratio + 0.3,
                    "heldout_ratio_trained": ratio,
                    "ratio_trained_batch": ratio + 0.35,
                    "heldout_ratio_trained_batch": ratio + 0.05,
                    "heldout_fisher_trained": 10 ** (rank + rng.uniform(0, 0.5)),
                    "heldout_ncm_accuracy_trained": 0.6 + 0.1 * rank,
                    "heldout_probe_accuracy_trained": 0.62 + 0.1 * rank,
                    "heldout_angle_ratio_trained": 1.0 + (ratio - 1.0) / 2,
                    "heldout_effective_rank_init": 20.0 - depth,
                    "heldout_effective_rank_trained": 9.0 + rank,
                    "test_accuracy": 0.7 + 0.05 * rank + 0.01 * rng.standard_normal(),
                    "train_accuracy": 0.95,
                }
                if unfinished and (arch, depth, seed) == ("mlp", 8, 2):
                    row.update(
                        {
                            key: math.nan
                            for key in row
                            if key.endswith("_trained")
                            or key.endswith("_batch")
                            or key.endswith("accuracy")
                        },
                        status="diverged",
                    )
                rows.append(row)
    return pd.DataFrame(rows)


def layers_table() -> pd.DataFrame:
    """layers.tsv: the ratio through the layers before and after training, both subsets."""
    rows = []
    for arch in ARCHS:
        for depth in TRAINED_DEPTHS:
            for seed in range(SEEDS):
                for phase, gain in (("init", 0.0), ("trained", 0.5), ("trained_batch", 0.6)):
                    for subset in ("heldout", "train"):
                        rows += [
                            {
                                "arch": arch,
                                "depth": depth,
                                "seed": seed,
                                "phase": phase,
                                "subset": subset,
                                "layer": layer,
                                "ratio": 1.2 + gain * layer / depth + 0.01 * seed,
                            }
                            for layer in range(depth + 1)
                        ]
    return pd.DataFrame(rows)


def marked_counts(ax: plt.Axes) -> list[str]:
    """The unfinished/total annotations of ``diverged_markers`` on ``ax``."""
    return [text.get_text() for text in ax.texts if "/" in text.get_text()]


def test_trained_ratio_figure_marks_the_diverged_run():
    """Figure 5: held-out and training-subset panels against depth on a log2 axis, the
    deepest networks through the layers; the diverged run marked 1/3 with a legend entry."""
    figure = draw(training.trained_ratio_figure(runs_table(), layers_table(), "digits"))
    axes = figure.axes
    assert len(axes) == 4
    assert "effective rank" in axes[3].get_ylabel() and axes[3].get_yscale() == "log"
    assert_labelled(figure)
    assert_architectures_in_legend(figure)
    assert [ax.get_xscale() for ax in axes[:2]] == ["log", "log"]
    assert [tick.get_text() for tick in axes[0].get_xticklabels()] == ["2", "8"]
    assert marked_counts(axes[0]) == ["1/3"]
    assert "diverged or collapsed runs (of all; 1 in all)" in legend_texts(figure)
    assert "L = 8" in axes[2].get_title()


def test_trained_ratio_figure_without_unfinished_runs_has_no_marker():
    figure = training.trained_ratio_figure(runs_table(unfinished=False), layers_table(), "digits")
    assert marked_counts(figure.axes[0]) == []
    assert not any("diverged" in text for text in legend_texts(figure))


def test_accuracy_figure_marks_the_diverged_run():
    """Figure 6: six measure panels with their Spearman correlation (the ratios, Fisher,
    nearest-class mean, linear probe, angle ratio), accuracy against depth with the diverged
    run marked, chance level, a legend panel; Fisher's criterion, which spans decades, on a
    log axis."""
    figure = draw(training.accuracy_figure(runs_table(), "digits"))
    axes = figure.axes
    assert len(axes) == 8 and len(data_axes(figure)) == 7
    assert_labelled(figure)
    assert_architectures_in_legend(figure)
    measures = [axes[0], axes[1], axes[2], axes[4], axes[5], axes[6]]
    assert all(
        ax.get_title().startswith("Spearman ρ") and "17 runs" in ax.get_title() for ax in measures
    )
    assert axes[2].get_xscale() == "log" and axes[0].get_xscale() == "linear"
    assert marked_counts(axes[3]) == ["1/3"]
    texts = legend_texts(figure)
    assert "diverged or collapsed runs (of all; 1 in all)" in texts
    assert "chance (0.1)" in texts and {"L = 2", "L = 8"} <= set(texts)


# --------------------------------------------------------------------------------------------
# Figure 8 and files


def phase_cells() -> pd.DataFrame:
    """Scalar-theory laws over a 3 x 2 grid of (s_w, s_b) per architecture."""
    rows = []
    for arch, laws in (
        ("mlp", ("exponential", "reciprocal")),
        ("resnet", ("reciprocal",) * 2),
        ("resnet_bn", ("inverse_log",) * 2),
    ):
        for s_w in (1.0, 2.0, 3.0):
            for s_b, law in zip((0.0, 0.5), laws):
                rows.append(
                    {
                        "arch": arch,
                        "s_w": s_w,
                        "s_b": s_b,
                        "law": law,
                        "paper_name": law,
                        "rate": 0.3,
                        "first": 100,
                        "last": 1000,
                        "heldout_rms": 0.01,
                        "log_theta_depth": -3.0,
                        "depth": 1000,
                    }
                )
    return pd.DataFrame(rows)


def clock() -> pd.DataFrame:
    layers = np.unique(np.geomspace(1, 1000, 40).astype(int))
    theta_bn = 9.0 / (np.log(layers) + 6.0)
    return pd.DataFrame(
        {
            "layer": layers,
            "tau": np.log(layers),
            "theta_bn": theta_bn,
            "theta_mlp_at_tau": 0.95 * theta_bn,
            "theta_log_l": theta_bn * np.log(np.maximum(layers, 2)),
        }
    )


def test_phase_figure():
    """Figure 8: one phase panel per architecture over (s_w, s_b) and the log-log clock."""
    pairs = pairs_table(depth=60, s_w=2.0, s_b=0.0).rename(columns={"seed": "network"})
    figure = draw(phase_diagram.phase_figure(phase_cells(), pairs, clock(), math.pi / 2, 2.0))
    axes = figure.axes
    assert len(axes) == len(ARCHS) + 1
    assert_labelled(figure)
    assert [ax.get_title().split(":")[0] for ax in axes[:3]] == NAMES
    assert axes[0].get_title() == "MLP: E 50%, R 50%"
    assert (axes[3].get_xscale(), axes[3].get_yscale()) == ("log", "log")
    texts = legend_texts(figure)
    assert "E: exponential" in texts and "He init (2, 0)" in texts


def width_law_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Figure 9's curves (ratio 1 - 0.3 l / N with widening bands, at widths 64 and 256) and
    summary rows."""
    curves, summary = [], []
    for arch in ARCHS:
        for width, networks in ((64, 512), (256, 64)):
            layers = np.unique(np.rint(np.geomspace(1, 4 * width, 30)).astype(int))
            x = layers / width
            curves.append(
                pd.DataFrame(
                    {
                        "arch": arch,
                        "width": width,
                        "networks": networks,
                        "layer": layers,
                        "x": x,
                        "ratio": np.exp(-0.3 * x),
                        "ratio_se": 0.02 * np.sqrt(x),
                    }
                )
            )
        summary.append(
            {
                "arch": arch,
                "a": 0.3,
                "a_low": 0.25,
                "a_high": 0.35,
                "spread": 0.05,
                "spread_se": 0.01,
                "spread_x": 0.5,
                "spread_noise": 0.04,
                "a_predicted": 0.33 if arch == "mlp" else math.nan,
            }
        )
    return pd.concat(curves, ignore_index=True), pd.DataFrame(summary)


def test_width_law_figure():
    """Figure 9: one panel per architecture against l / N on a log axis, every width named in
    the legend, the fitted leading term and the two numbers of each panel written in it, the
    moments' prediction of a where there is one (the MLP)."""
    curves, summary = width_law_tables()
    figure = draw(width_law.width_law_figure(curves, summary))
    axes = figure.axes
    assert len(axes) == len(ARCHS)
    assert_labelled(figure)
    assert [ax.get_title() for ax in axes] == NAMES
    assert all(ax.get_xscale() == "log" for ax in axes)
    texts = legend_texts(figure)
    assert "N = 64 (512 networks)" in texts and "N = 256 (64 networks)" in texts
    assert any(text.startswith("1 − a l/N") for text in texts)
    assert all("a = 0.300 [0.250, 0.350]" in ax.texts[0].get_text() for ax in axes)
    assert "predicted from the moments: a = 0.330" in axes[0].texts[0].get_text()
    assert "predicted" not in axes[1].texts[0].get_text()
    assert all(len(ax.collections) >= 2 for ax in axes)  # a band per width


def test_save_writes_pdf_and_png(tmp_path):
    simulation, theory = distance_tables()
    figure = random_init.ratio_figure(simulation, theory, "digits")
    pdf, png = tmp_path / "fig.pdf", tmp_path / "fig.png"
    style.save(figure, pdf, png, dpi=50)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 1000
    assert not plt.fignum_exists(figure.number)  # closed


def test_import_leaves_the_backend_alone():
    """Importing the package's plotting module keeps the backend chosen before it; the plot
    scripts switch to Agg explicitly."""
    code = (
        "import matplotlib; matplotlib.use('svg'); "
        "from separability.plotting import angles, phase_diagram, random_init, style, training, "
        "width_law; "
        "assert matplotlib.get_backend() == 'svg'; "
        "style.use_headless_backend(); print(matplotlib.get_backend())"
    )
    process = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip().lower() == "agg"
