"""The Snakemake DAG: dry run, config validation, single-figure targets, rerun scope, hygiene,
a run that leaves the checkout clean, the README target."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SMOKE_CONFIG, commit_all, git, snakemake

from separability import architectures
from separability.figures import FIGURES as ALL_FIGURES

SMOKE = ROOT / "tests" / "config.smoke.yaml"
WORKFLOW_FILES = (
    "Snakefile",
    "config.yaml",
    "README.md",
    "workflow",
    "scripts",
    "envs",
    "profiles",
)
FIGURES = tuple(figure.name for figure in ALL_FIGURES if figure.per_dataset)
SHARED_FIGURES = tuple(figure.name for figure in ALL_FIGURES if not figure.per_dataset)


def copy_workflow(target: Path) -> Path:
    """A private copy of the workflow (the package is imported from the install)."""
    for name in WORKFLOW_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy(source, target / name)
    shutil.copy(SMOKE, target / "smoke.yaml")
    return target


def jobs_of(dry_run_output: str) -> dict[str, int]:
    """Job counts per rule from the 'Job stats' table of a dry run."""
    counts, in_table = {}, False
    for line in dry_run_output.splitlines():
        if line.startswith("job "):
            in_table = True
        elif in_table and line.strip() and not line.startswith("-"):
            name, *rest = line.split()
            if name == "total":
                break
            counts[name] = int(rest[0])
    return counts


def trained(dry_run_output: str) -> set[tuple[str, str, str]]:
    """(data set, training directory, architecture) of every `train` job of a dry run."""
    return set(
        re.findall(
            r"^rule train:\n(?:    .*\n)*?    wildcards: dataset=(\w+), training=(\w+), arch=(\w+)",
            dry_run_output,
            flags=re.M,
        )
    )


def test_dry_run_lists_every_figure():
    """The default DAG draws every figure, simulates and trains every architecture where the
    figures draw them, and only the paper's three on the claims' second data sets and in the
    training claims' second settings."""
    output = snakemake("-n", "--cores", "1").stdout
    for name in FIGURES:
        for ext in ("pdf", "png"):
            assert f"figures/digits/{name}.{ext}" in output, name
    for name in SHARED_FIGURES:
        assert f"figures/{name}.pdf" in output, name
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    paper = architectures.paper_order()
    second = [
        ("mnist5k", "training"),
        ("digits", f"training_N{config['claims']['training_second_width']}"),
    ]
    robust = re.findall(
        r"^rule propagate_robustness:\n    input: results/(\w+)/", output, flags=re.M
    )
    assert sorted(robust) == sorted(config["claims"]["robustness_datasets"])
    for arch in config["architectures"]:  # the figures' data set: every architecture
        assert f"results/digits/propagation/distance/{arch}_seed0.tsv" in output
    for dataset in robust:  # the claims' second data sets: the paper's architectures only
        assert f"results/{dataset}/propagation/distance/" not in output
        assert f"results/{dataset}/propagation/robustness/mlp_bn_seed0.tsv" not in output
        assert f"results/{dataset}/propagation/robustness/resnet_bn_seed0.tsv" in output
    assert trained(output) == {("digits", "training", arch) for arch in config["architectures"]} | {
        (dataset, training, arch) for dataset, training in second for arch in paper
    }


@pytest.mark.parametrize(
    "change, key",
    [
        ({"propagation": {"depth": -3}}, "depth"),
        ({"architectures": ["mlp", "vgg"]}, "architectures"),
        ({"propagation": {"width": "big"}}, "width"),
        ({"datasets": ["imagenet"]}, "datasets"),
        ({"data": {"val_fraction": 0.9}}, "val_fraction"),
        ({"claims": {"second_width": 100}}, "claims.second_width"),
        # accepted by the schema, but C3/C6 or C4 would have nothing to test
        ({"claims": {"depths": [20, 30]}}, "claims.depths"),
        ({"theory": {"scalar_depth": 12}}, "theory.scalar_depth"),
        ({"propagation": {"angle_depth": 12}}, "propagation.angle_depth"),
        ({"propagation": {"width_seeds": [4, 2, 2]}}, "propagation.width_seeds"),
        ({"propagation": {"width_seeds": [4, 1]}}, "propagation.width_seeds"),
        ({"theory": {"bn": "small_batch"}}, "bn"),
        # float32 features overflow (docs/models.md, "The range of the variances")
        ({"init": {"s_w": 1.0e40, "s_b": 1.0e200}}, "init.s_w"),
        ({"init": {"s_w": 1.0e5, "s_v": 1.0e5}}, "init.s_v = 100000.0"),
        # digits: 1797 samples, a training split of 1077
        ({"data": {"eval_size": 1100}}, "data.eval_size"),
        ({"data": {"train_size": 40}}, "data.eval_size"),
        ({"data": {"train_size": {"digits": 40}}}, "data.eval_size"),
        ({"data": {"train_size": {"digits": 5}}}, "data.train_size.digits"),
        ({"data": {"train_size": {"imagenet": 100}}}, "data.train_size"),
        # the robustness data set's training split (24 of 40 samples) is checked too
        (
            {
                "claims": {"robustness_datasets": ["synthetic"]},
                "data": {"synthetic": {"n_classes": 4, "n_per_class": 10}},
            },
            "data.eval_size",
        ),
    ],
)
def test_bad_config_value_stops_before_any_job(tmp_path, change, key):
    workdir = copy_workflow(tmp_path)
    (workdir / "bad.yaml").write_text(yaml.safe_dump(change))
    process = snakemake(
        "--cores", "1", "--configfile", "smoke.yaml", "bad.yaml", cwd=workdir, check=False
    )
    assert process.returncode != 0
    message = process.stdout + process.stderr
    assert key in message, message[-2000:]
    assert not (workdir / "results").exists() and not (workdir / "figures").exists()


def no_gpu():
    import torch

    return not torch.cuda.is_available()


@pytest.mark.parametrize(
    "change, key",
    [
        ({"propagation": {"width": 1_000_000}}, "propagation.width = 1000000"),
        ({"propagation": {"widths": [16, 1_000_000]}}, "propagation.widths up to 1000000"),
        ({"training": {"width": 1_000_000}}, "training.width = 1000000"),
        pytest.param(
            {"training": {"device": "cuda"}},
            "training.device = cuda",
            marks=pytest.mark.skipif("not no_gpu()", reason="this machine has a GPU"),
        ),
    ],
)
def test_what_this_machine_cannot_run_stops_before_any_job(tmp_path, change, key):
    """Memory beyond the machine's and CUDA without a GPU are refused when the run starts
    (not in a dry run, and not when jobs go to a cluster), before any job."""
    workdir = copy_workflow(tmp_path)
    (workdir / "bad.yaml").write_text(yaml.safe_dump(change))
    process = snakemake(
        "--cores", "1", "--configfile", "smoke.yaml", "bad.yaml", cwd=workdir, check=False
    )
    message = process.stdout + process.stderr
    assert process.returncode != 0 and key in message, message[-2000:]
    assert "GiB of memory" in message or "CUDA GPU" in message
    assert not (workdir / "results").exists() and not (workdir / "logs").exists()


@pytest.mark.parametrize("name", ["results", "logs"])
def test_a_file_where_an_output_directory_belongs_is_one_error(tmp_path, name):
    workdir = copy_workflow(tmp_path)
    (workdir / name).write_text("not a directory")
    process = snakemake(
        "-n", "--cores", "1", "--configfile", "smoke.yaml", cwd=workdir, check=False
    )
    message = process.stdout + process.stderr
    assert process.returncode != 0
    assert (
        f"{workdir / name} is a file, but the workflow writes its outputs into a directory "
        f"{name}/" in message
    ), message[-2000:]
    assert "Traceback" not in message and len(message.splitlines()) < 15, message


@pytest.mark.parametrize(
    "override",
    [
        ["--config", "training={seeds: 2, epochs: 3}", "download=false"],
        ["--configfile", "smoke.yaml", "more_seeds.yaml"],  # the README's other way
    ],
)
def test_nested_keys_can_be_overridden(tmp_path, override):
    """`--config` values nested in a mapping are typed as in a config file (Snakemake alone
    passes them as strings, which the schema rejects); an extra --configfile works as well."""
    workdir = copy_workflow(tmp_path)
    (workdir / "more_seeds.yaml").write_text(yaml.safe_dump({"training": {"seeds": 2}}))
    base = snakemake("-n", "--cores", "1", "--configfile", "smoke.yaml", cwd=workdir).stdout
    planned = snakemake(
        "-n", "--cores", "1", "--configfile", "smoke.yaml", *override, cwd=workdir
    ).stdout
    assert len(run_records(planned)) == 2 * len(run_records(base))
    # one train job per architecture runs all its depths and seeds
    assert jobs_of(planned)["train"] == jobs_of(base)["train"]
    assert jobs_of(planned)["select_lr"] == jobs_of(base)["select_lr"]


def run_records(dry_run_output: str) -> set[str]:
    """The training runs' record files a dry run plans."""
    return set(re.findall(r"results/\S+/runs/\S+_seed\d+\.json", dry_run_output))


def test_all_builds_the_claims_of_every_data_set(tmp_path):
    workdir = copy_workflow(tmp_path)
    output = snakemake(
        "-n",
        "--cores",
        "1",
        "--configfile",
        "smoke.yaml",
        "--config",
        "datasets=[digits,synthetic]",
        cwd=workdir,
    ).stdout
    for dataset in ("digits", "synthetic"):
        for ext in ("json", "md"):
            assert f"results/{dataset}/claims.{ext}" in output, (dataset, ext)
    assert jobs_of(output)["claims"] == 2 and "rule readme:" not in output


def test_readme_links_only_to_files_in_the_repository():
    """Figures and results are built by the run and ignored by git: no README link into them."""
    readme = (ROOT / "README.md").read_text()
    assert not re.findall(r"\]\((?:figures|results)/", readme)


@pytest.mark.slow
def test_single_figure_builds_alone(tmp_path):
    workdir = copy_workflow(tmp_path)
    target = "figures/fig4_angle_maps.pdf"
    planned = jobs_of(
        snakemake(target, "-n", "--cores", "2", "--configfile", "smoke.yaml", cwd=workdir).stdout
    )
    # one propagate_pairs job runs every architecture and seed
    assert planned == {"propagate_pairs": 1, "plot_angle_maps": 1}
    snakemake(target, "--cores", "2", "--configfile", "smoke.yaml", cwd=workdir)
    assert (workdir / target).exists() and (workdir / "figures/fig4_angle_maps.png").exists()
    assert not (workdir / "results" / "digits").exists()


@pytest.mark.slow
def test_whole_smoke_dag_and_rerun_scope(smoke_run, smoke_report):
    """The smoke config builds every figure and every data set's claims; afterwards nothing is
    left to do, and editing one plotting script reruns only that plot rule."""
    workdir = smoke_run.path
    for name in FIGURES:
        assert (workdir / "figures" / "digits" / f"{name}.pdf").exists(), name
    for name in SHARED_FIGURES:
        assert (workdir / "figures" / f"{name}.png").exists(), name
    verdicts = json.loads((workdir / "results" / "claims.json").read_text())
    assert sorted(verdicts) == [f"C{i}" for i in range(1, 7)] + ["provenance"]
    assert verdicts == json.loads((workdir / "results" / "digits" / "claims.json").read_text())
    assert smoke_report.path.stat().st_size > 10_000
    assert "ERROR" not in smoke_report.output, smoke_report.output[-2000:]
    smoke = ("--configfile", SMOKE_CONFIG)
    assert "Nothing to be done" in snakemake("-n", "--cores", "2", *smoke, cwd=workdir).stdout
    script = workdir / "scripts" / "plot_figure.py"
    original = script.read_text()
    script.write_text(original + "\n# a style change\n")
    try:
        planned = jobs_of(snakemake("-n", "--cores", "2", *smoke, cwd=workdir).stdout)
    finally:
        script.write_text(original)
    plots = dict.fromkeys((figure.rule for figure in ALL_FIGURES), 1)
    assert planned == {**plots, "all": 1}


def test_merged_jobs_write_each_table_under_its_own_name(smoke_run):
    """Jobs that write many tables (train over depths and seeds, the propagation and phase
    rules over architectures and seeds) put each result in the file its name promises."""
    import pandas as pd

    results = smoke_run.path / "results"
    runs = sorted(results.glob("*/training*/runs/*.json"))
    assert runs
    for path in runs:
        record = json.loads(path.read_text())
        assert path.stem == f"{record['arch']}_depth{record['depth']}_seed{record['seed']}"
    tables = [
        *results.glob("*/propagation/*/*_seed*.tsv"),
        *results.glob("pairs/*_seed*.tsv"),
        *results.glob("phase/pairs_*.tsv"),
    ]
    assert len(tables) > 10
    for path in tables:
        table = pd.read_csv(path, sep="\t")
        arch = path.stem.removeprefix("pairs_").rsplit("_seed", 1)[0]
        assert set(table.arch) == {arch}, path
        if "_seed" in path.stem:
            assert int(path.stem.rsplit("_seed", 1)[1]) in set(table.seed), path


@pytest.mark.slow
def test_a_run_writes_only_ignored_outputs(smoke_run, smoke_report):
    """A run and its report leave `git status` of the checkout clean: README.md and every other
    tracked file untouched, every output in a git-ignored place."""
    assert smoke_run.status == "", smoke_run.status
    assert git("status", "--porcelain", cwd=smoke_run.path) == ""


def test_checkout_state_names_the_revision_and_uncommitted_changes(tmp_path):
    from separability.provenance import value_digest as config_digest
    from separability.workflow import checkout_state

    assert checkout_state(tmp_path) == "unknown (not a git checkout)"
    for name in ("README.md", "config.yaml"):
        (tmp_path / name).write_text("committed\n")
    commit_all(tmp_path, "c")
    revision = git("rev-parse", "--short=12", "HEAD", cwd=tmp_path).strip()
    (tmp_path / "README.md").write_text("the table being written\n")  # not counted
    (tmp_path / "new_untracked.txt").write_text("not counted\n")
    assert checkout_state(tmp_path) == revision
    (tmp_path / "config.yaml").write_text("changed\n")
    assert checkout_state(tmp_path) == f"{revision} with uncommitted changes"
    assert config_digest({"a": 1, "b": [2]}) == config_digest({"b": [2], "a": 1})
    assert config_digest({"a": 1}) != config_digest({"a": 2})


def claims_block(readme: str) -> str:
    """What stands between the README's claims markers."""
    return readme.split("<!-- claims:start -->")[1].split("<!-- claims:end -->")[0]


@pytest.mark.slow
def test_readme_target_writes_the_table_with_its_provenance(smoke_run):
    """`snakemake readme` (not part of `all`) rewrites only README.md's claims block, from
    results/claims.json, naming the config and the revision; no temporary file is left."""
    workdir = smoke_run.path
    try:
        snakemake("readme", "--cores", "1", "--configfile", SMOKE_CONFIG, cwd=workdir)
        assert git("status", "--porcelain", cwd=workdir) == " M README.md\n"
        readme = (workdir / "README.md").read_text()
        verdicts = json.loads((workdir / "results" / "claims.json").read_text())
        block = claims_block(readme)
        for key, claim in verdicts.items():
            if key == "provenance":
                continue
            assert f"| {key} | {claim['source']} | {claim['verdict']} |" in block
            assert f"`{claim['figure']}`" in block and f"]({claim['figure']})" not in block
        revision = git("rev-parse", "--short=12", "HEAD", cwd=workdir).strip()
        assert f"revision `{revision}`" in block and f"`{SMOKE_CONFIG}`" in block
        committed = git("show", "HEAD:README.md", cwd=workdir)
        assert readme.replace(block, "") == committed.replace(claims_block(committed), "")
    finally:
        git("checkout", "README.md", cwd=workdir)


def test_lint_is_clean():
    process = snakemake("--lint", check=False)
    output = process.stdout + process.stderr
    assert process.returncode == 0, output
    assert "Lints for" not in output, output


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff_is_clean(command):
    """Python lint and format (ruff, configured in pyproject.toml) of the package, the scripts
    and the tests."""
    process = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "separability", "scripts", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert process.returncode == 0, process.stdout + process.stderr


def test_snakefmt_check():
    process = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert process.returncode == 0, process.stdout + process.stderr
