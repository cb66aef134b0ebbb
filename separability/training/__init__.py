"""Training experiments of docs/training.md (claims C1, C5), one module per concern:

* ``config``: what determines a run (``RunConfig``), devices, determinism;
* ``fit``: the runs of one architecture, depth and width trained together, with checkpoints
  and divergence as data (``train_runs``, ``fit``);
* ``selection``: the learning rate of each (architecture, depth), chosen on the validation
  split;
* ``analysis``: the separability of the trained networks, from their saved weights;
* ``tables``: runs.tsv and layers.tsv.

Each Snakemake script imports only the modules it uses, so that a change to one concern reruns
only the jobs that depend on it (docs/README.md, "Code changes rerun their results").
"""
