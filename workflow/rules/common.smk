from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

min_version("9.0")


validate(config, "../schemas/config.schema.yaml")

# The package is installed in the environment that runs snakemake and its jobs (README).
from separability.vision import VISION_DATASETS, missing_files, missing_message

DATASETS = config["datasets"]
ARCHITECTURES = config["architectures"]
SEEDS = list(range(config["propagation"]["seeds"]))
ENV = "../../envs/separability.yaml"


wildcard_constraints:
    dataset="digits|synthetic|mnist|fashion_mnist|cifar10",
    arch="mlp|resnet|resnet_bn",
    seed=r"\d+",


def check_vision_files():
    """Stop before any job when a torchvision data set's files are missing and download is off."""
    if config["download"]:
        return
    for dataset in DATASETS:
        missing = (
            missing_files(dataset, config["data_dir"])
            if dataset in VISION_DATASETS
            else []
        )
        if missing:
            raise WorkflowError(missing_message(dataset, config["data_dir"], missing))


check_vision_files()


def figure_files(name, per_dataset=True):
    """PDF and PNG paths of one figure, per data set where it depends on data."""
    stems = (
        [f"figures/{dataset}/{name}" for dataset in DATASETS]
        if per_dataset
        else [f"figures/{name}"]
    )
    return [f"{stem}.{ext}" for stem in stems for ext in ("pdf", "png")]


def all_figures():
    """Every figure target of the DAG."""
    return (
        figure_files("fig1_distances")
        + figure_files("fig2_ratio")
        + figure_files("fig3_angle_decay", per_dataset=False)
        + figure_files("fig4_angle_maps", per_dataset=False)
        + figure_files("fig5_trained_ratio")
        + figure_files("fig6_accuracy")
        + figure_files("fig7_width")
    )


def propagation_tables(kind, datasets):
    """Every seed's propagation table of one kind (distance, width) for the data sets."""
    return expand(
        "results/{dataset}/propagation/{kind}/{arch}_seed{seed}.tsv",
        dataset=datasets,
        kind=kind,
        arch=ARCHITECTURES,
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
    """Input function: the Gram-recursion theory tables of the data set."""
    return gram_tables([wildcards.dataset])


PAIR_TABLES = expand(
    "results/pairs/{arch}_seed{seed}.tsv", arch=ARCHITECTURES, seed=SEEDS
)


CLAIMS = config["claims"]
# The claims compare all three architectures; with a subset only the figures are built.
CLAIM_TARGETS = (
    ["results/claims.json", "results/claims.md"]
    if set(ARCHITECTURES) == {"mlp", "resnet", "resnet_bn"}
    else []
)
if CLAIMS["second_width"] not in [None, *config["propagation"]["widths"]]:
    raise WorkflowError(
        f"claims.second_width = {CLAIMS['second_width']} must be null or one of "
        f"propagation.widths = {config['propagation']['widths']}"
    )


def claims_inputs(wildcards):
    """Every result table the claims of one data set need, robustness tables included."""
    dataset = wildcards.dataset
    others = [d for d in CLAIMS["robustness_datasets"] if d != dataset]
    return {
        "distance": propagation_tables("distance", [dataset]),
        "theory": gram_tables([dataset]),
        "width": propagation_tables("width", [dataset]),
        "scalar": "results/theory/scalar.tsv",
        "pairs": PAIR_TABLES,
        "runs": f"results/{dataset}/training/runs.tsv",
        "robust_distance": propagation_tables("distance", others),
        "robust_theory": gram_tables(others),
        "robust_width": propagation_tables("width", others),
    }
