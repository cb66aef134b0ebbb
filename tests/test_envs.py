"""The conda environment of the rules pins the same releases as pyproject.toml, and a plain
install brings what `snakemake --report` needs."""

import re
import tomllib
from importlib import metadata

import yaml
from conftest import ROOT

REQUIREMENT = re.compile(r"\s*([A-Za-z0-9_.\-]+)\s*(?:\[([^\]]*)\])?\s*==\s*([^\s;]+)\s*")


def pins(requirements) -> dict[str, str]:
    """name -> version for every 'name==version' or 'name[extras]==version' requirement."""
    found = {}
    for requirement in requirements:
        match = REQUIREMENT.fullmatch(requirement)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(3)
    return found


def extras(requirements, name: str) -> set[str]:
    """The extras requested of package ``name``."""
    for requirement in requirements:
        match = REQUIREMENT.fullmatch(requirement)
        if match and match.group(1).lower() == name:
            return {extra.strip() for extra in (match.group(2) or "").split(",") if extra}
    raise AssertionError(f"{name} is not a pinned dependency")


def test_conda_env_pins_agree_with_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    python_pins = pins(project["dependencies"])
    for env_file in sorted((ROOT / "envs").glob("*.yaml")):
        env = yaml.safe_load(env_file.read_text())
        pip = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
        conda_pins = pins(pip)
        assert conda_pins, env_file
        for name, version in conda_pins.items():
            assert python_pins.get(name) == version, f"{env_file.name}: {name}=={version}"
        assert {"torch", "torchvision", "numpy"} <= set(conda_pins)


def test_torch_pins_are_the_ones_on_disk():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    python_pins = pins(project["dependencies"])
    assert python_pins["torch"] == "2.14.1" and python_pins["torchvision"] == "0.29.1"


def test_plain_install_can_build_the_report():
    """`snakemake --report` needs pygments, which only Snakemake's `reports` extra brings: the
    package depends on that extra, and the installed snakemake still provides it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "reports" in extras(project["dependencies"], "snakemake")
    snakemake = metadata.metadata("snakemake")
    assert "reports" in snakemake.get_all("Provides-Extra")
    brought = [req for req in snakemake.get_all("Requires-Dist") if 'extra == "reports"' in req]
    assert any(req.lower().startswith("pygments") for req in brought), brought
    metadata.version("pygments")  # installed
