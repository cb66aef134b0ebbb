rule propagate_distances:
    input:
        "results/{dataset}/data.npz",
    output:
        "results/{dataset}/propagation/distance/{arch}_seed{seed}.tsv",
    log:
        "logs/propagate_distances/{dataset}/{arch}_seed{seed}.log",
    benchmark:
        "benchmarks/propagate_distances/{dataset}/{arch}_seed{seed}.tsv"
    conda:
        ENV
    threads: config["propagation"]["threads"]
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        runs=lambda wildcards: [(config["propagation"]["width"], int(wildcards.seed))],
        depth=config["propagation"]["depth"],
        init=config["init"],
    script:
        "../../scripts/propagate_distances.py"


use rule propagate_distances as propagate_widths with:
    output:
        "results/{dataset}/propagation/width/{arch}_seed{seed}.tsv",
    log:
        "logs/propagate_widths/{dataset}/{arch}_seed{seed}.log",
    benchmark:
        "benchmarks/propagate_widths/{dataset}/{arch}_seed{seed}.tsv"
    params:
        runs=width_runs,
        depth=config["propagation"]["width_depth"],
        init=config["init"],


rule propagate_pairs:
    output:
        "results/pairs/{arch}_seed{seed}.tsv",
    log:
        "logs/propagate_pairs/{arch}_seed{seed}.log",
    benchmark:
        "benchmarks/propagate_pairs/{arch}_seed{seed}.tsv"
    conda:
        ENV
    threads: config["propagation"]["threads"]
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        width=config["propagation"]["width"],
        depth=config["propagation"]["angle_depth"],
        angles=config["propagation"]["pair_angles"],
        pairs_per_angle=config["propagation"]["pairs_per_angle"],
        init=config["init"],
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
        architectures=ARCHITECTURES,
        n=config["data"]["eval_size"],
        width=config["propagation"]["width"],
        depth=100,
    script:
        "../../scripts/benchmark_propagation.py"
