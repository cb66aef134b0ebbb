#!/usr/bin/env bash
# Run by `snakemake --sdm conda` inside the new environment: installs this checkout's package
# (the science behind every rule). Snakemake runs it from the working directory, which is the
# checkout unless --directory points elsewhere.
set -euo pipefail
python -m pip install --no-deps --editable "$PWD"
