import os
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

min_version("9.0")


validate(config, "../schemas/config.schema.yaml")

# Jobs import the package from this checkout whatever environment runs them (venv, conda, SLURM).
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [workflow.basedir, os.environ.get("PYTHONPATH")])
)

sys.path.insert(0, workflow.basedir)
from separability.vision import VISION_DATASETS, missing_files

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
        missing = missing_files(dataset, config["data_dir"]) if dataset in VISION_DATASETS else []
        if missing:
            listing = "\n  ".join(str(path) for path in missing)
            raise WorkflowError(
                f"data set {dataset!r}: files missing under data_dir={config['data_dir']!r}:\n"
                f"  {listing}\nPut them there, or set `download: true` in config.yaml "
                "(or pass --config download=true) to let torchvision fetch them."
            )


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
        + figure_files("fig7_width")
    )
