import functools
import json
import re
import sys
import os
from pathlib import Path

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, update_config

min_version("9.0")


def typed_override(value):
    """A `--config` value typed as in a YAML config file (Snakemake leaves nested values, and
    `true`/`false`, as strings)."""
    if isinstance(value, dict):
        return {key: typed_override(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed_override(item) for item in value]
    if not isinstance(value, str):
        return value
    for number in (int, float):
        try:
            return number(value)
        except ValueError:
            pass
    loaded = yaml.safe_load(value)
    # YAML 1.1 reads 1e40 as a string: type the values inside a mapping or list as well
    return typed_override(loaded) if isinstance(loaded, (dict, list)) else loaded


# `--config data='{seed: 1}' download=true` sets data.seed to the integer 1 and download to
# the boolean true, as a config file would.
for key, value in workflow.config_settings.config.items():
    update_config(config, {key: typed_override(value)})

# The package is installed in the environment that runs snakemake and its jobs (README).
from separability import DATASETS as DATASET_NAMES
from separability import architectures, resources
from separability.workflow import schema_errors

# The config schema, with the names of the architectures and data sets filled in from the
# package's registries (the file lists the built-in ones; a test keeps the two equal).
CONFIG_SCHEMA = yaml.safe_load(
    Path(workflow.basedir, "workflow/schemas/config.schema.yaml").read_text()
)
CONFIG_SCHEMA["$defs"]["architecture"]["enum"] = list(architectures.names())
CONFIG_SCHEMA["$defs"]["dataset"]["enum"] = list(DATASET_NAMES)
if errors := schema_errors(config, CONFIG_SCHEMA):
    raise WorkflowError("invalid configuration:\n" + "\n".join(errors))

from separability.data import data_shape, training_split_size
from separability.figures import CITED_PREFIX, FIGURES
from separability.provenance import code_digest, value_digest
from separability.decay import MIN_FIT_LAYERS, decay_windows
from separability.statistics import recorded_layers
from separability.vision import (
    VISION_DATASETS,
    expected_files,
    missing_files,
    missing_message,
)

DATASETS = config["datasets"]
# Every data set the DAG may read: the configured ones and the claims' robustness data sets.
ALL_DATASETS = DATASETS + [
    d
    for d in dict.fromkeys(
        config["claims"]["robustness_datasets"]
        + config["claims"]["training_robustness_datasets"]
    )
    if d not in DATASETS
]
OUTPUT_DIRS = ("results", "logs", "benchmarks", "figures")
ARCHITECTURES = config["architectures"]
# The normalised architectures whose variance-only BN theory the figures draw beside them.
VARIANCE_ONLY = [a for a in config["theory"]["variance_only"] if a in ARCHITECTURES]
SEEDS = list(range(config["propagation"]["seeds"]))
ENV = "../../envs/separability.yaml"


wildcard_constraints:
    dataset="|".join(DATASET_NAMES),
    arch="|".join(architectures.names()),
    seed=r"\d+",


def code(script, *extra):
    """The digest of scripts/<script>.py and of every package module it reaches (and the
    modules ``extra`` it imports dynamically): a rule's `params.code`, so that a change of the
    science code reruns exactly the jobs that run it (separability.provenance)."""
    return code_digest(os.path.join(workflow.basedir, "scripts", f"{script}.py"), extra)


INIT_KEYS = ("s_in", "s_w", "s_v", "s_b", "bn_eps")


def init_params(*keys):
    """The keys of config `init` that one rule's package call takes, as keyword arguments:
    every script passes `**params.init`, and a change of any other init key reruns nothing
    of that rule."""
    return {key: config["init"][key] for key in keys or INIT_KEYS}


def check_output_dirs():
    """Stop before any job when a file stands where an output directory belongs."""
    for name in OUTPUT_DIRS:
        if Path(name).exists() and not Path(name).is_dir():
            raise WorkflowError(
                f"{Path(name).resolve()} is a file, but the workflow writes its outputs "
                f"into a directory {name}/: move the file away"
            )


def check_vision_files():
    """Stop before any job when a torchvision data set's files are missing and download is off."""
    if config["download"]:
        return
    for dataset in ALL_DATASETS:
        missing = (
            missing_files(dataset, config["data_dir"])
            if dataset in VISION_DATASETS
            else []
        )
        if missing:
            raise WorkflowError(missing_message(dataset, config["data_dir"], missing))


def train_size(dataset):
    """The cap of a data set's training split from data.train_size (one size for every data
    set, or a mapping from data set to size; null, or a data set the mapping does not name,
    keeps the whole training split)."""
    size = config["data"].get("train_size")
    return size.get(dataset) if isinstance(size, dict) else size


def raw_data_files(dataset):
    """The files a torchvision data set is read from (none for digits and synthetic)."""
    if dataset not in VISION_DATASETS:
        return []
    return [str(path) for path in expected_files(dataset, config["data_dir"])]


# The largest second moment of a block's float32 features whose squares, summed over ~1e7
# entries, stay within float32's 3.4e38 (docs/models.md, "The range of the variances").
FLOAT32_SECOND_MOMENT = 6e15


def config_errors():
    """Values the schema accepts that the claims or the data cannot run with, as messages
    naming the keys; machine-independent, so checked on every start (dry runs included).
    """
    errors = []
    propagation, claims = config["propagation"], config["claims"]
    widths, width_seeds = propagation["widths"], propagation["width_seeds"]
    if len(width_seeds) != len(widths) or min(width_seeds) < propagation["seeds"]:
        errors.append(
            f"propagation.width_seeds = {width_seeds} needs one entry per width of "
            f"propagation.widths = {widths}, each at least "
            f"propagation.seeds = {propagation['seeds']}"
        )
    if claims["second_width"] not in [None, *widths]:
        errors.append(
            f"claims.second_width = {claims['second_width']} must be null or one of "
            f"propagation.widths = {widths}"
        )
    if claims["training_second_width"] == config["training"]["width"]:
        errors.append(
            f"claims.training_second_width = {claims['training_second_width']} equals "
            "training.width: choose another width or null"
        )
    init = config["init"]
    second_moment = (
        init["s_in"] * 1e3 * init["s_w"] * (1 + init["s_w"] * init["s_v"] / 2)
    )
    if second_moment + init["s_b"] > FLOAT32_SECOND_MOMENT:
        errors.append(
            f"init.s_in = {init['s_in']}, init.s_w = {init['s_w']}, init.s_v = {init['s_v']}, "
            f"init.s_b = {init['s_b']}: a block's second moment could reach "
            f"{second_moment + init['s_b']:.2g}, beyond what float32 features hold "
            f"({FLOAT32_SECOND_MOMENT:.0e}; docs/models.md, 'The range of the variances')"
        )
    plain = [
        a
        for a in config["theory"]["variance_only"]
        if not architectures.get(a).normalised
    ]
    if plain:
        errors.append(
            f"theory.variance_only = {config['theory']['variance_only']}: {plain} have no "
            "batch normalisation, so no variance-only BN variant"
        )
    depths, depth = config["claims"]["depths"], config["propagation"]["depth"]
    if min(depths) > depth:
        errors.append(
            f"claims.depths = {depths}: none is within propagation.depth = {depth}, so "
            "C3 and C6 have no layer to compare at"
        )
    for key, fit_depth in (
        ("theory.scalar_depth", config["theory"]["scalar_depth"]),
        ("propagation.angle_depth", config["propagation"]["angle_depth"]),
    ):
        first = decay_windows(fit_depth)[0][0]
        if fit_depth < first + MIN_FIT_LAYERS - 1:
            errors.append(
                f"{key} = {fit_depth}: the C4 decay-law fits start at layer {first} and "
                f"need {MIN_FIT_LAYERS} layers, so at least {first + MIN_FIT_LAYERS - 1}"
            )
    data = config["data"]
    for dataset, (n_samples, _) in dataset_shapes().items():
        train = training_split_size(
            n_samples,
            data["val_fraction"],
            data["test_fraction"],
            train_size(dataset),
        )
        if data["eval_size"] > train:
            errors.append(
                f"data.eval_size = {data['eval_size']} is larger than the training split "
                f"of {dataset} ({train} of {n_samples} samples, from data.val_fraction, "
                f"data.test_fraction and data.train_size, {train_size(dataset)} for it)"
            )
    return errors


@functools.cache
def dataset_shapes():
    """(samples, input dimension) of every data set the run uses, read once per invocation."""
    data = config["data"]
    return {
        d: data_shape(d, config["data_dir"], data["synthetic"]) for d in ALL_DATASETS
    }


def machine_errors():
    """What this machine cannot run: training.device on CUDA without a GPU, and jobs whose
    memory (estimated by separability.resources) exceeds the machine's."""
    errors = []
    device = config["training"]["device"]
    if device.startswith("cuda"):
        import torch  # only here: importing torch costs seconds

        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            errors.append(
                f"training.device = {device}, but this machine has "
                f"{torch.cuda.device_count()} CUDA GPU(s): use auto or cpu"
            )
    available = resources.machine_memory_bytes()
    for need, what in job_memory():
        if need > available:
            errors.append(
                f"{what} needs at least {need / 2**30:.1f} GiB of memory, this machine has "
                f"{available / 2**30:.1f} GiB"
            )
    return errors


def job_memory():
    """(bytes, description naming the keys) of the largest job of each kind."""
    p, t, data = config["propagation"], config["training"], config["data"]
    pairs = 2 * len(p["pair_angles"]) * p["pairs_per_angle"]
    n = data["eval_size"]
    dims = dataset_shapes()
    in_dim = max(dim for _, dim in dims.values())
    together = max(t["seeds"], len(t["lr_selection"]["learning_rates"]))
    n_train = max(
        training_split_size(
            s, data["val_fraction"], data["test_fraction"], train_size(dataset)
        )
        for dataset, (s, _) in dims.items()
    )
    return [
        (
            resources.simulation_bytes(n, in_dim, p["width"], p["depth"]),
            f"propagation.width = {p['width']} at propagation.depth = {p['depth']} "
            f"(data.eval_size = {n})",
        ),
        (
            resources.simulation_bytes(n, in_dim, max(p["widths"]), p["width_depth"]),
            f"propagation.widths up to {max(p['widths'])} at propagation.width_depth = "
            f"{p['width_depth']}",
        ),
        (
            resources.simulation_bytes(pairs, 0, p["width"], p["angle_depth"]),
            f"propagation.width = {p['width']} at propagation.angle_depth = "
            f"{p['angle_depth']}",
        ),
        (resources.theory_bytes(n), f"the Gram theory of data.eval_size = {n} inputs"),
        (
            resources.training_bytes(
                n_train, in_dim, t["width"], max(t["depths"]), together
            ),
            f"training.width = {t['width']} at training.depths up to {max(t['depths'])}, "
            f"{together} runs trained together (training.seeds or the "
            "training.lr_selection.learning_rates)",
        ),
    ]


def finite_width_errors():
    """Values of the finite_width section (workflow/rules/finite_width.smk) the schema accepts
    but the rules cannot run with, as messages naming the keys."""
    errors, section = [], config["finite_width"]
    for key, names in (
        ("width_law", ("networks", "fit_networks")),
        ("width_scan", ("networks",)),
    ):
        widths = section[key]["widths"]
        for name in names:
            if len(section[key][name]) != len(widths):
                errors.append(
                    f"finite_width.{key}.{name} = {section[key][name]} needs one entry per "
                    f"width of finite_width.{key}.widths = {widths}"
                )
    depth = section["pairs"]["depth"]
    first = decay_windows(depth)[0][0]
    if depth < first + MIN_FIT_LAYERS - 1:
        errors.append(
            f"finite_width.pairs.depth = {depth}: the C4 decay-law fits start at layer {first} "
            f"and need {MIN_FIT_LAYERS} layers, so at least {first + MIN_FIT_LAYERS - 1}"
        )
    return errors


def refuse(errors):
    """Stop, with one line per message, when there is any."""
    if errors:
        raise WorkflowError("\n".join(errors))


check_output_dirs()
check_vision_files()
refuse(config_errors())
refuse(finite_width_errors())


onstart:
    # Where jobs run on this machine (not on a cluster's nodes), refuse what it cannot run.
    if workflow.local_exec:
        refuse(machine_errors())


# The configuration values a figure's caption cites: every `snakemake.config["a"]["b"]` of its
# caption template (workflow/report/<figure>.rst). Each plot job records them beside the figure;
# a report built under a configuration that cites other values is refused (below).
CITATION = re.compile(r"snakemake\.config((?:\[\s*\"[^\"]+\"\s*\])+)")


def cited_keys(name):
    """The dotted configuration keys the caption of figure ``name`` cites."""
    text = Path(workflow.basedir, "workflow", "report", f"{name}.rst").read_text()
    return sorted(
        {".".join(re.findall(r'"([^"]+)"', found)) for found in CITATION.findall(text)}
    )


def cited_values(name):
    """The current configuration's values of the keys the caption of ``name`` cites."""
    return {
        key: functools.reduce(dict.get, key.split("."), config)
        for key in cited_keys(name)
    }


def caption_mismatches():
    """Figures whose recorded caption values (their .caption.rst) differ from what the current
    configuration would cite: a report under this configuration would describe them wrongly.
    """
    mismatches = []
    for figure in FIGURES:
        for pdf in figure.files(DATASETS)[::2]:
            recorded = recorded_citation(Path(pdf).with_suffix(".caption.rst"))
            now = cited_values(figure.name)
            differs = [
                k for k in now if recorded is not None and recorded.get(k) != now[k]
            ]
            mismatches += [
                f"{pdf}: {key} = {recorded[key]!r} when drawn, {now[key]!r} in this configuration"
                for key in differs
            ]
    return mismatches


def recorded_citation(path):
    """The caption values recorded in a figure's .caption.rst (None when there is none)."""
    if not path.is_file():
        return None
    for line in path.read_text().splitlines():
        if line.startswith(CITED_PREFIX):
            return json.loads(line[len(CITED_PREFIX) :])
    return None


def check_report_configuration():
    """Refuse, before the report is built, a report whose configuration would caption figures
    drawn under another one (say which, and how to build the right report)."""
    mismatches = caption_mismatches()
    if mismatches:
        raise WorkflowError(
            "the report's configuration differs from the one that drew these figures:\n  "
            + "\n  ".join(mismatches)
            + "\nbuild the report with the run's config files (--configfile ...), or rerun "
            "snakemake first so that the figures follow this configuration"
        )


def all_figures():
    """Every figure target of the DAG (separability.figures.FIGURES)."""
    return [path for figure in FIGURES for path in figure.files(DATASETS)]


def propagation_tables(kind, datasets, archs=None):
    """Every seed's propagation table of one kind (distance, width, robustness) for the data
    sets, of ``archs`` (default every configured architecture)."""
    return expand(
        "results/{dataset}/propagation/{kind}/{arch}_seed{seed}.tsv",
        dataset=datasets,
        kind=kind,
        arch=ARCHITECTURES if archs is None else archs,
        seed=SEEDS,
    )


def gram_tables(datasets):
    """The Gram-recursion theory tables of the data sets."""
    return expand(
        "results/{dataset}/theory/gram_{arch}.tsv", dataset=datasets, arch=ARCHITECTURES
    )


def simulation_tables(kind):
    """Input function: every seed's propagation table of one kind for the data set."""
    return lambda wildcards: propagation_tables(kind, [wildcards.dataset])


def theory_tables(wildcards):
    """Input function: the Gram-recursion theory tables of the data set that the figures draw
    (the claims' tables and, with resnet_bn, its variance-only BN variant)."""
    return gram_tables([wildcards.dataset]) + expand(
        "results/{dataset}/theory/gram_{arch}_variance_only.tsv",
        dataset=wildcards.dataset,
        arch=VARIANCE_ONLY,
    )


PAIR_TABLES = expand(
    "results/pairs/{arch}_seed{seed}.tsv", arch=ARCHITECTURES, seed=SEEDS
)


WIDTH_SEEDS = config["propagation"]["width_seeds"]
WIDTHS = config["propagation"]["widths"]


def width_runs(job):
    """(width, seed) runs of one width-scan table (``job`` in 0..propagation.seeds-1): seeds
    0..k-1 of each width (k from propagation.width_seeds) shared out over the tables by seed
    modulo propagation.seeds.
    """
    return [
        (width, seed)
        for width, count in zip(WIDTHS, WIDTH_SEEDS)
        for seed in range(job, count, len(SEEDS))
    ]


CLAIMS = config["claims"]


def distance_layers():
    """Layers with statistics in the distance simulations: every layer up to
    propagation.dense_layers, about propagation.log_layers log-spaced ones up to
    propagation.depth, and the claims' series layers and depths within it (series_layers).
    """
    depth = config["propagation"]["depth"]
    grid = recorded_layers(
        depth,
        config["propagation"]["dense_layers"],
        config["propagation"]["log_layers"],
    )
    wanted = {int(layer) for layer in grid} | set(series_layers())
    return sorted(wanted)


def series_layers():
    """The simulation layers C2's series test reads: claims.series_layers with layers 0 and 1
    and the claims depths, within propagation.depth (always recorded: docs/claims.md).
    """
    depth = config["propagation"]["depth"]
    wanted = {0, 1, *CLAIMS["series_layers"], *CLAIMS["depths"]}
    return sorted(layer for layer in wanted if layer <= depth)


# The claims compare the paper's architectures (architectures.paper_order()); a configuration
# without all of them builds only the figures, and asking for a claims target is refused.
CLAIM_ARCHITECTURES = architectures.paper_order()
MISSING_CLAIM_ARCHITECTURES = [a for a in CLAIM_ARCHITECTURES if a not in ARCHITECTURES]
# Every data set gets its claims report; results/claims.{json,md} is the main (first) one's.
CLAIM_TARGETS = (
    []
    if MISSING_CLAIM_ARCHITECTURES
    else expand("results/{dataset}/claims.{ext}", dataset=DATASETS, ext=("json", "md"))
    + ["results/claims.json", "results/claims.md"]
)
if MISSING_CLAIM_ARCHITECTURES:
    print(
        f"architectures = {ARCHITECTURES} lacks {MISSING_CLAIM_ARCHITECTURES}, which the "
        "claims compare: building the figures only, no claims report",
        file=sys.stderr,
    )


def check_claims_configuration():
    """Refuse, naming the key, a claims target of a configuration the claims cannot judge."""
    if MISSING_CLAIM_ARCHITECTURES:
        raise WorkflowError(
            f"architectures = {ARCHITECTURES} lacks {MISSING_CLAIM_ARCHITECTURES}: the claims "
            f"compare {list(CLAIM_ARCHITECTURES)}, so results/claims.json and `readme` cannot "
            "be built; add them to `architectures`, or ask for figures only"
        )


def robustness_distance_tables(dataset):
    """The distance simulations a robustness data set's claims read: those of the figures
    where the data set is one of `datasets`, else the paper's architectures alone
    (results/<dataset>/propagation/robustness/, rule propagate_robustness)."""
    if dataset in DATASETS:
        return propagation_tables("distance", [dataset])
    return propagation_tables("robustness", [dataset], CLAIM_ARCHITECTURES)


def robustness_tables(dataset):
    """The random-init tables of the robustness data sets of one data set's claims:
    data set -> kind -> paths. Only what their claims read: the distance simulations and the
    theory of the paper's architectures (no width scan: C6 is recomputed there on its
    tolerance and discrimination; docs/claims.md, "Robustness")."""
    return {
        other: {
            "distance": robustness_distance_tables(other),
            "theory": expand(
                "results/{dataset}/theory/gram_{arch}.tsv",
                dataset=other,
                arch=CLAIM_ARCHITECTURES,
            ),
        }
        for other in CLAIMS["robustness_datasets"]
        if other != dataset
    }


def claims_inputs(wildcards):
    """Every result table the claims of one data set need, robustness tables included (a
    configuration the claims cannot judge is refused here, before any job)."""
    check_claims_configuration()
    dataset = wildcards.dataset
    return {
        "distance": propagation_tables("distance", [dataset]),
        "theory": gram_tables([dataset]),
        "width": propagation_tables("width", [dataset]),
        "scalar": "results/theory/scalar.tsv",
        "pairs": PAIR_TABLES,
        "pairs_wide": WIDE_PAIR_TABLES,
        "pairs_batch": BATCH_PAIR_TABLES,
        "phase": "results/phase/theory.tsv",
        "runs": f"{training_dir(dataset)}/runs.tsv",
        "sampled_width": f"results/{dataset}/propagation/sampled_width.tsv",
        "robust_random_init": [
            path
            for kinds in robustness_tables(dataset).values()
            for paths in kinds.values()
            for path in paths
        ],
        "robust_runs": list(training_settings(dataset).values()),
    }


def claims_settings(dataset):
    """Everything the claims job of ``dataset`` is told (its params but the code digest)."""
    expected = expected_rows()
    return {
        "depths": CLAIMS["depths"],
        "layers": series_layers(),
        "init": init_params("s_w", "s_v", "s_b"),
        "expected": expected,
        # the second settings hold the paper's architectures only (all their claims read)
        "expected_robustness": {
            **expected,
            **{
                kind: {**expected[kind], "arch": list(CLAIM_ARCHITECTURES)}
                for kind in ("distance", "theory", "runs")
            },
        },
        "resamples": CLAIMS["bootstrap_resamples"],
        "seed": CLAIMS["seed"],
        "robustness": robustness_tables(dataset),
        "second_width": CLAIMS["second_width"],
        "training_settings": training_settings(dataset),
        "training_splits": {
            name: train_size(name)
            for name in [dataset, *CLAIMS["training_robustness_datasets"]]
        },
    }


def claims_provenance(dataset):
    """The digests of the code and of the settings of the claims job of ``dataset``: recorded
    in its claims.json, and required by `snakemake readme` of the claims.json it stamps.
    """
    return {"code": code("claims"), "settings": value_digest(claims_settings(dataset))}


def expected_rows(width=None):
    """What each kind of table the claims read must hold (key column -> values), by the
    configuration: every architecture, seed and recorded layer of the simulations, every layer
    of the theory, every trained run (separability.tables.read_result checks it)."""
    p, t = config["propagation"], config["training"]
    angles = p["pair_angles"]
    return {
        "distance": {"arch": ARCHITECTURES, "seed": SEEDS, "layer": distance_layers()},
        "theory": {
            "arch": ARCHITECTURES,
            "layer": list(range(max(p["depth"], p["width_depth"]) + 1)),
        },
        "width": {
            "arch": ARCHITECTURES,
            "width": WIDTHS,
            "layer": list(range(p["width_depth"] + 1)),
        },
        "scalar": {"arch": ARCHITECTURES, "angle0": angles},
        "pairs": {"arch": ARCHITECTURES, "seed": SEEDS, "angle0": angles},
        "pairs_wide": {
            "arch": ARCHITECTURES,
            "network": list(range(config["finite_width"]["pairs"]["networks"])),
            "angle0": angles,
        },
        "pairs_batch": {"arch": ARCHITECTURES, "angle0": angles},
        "phase": {"arch": ARCHITECTURES},
        "runs": {
            "arch": ARCHITECTURES,
            "depth": t["depths"],
            "seed": list(range(t["seeds"])),
        },
    }


def training_dir(dataset, width=None):
    """Directory of a data set's training results at ``width`` (default training.width)."""
    if width is None or width == config["training"]["width"]:
        return f"results/{dataset}/training"
    return f"results/{dataset}/training_N{width}"


def training_settings(dataset):
    """The second settings of the training claims of a data set: label -> runs table (the
    training robustness data sets, and the second training width of this data set)."""
    settings = {
        f"data set {other}": f"{training_dir(other)}/runs.tsv"
        for other in CLAIMS["training_robustness_datasets"]
        if other != dataset
    }
    width = CLAIMS["training_second_width"]
    if width is not None:
        settings[f"width N = {width}"] = f"{training_dir(dataset, width)}/runs.tsv"
    return settings


# The shared budget (all but the epochs): every run of every architecture and depth uses it.
BUDGET = {
    key: config["training"][key]
    for key in [
        "width",
        "batch_size",
        "optimizer",
        "momentum",
        "weight_decay",
        "schedule",
        "resnet_rescale",
    ]
}


def training_budget(wildcards, epochs=None):
    """The shared training budget (BUDGET above) at the width of the wildcards'
    training directory (training_N<w>: w), with ``epochs``."""
    suffix = wildcards.training.partition("_N")[2]
    budget = {**BUDGET, "width": int(suffix) if suffix else config["training"]["width"]}
    return budget if epochs is None else {**budget, "epochs": epochs}


def drawn_training(wildcards):
    """Whether figures 5 and 6 draw a training directory (the main training of a data set of
    `datasets`); the others are the training claims' second settings, read by the claims only.
    """
    return wildcards.training == "training" and wildcards.dataset in DATASETS


def trained_architectures(wildcards):
    """The architectures trained in one training directory: every configured one where the
    figures draw them, the paper's three where only the claims (C1, C5) read the runs.
    """
    if drawn_training(wildcards):
        return ARCHITECTURES
    return [arch for arch in CLAIM_ARCHITECTURES if arch in ARCHITECTURES]


def training_runs(wildcards, kind):
    """Every run's record (``runs``) or analysis (``analysis``) of one training directory."""
    return expand(
        "results/{dataset}/{training}/{kind}/{arch}_depth{depth}_seed{seed}.json",
        dataset=wildcards.dataset,
        training=wildcards.training,
        kind=kind,
        arch=trained_architectures(wildcards),
        depth=TRAIN_DEPTHS,
        seed=TRAIN_SEEDS,
    )


# `snakemake --report`: Snakemake builds no job, so the check runs here, before the report.
if any(arg == "--report" or arg.startswith("--report=") for arg in sys.argv):
    check_report_configuration()
