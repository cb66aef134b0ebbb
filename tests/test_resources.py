"""Memory estimates of separability.resources against what the jobs really allocate."""

import subprocess
import sys

import pytest

from separability import resources

# Peak resident memory added by one call, in a fresh interpreter with torch already imported:
# writing 5 to /proc/self/clear_refs resets the peak (VmHWM) to the current resident size.
MEASURE = """
import sys
import numpy as np, torch
from separability.propagation import data_statistics, pair_statistics
from separability.theory_tables import gram_statistics
torch.set_num_threads(1)
kind, n, width, depth = sys.argv[1], *map(int, sys.argv[2:])
x = np.random.default_rng(0).normal(size=(max(n, 1), 64))
labels = np.arange(len(x)) % 10
def status_kib(key):
    line = next(l for l in open("/proc/self/status") if l.startswith(key + ":"))
    return int(line.split()[1])
open("/proc/self/clear_refs", "w").write("5")
before = status_kib("VmRSS")
if kind == "simulation":
    data_statistics("resnet", x.astype(np.float32), labels, width, depth, 0, progress=False)
elif kind == "pairs":
    pair_statistics("resnet", width, depth, 0, [1.5, 0.1], 32, progress=False)
else:
    gram_statistics("resnet_bn", x, labels, depth, progress=False)
print((status_kib("VmHWM") - before) * 1024)
"""


def measured_bytes(kind: str, n: int, width: int, depth: int) -> int:
    output = subprocess.run(
        [sys.executable, "-c", MEASURE, kind, str(n), str(width), str(depth)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(output.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
@pytest.mark.parametrize(
    "kind, n, width, depth, estimate",
    [
        ("simulation", 1500, 64, 4, resources.simulation_bytes(1500, 64, 64, 4)),  # Gram-bound
        ("pairs", 128, 768, 60, resources.simulation_bytes(128, 0, 768, 60)),  # weight-bound
        ("theory", 1500, 0, 3, resources.theory_bytes(1500)),
    ],
)
def test_estimates_are_close_lower_bounds(kind, n, width, depth, estimate):
    """Each estimate stays below the peak memory a job really adds (so a refusal is never
    wrong) and above half of it (so it refuses what cannot fit)."""
    used = measured_bytes(kind, n, width, depth)
    print(f"{kind}: estimate {estimate / 2**20:.0f} MiB, used {used / 2**20:.0f} MiB")
    assert 0.5 * used < estimate <= 1.1 * used, (estimate / 2**20, used / 2**20)


def test_machine_memory_is_plausible():
    assert 2**28 < resources.machine_memory_bytes() < 2**50
