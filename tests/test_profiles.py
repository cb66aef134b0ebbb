"""The Snakemake profiles parse, and every option and resource they set is one that Snakemake
or the SLURM executor plugin knows: a typo must fail here, not silently on a cluster.

Options are checked against Snakemake's own argument parser (which includes the options of
the installed executor plugins) and the plugin's settings dataclass; resources against
Snakemake's standard resources and the names the plugin's source actually reads. The
commented CUDA block of profiles/slurm/config.yaml is checked the same way.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

PROFILES = sorted((ROOT / "profiles").glob("*/config.yaml"))
SLURM_PROFILE = ROOT / "profiles" / "slurm" / "config.yaml"
# Resources Snakemake itself defines or derives (docs: "Standard Resources").
SNAKEMAKE_RESOURCES = {
    "threads",
    "mem",
    "mem_mb",
    "mem_mib",
    "disk",
    "disk_mb",
    "disk_mib",
    "runtime",
    "tmpdir",
}
DICT_METHODS = {"get", "items", "keys", "values", "update", "copy", "setdefault"}


def snakemake_options() -> set[str]:
    from snakemake.cli import get_argument_parser

    parser = get_argument_parser()
    return {
        opt[2:]
        for action in parser._actions
        for opt in action.option_strings
        if opt.startswith("--")
    }


def plugin_settings() -> set[str]:
    from snakemake_executor_plugin_slurm import ExecutorSettings

    return {
        f"slurm-{field.name.replace('_', '-')}" for field in dataclasses.fields(ExecutorSettings)
    }


def plugin_resources() -> set[str]:
    """Resource names read by the SLURM plugins' code (job.resources.get("x"), .x, ["x"])."""
    names = set()
    for package in ("snakemake_executor_plugin_slurm", "snakemake_executor_plugin_slurm_jobstep"):
        directory = Path(importlib.util.find_spec(package).origin).parent
        for source in directory.glob("*.py"):
            text = source.read_text()
            names |= set(re.findall(r"resources\.get\(\s*[\"'](\w+)[\"']", text))
            names |= set(re.findall(r"resources\[[\"'](\w+)[\"']\]", text))
            names |= set(re.findall(r"resources\.(\w+)\b(?!\s*\()", text))
    return names - DICT_METHODS


def workflow_rules() -> set[str]:
    sources = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
    text = "\n".join(path.read_text() for path in sources)
    return set(re.findall(r"^rule (\w+):", text, re.M)) | set(
        re.findall(r"^use rule \w+ (?:from \w+ )?as (\w+)", text, re.M)
    )


def problems_of(
    profile: dict, options: set[str], settings: set[str], resources: set[str], rules: set[str]
) -> list[str]:
    """Everything in a parsed profile that Snakemake or the plugin would not know."""
    problems = []
    for key in profile:
        if key not in options:
            problems.append(f"option {key!r} is not a Snakemake/plugin command-line option")
        if key.startswith("slurm-") and key not in settings:
            problems.append(f"option {key!r} is not a field of the plugin's ExecutorSettings")
    default = profile.get("default-resources") or {}
    if isinstance(default, list):  # the `- name=value` form
        default = dict(item.split("=", 1) for item in default)
    for name in default:
        if name not in resources:
            problems.append(f"default resource {name!r} is unknown")
    for rule, values in (profile.get("set-resources") or {}).items():
        if rule not in rules:
            problems.append(f"set-resources for unknown rule {rule!r}")
        for name in values:
            if name not in resources:
                problems.append(f"resource {name!r} of rule {rule!r} is unknown")
    return problems


@pytest.fixture(scope="module")
def known():
    return dict(
        options=snakemake_options(),
        settings=plugin_settings(),
        resources=SNAKEMAKE_RESOURCES | plugin_resources(),
        rules=workflow_rules(),
    )


def commented_block(path: Path, name: str) -> dict:
    """The YAML between `# >>> name` and `# <<< name`, uncommented."""
    text = path.read_text()
    match = re.search(rf"^# >>> {name}\n(.*?)^# <<< {name}$", text, re.M | re.S)
    assert match, f"no '# >>> {name}' block in {path}"
    lines = [re.sub(r"^# ?", "", line) for line in match.group(1).splitlines()]
    return yaml.safe_load("\n".join(lines))


def test_there_are_profiles():
    assert {path.parent.name for path in PROFILES} >= {"default", "slurm"}


def test_sanity_of_the_known_names(known):
    # the checks below are only as good as these sets
    assert {"jobs", "retries", "latency-wait", "executor", "slurm-logdir"} <= known["options"]
    assert {
        "slurm_account",
        "slurm_partition",
        "cpus_per_task",
        "cpus_per_gpu",
        "gpu",
        "gres",
        "runtime",
        "mem_mb",
    } <= known["resources"]
    assert {"select_lr", "train", "propagate_distances"} <= known["rules"]


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.parent.name)
def test_profile_sets_only_known_options_and_resources(path, known):
    profile = yaml.safe_load(path.read_text())
    assert isinstance(profile, dict) and profile
    assert not problems_of(profile, **known)


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.parent.name)
def test_every_profile_entry_is_commented(path):
    """Each top-level entry (and each resource) has a comment line right above it."""
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^\s*[\w-]+:", line) and not re.match(r"^\s*#", line):
            previous = lines[number - 1].strip() if number else ""
            assert previous.startswith("#") or line.startswith("    "), (
                f"{path.name}:{number + 1} {line.strip()!r} has no comment above it"
            )


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.parent.name)
def test_snakemake_accepts_the_profile(path):
    """Snakemake's own parser reads the profile (unknown keys or bad values exit)."""
    from snakemake.cli import get_argument_parser

    args = get_argument_parser(profiles=[str(path.parent)]).parse_args([])
    if path == SLURM_PROFILE:
        from snakemake_interface_executor_plugins.registry import ExecutorPluginRegistry

        assert args.executor == "slurm"
        # builds the plugin's settings dataclass, which validates the values
        settings = ExecutorPluginRegistry().get_plugin("slurm").get_settings(args)
        assert str(settings.logdir) == "logs/slurm"
        assert settings.init_seconds_before_status_checks <= 10
        assert set(args.default_resources) >= {
            "slurm_account",
            "slurm_partition",
            "runtime",
            "mem_mb",
            "cpus_per_task",
        }


def device_rules() -> set[str]:
    """The rules whose jobs run on ``training.device`` (its value among their params)."""
    text = (ROOT / "workflow" / "rules" / "training.smk").read_text()
    rules = re.split(r"^rule (\w+):", text, flags=re.M)[1:]
    return {name for name, body in zip(rules[::2], rules[1::2]) if 'TRAINING["device"]' in body}


def test_cuda_block_of_the_slurm_profile(known, tmp_path):
    """Every rule that runs on ``training.device`` gets a GPU when the block is enabled."""
    block = commented_block(SLURM_PROFILE, "cuda")
    assert set(block) == {"set-resources"}
    assert device_rules() == {"select_lr", "train", "analyse_training"}
    assert set(block["set-resources"]) == device_rules()
    for values in block["set-resources"].values():
        assert values["gpu"] == 1 and values["cpus_per_gpu"] >= 1
    assert not problems_of(block, **known)
    # Enabled, the profile still parses.
    enabled = tmp_path / "slurm-cuda"
    enabled.mkdir()
    profile = yaml.safe_load(SLURM_PROFILE.read_text()) | block
    (enabled / "config.yaml").write_text(yaml.safe_dump(profile))
    from snakemake.cli import get_argument_parser

    args = get_argument_parser(profiles=[str(enabled)]).parse_args([])
    for rule in device_rules():
        assert args.set_resources[rule]["gpu"].value == 1
        assert args.set_resources[rule]["cpus_per_task"].value == 0


@pytest.mark.parametrize(
    "typo",
    [
        {"latency-wiat": 60},
        {"slurm-logdirr": "logs/slurm"},
        {"slurm-init-seconds-before-status-check": 5},
        {"default-resources": {"slurm_acount": "x"}},
        {"default-resources": {"mem_mbb": 100}},
        {"default-resources": ["cpus_per_tsk=2"]},
        {"set-resources": {"train": {"gpus": 1}}},
        {"set-resources": {"trian": {"gpu": 1}}},
    ],
)
def test_a_typo_is_caught(typo, known):
    profile = yaml.safe_load(SLURM_PROFILE.read_text())
    profile.update(typo)
    assert problems_of(profile, **known), typo


def test_slurm_profile_resources_evaluate_in_a_dry_run(tmp_path):
    """The resource expressions (env variables, `threads`) evaluate per job; no cluster."""
    env = dict(os.environ, SBATCH_ACCOUNT="acct_from_env", SBATCH_PARTITION="part_from_env")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--profile",
            str(SLURM_PROFILE.parent),
            "-n",
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--configfile",
            str(ROOT / "tests" / "config.smoke.yaml"),
            "--directory",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    lines = [line for line in output.splitlines() if line.strip().startswith("resources:")]
    assert lines, output[-3000:]
    for line in lines:
        assert "slurm_account=acct_from_env" in line and "slurm_partition=part_from_env" in line
        assert re.search(r"cpus_per_task=\d+", line) and re.search(r"runtime=\d+", line), line
