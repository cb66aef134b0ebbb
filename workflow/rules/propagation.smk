# One job per data set over all architectures and seeds, so that interpreter start-up and
# imports are paid once (every figure and claim reads all architectures); every
# (architecture, seed) keeps its own table.
rule propagate_distances:
    input:
        "results/{dataset}/data.npz",
    output:
        expand(
            "results/{{dataset}}/propagation/distance/{arch}_seed{seed}.tsv",
            arch=ARCHITECTURES,
            seed=SEEDS,
        ),
    log:
        "logs/propagate_distances/{dataset}.log",
    benchmark:
        "benchmarks/propagate_distances/{dataset}.tsv"
    conda:
        ENV
    threads: config["propagation"]["threads"]
    resources:
        mem_mb=2000,
        runtime=60 * len(ARCHITECTURES),
    params:
        code=code("propagate_distances"),
        archs=ARCHITECTURES,
        # the (width, seed) runs of each output table, in the order of `output`
        runs=[[(config["propagation"]["width"], seed)] for seed in SEEDS],
        depth=config["propagation"]["depth"],
        layers=distance_layers(),
        init=init_params(),
    script:
        "../../scripts/propagate_distances.py"


use rule propagate_distances as propagate_widths with:
    output:
        expand(
            "results/{{dataset}}/propagation/width/{arch}_seed{seed}.tsv",
            arch=ARCHITECTURES,
            seed=SEEDS,
        ),
    log:
        "logs/propagate_widths/{dataset}.log",
    benchmark:
        "benchmarks/propagate_widths/{dataset}.tsv"
    # params merged into propagate_distances' (archs and init stay as there)
    params:
        runs=[width_runs(job) for job in SEEDS],
        depth=config["propagation"]["width_depth"],
        # every layer: figure 7 and C6 average |simulation - theory| over all layers
        layers=None,


# The robustness data sets of the claims that are not in `datasets`: only the paper's
# architectures, all their claims read (figures of such a data set use propagate_distances).
use rule propagate_distances as propagate_robustness with:
    output:
        expand(
            "results/{{dataset}}/propagation/robustness/{arch}_seed{seed}.tsv",
            arch=CLAIM_ARCHITECTURES,
            seed=SEEDS,
        ),
    log:
        "logs/propagate_robustness/{dataset}.log",
    benchmark:
        "benchmarks/propagate_robustness/{dataset}.tsv"
    resources:
        mem_mb=2000,
        runtime=60 * len(CLAIM_ARCHITECTURES),
    params:
        archs=list(CLAIM_ARCHITECTURES),


rule propagate_pairs:
    output:
        PAIR_TABLES,
    log:
        "logs/propagate_pairs.log",
    benchmark:
        "benchmarks/propagate_pairs.tsv"
    conda:
        ENV
    threads: config["propagation"]["threads"]
    resources:
        mem_mb=2000,
        runtime=60 * len(ARCHITECTURES),
    params:
        code=code("propagate_pairs"),
        archs=ARCHITECTURES,
        seeds=SEEDS,
        width=config["propagation"]["width"],
        depth=config["propagation"]["angle_depth"],
        angles=config["propagation"]["pair_angles"],
        pairs_per_angle=config["propagation"]["pairs_per_angle"],
        init=init_params("s_w", "s_v", "s_b", "bn_eps"),
    script:
        "../../scripts/propagate_pairs.py"


rule benchmark_propagation:
    output:
        "results/benchmarks/propagation_throughput.tsv",
    log:
        "logs/benchmark_propagation.log",
    conda:
        ENV
    threads: config["propagation"]["threads"]
    params:
        code=code("benchmark_propagation"),
        architectures=ARCHITECTURES,
        n=config["data"]["eval_size"],
        width=config["propagation"]["width"],
        # the distance simulations' depth and recorded layers: the throughput they run at
        depth=config["propagation"]["depth"],
        layers=distance_layers(),
    script:
        "../../scripts/benchmark_propagation.py"
