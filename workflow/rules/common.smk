import os

from snakemake.utils import min_version, validate

min_version("9.0")


validate(config, "../schemas/config.schema.yaml")

# Jobs import the package from this checkout whatever environment runs them (venv, conda, SLURM).
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [workflow.basedir, os.environ.get("PYTHONPATH")])
)

DATASETS = config["datasets"]
ARCHITECTURES = config["architectures"]
SEEDS = list(range(config["propagation"]["seeds"]))
ENV = "../../envs/separability.yaml"


wildcard_constraints:
    dataset="digits|synthetic|mnist|fashion_mnist|cifar10",
    arch="mlp|resnet|resnet_bn",
    seed=r"\d+",


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
