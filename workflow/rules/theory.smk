rule theory_gram:
    input:
        "results/{dataset}/data.npz",
    output:
        "results/{dataset}/theory/gram_{arch}.tsv",
    log:
        "logs/theory_gram/{dataset}/{arch}.log",
    benchmark:
        "benchmarks/theory_gram/{dataset}/{arch}.tsv"
    # the exact BN theory of resnet_bn is the longest job of the random-init part: start early
    priority: 10
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        code=code("theory_gram"),
        arch=lambda wildcards: wildcards.arch,
        centering=True,
        depth=max(config["propagation"]["depth"], config["propagation"]["width_depth"]),
        init=init_params("s_in", "s_w", "s_v", "s_b"),
        bn=config["theory"]["bn"],
    script:
        "../../scripts/theory_gram.py"


# The variance-only BN variant of the normalised architectures of theory.variance_only, drawn (dotted) in figures 1, 2 and 7 only: a job
# of its own, so that the claims (which do not read it) never wait for it. Snakemake merges the
# params below into theory_gram's (depth, init and bn stay as there).
use rule theory_gram as theory_gram_variance_only with:
    output:
        "results/{dataset}/theory/gram_{arch}_variance_only.tsv",
    log:
        "logs/theory_gram/{dataset}/{arch}_variance_only.log",
    benchmark:
        "benchmarks/theory_gram/{dataset}/{arch}_variance_only.tsv"
    params:
        centering=False,


rule theory_scalar:
    output:
        "results/theory/scalar.tsv",
    log:
        "logs/theory_scalar.log",
    benchmark:
        "benchmarks/theory_scalar.tsv"
    conda:
        ENV
    params:
        code=code("theory_scalar"),
        architectures=ARCHITECTURES,
        angles=config["propagation"]["pair_angles"],
        depth=config["theory"]["scalar_depth"],
        dense_layers=config["theory"]["scalar_dense_layers"],
        init=init_params("s_w", "s_v", "s_b"),
    script:
        "../../scripts/theory_scalar.py"


# Outside `all`: the cost of the compiled scalar recursion of one angle, every architecture.
rule benchmark_scalar:
    output:
        "results/benchmarks/scalar_recursion.tsv",
    log:
        "logs/benchmark_scalar.log",
    conda:
        ENV
    threads: 1
    params:
        code=code("benchmark_scalar"),
        depth=100_000,
        angles=64,
    script:
        "../../scripts/benchmark_scalar.py"


rule benchmark_theory:
    input:
        f"results/{DATASETS[0]}/data.npz",
    output:
        "results/benchmarks/bn_theory.tsv",
    log:
        "logs/benchmark_theory.log",
    conda:
        ENV
    threads: 1
    params:
        code=code("benchmark_theory"),
        depth=config["propagation"]["depth"],
    script:
        "../../scripts/benchmark_theory.py"
