"""Results carry the code and configuration they came from (docs/README.md, "Code changes rerun
their results"): a change of the science code reruns exactly the jobs whose scripts reach it;
the README's stamp and the report's captions come from the results, and are refused when they
would lie."""

import json
import os
import shutil

import pytest
from conftest import ROOT, SMOKE_CONFIG, snakemake
from test_workflow import copy_workflow, jobs_of

from separability import provenance

SMOKE = ("--configfile", SMOKE_CONFIG)


def run_snakemake(workdir, *args, check=True):
    """snakemake in ``workdir`` with the package of ``workdir`` itself on the path (its code
    is what the digests read)."""
    env = {**os.environ, "PYTHONPATH": str(workdir)}
    return snakemake(*args, cwd=workdir, check=check, timeout=900, env=env)


def planned(workdir, *targets):
    return jobs_of(run_snakemake(workdir, *targets, "-n", "--cores", "1", *SMOKE).stdout)


def test_digest_follows_the_imports():
    """The closure of a script's imports: train reaches the training loop and the model, not
    the statistics or the plotting; the analysis reaches the statistics; the digest changes
    with any file of the closure and with nothing outside it."""
    closure = {
        str(path.relative_to(provenance.PACKAGE_DIR))
        for path in provenance.module_closure(str(ROOT / "scripts" / "train.py"))
    }
    assert {"training/fit.py", "models.py", "architectures.py"} <= closure
    assert not {"statistics.py", "claims/assess.py", "plotting/style.py"} & closure
    analysis = provenance.module_closure(str(ROOT / "scripts" / "analyse_training.py"))
    assert provenance.PACKAGE_DIR / "statistics.py" in analysis


@pytest.fixture
def finished(smoke_run, tmp_path):
    """A private copy of the finished smoke run, its package included."""
    workdir = tmp_path / "run"
    shutil.copytree(smoke_run.path, workdir, symlinks=True)
    return workdir


def edited(workdir, module, action):
    """Run ``action`` with one line added to the package module ``module``, then restore it."""
    path = workdir / "separability" / module
    original = path.read_text()
    path.write_text(original + "\n# an edit\n")
    try:
        return action()
    finally:
        path.write_text(original)


@pytest.mark.slow
def test_code_changes_rerun_exactly_the_jobs_that_run_them(finished):
    assert planned(finished) == {}
    statistics = edited(finished, "statistics.py", lambda: planned(finished))
    assert {"propagate_distances", "theory_gram", "analyse_training", "claims"} <= set(statistics)
    assert not {"train", "select_lr", "prepare_data"} & set(statistics), statistics
    plotting = edited(finished, "plotting/style.py", lambda: planned(finished))
    assert set(plotting) - {"all"} == {rule for rule in plotting if rule.startswith("plot_")}
    assert plotting["plot_ratio"] == 1 and "train" not in plotting


@pytest.mark.slow
def test_the_readme_stamp_is_what_the_claims_were_computed_with(finished):
    """The README's stamp is claims.json's own provenance; a claims.json computed by other code
    is refused by `snakemake readme` with the command that refreshes it (here Snakemake is told
    to trust file times, so it does not rerun the claims itself)."""
    claims = finished / "results" / "claims.json"
    document = json.loads(claims.read_text())
    assert set(document["provenance"]) == {"code", "settings", "revision"}
    run_snakemake(finished, "readme", "--cores", "1", *SMOKE)
    readme = (finished / "README.md").read_text()
    assert f"code digest `{document['provenance']['code']}`" in readme
    document["provenance"]["code"] = "0123456789ab"
    claims.write_text(json.dumps(document))
    process = run_snakemake(
        finished,
        "readme",
        "--cores",
        "1",
        *SMOKE,
        "--rerun-triggers",
        "mtime",
        check=False,
    )
    output = process.stdout + process.stderr
    assert process.returncode != 0
    assert "results/claims.json is stale: computed with code digest 0123456789ab" in output
    assert "--forcerun claims" in output


@pytest.mark.slow
def test_a_report_under_another_configuration_is_refused(finished):
    """The figures record the values their captions cite; a report built under a configuration
    that cites other values (here: without the smoke config the figures were drawn under) is
    refused before it is built, naming the figure and the value."""
    caption = (finished / "figures" / "digits" / "fig1_distances.caption.rst").read_text()
    assert '"propagation.width": 32' in caption and "``propagation.width`` = 32" in caption
    process = run_snakemake(finished, "--report", "other.html", check=False)
    output = process.stdout + process.stderr
    assert process.returncode != 0 and not (finished / "other.html").exists()
    assert "figures/digits/fig1_distances.pdf: propagation.width = 32 when drawn, 512" in output


def test_a_subset_of_the_architectures_cannot_build_the_claims(tmp_path):
    workdir = copy_workflow(tmp_path)
    for target in ("readme", "results/claims.json"):
        process = run_snakemake(
            workdir,
            target,
            "-n",
            "--cores",
            "1",
            "--configfile",
            "smoke.yaml",
            "--config",
            "architectures=[resnet]",
            check=False,
        )
        output = process.stdout + process.stderr
        assert process.returncode != 0
        assert "architectures = ['resnet'] lacks ['resnet_bn', 'mlp']" in output
