"""The conda environment of the rules pins the same releases as pyproject.toml."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pins(requirements) -> dict[str, str]:
    """name -> version for every 'name==version' requirement."""
    found = {}
    for requirement in requirements:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)\s*", requirement)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


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
