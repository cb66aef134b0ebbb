rule theory_gram:
    input:
        "results/{dataset}/data.npz",
    output:
        "results/{dataset}/theory/gram_{arch}.tsv",
    log:
        "logs/theory_gram/{dataset}/{arch}.log",
    benchmark:
        "benchmarks/theory_gram/{dataset}/{arch}.tsv"
    conda:
        ENV
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        depth=max(config["propagation"]["depth"], config["propagation"]["width_depth"]),
        init=config["init"],
    script:
        "../../scripts/theory_gram.py"


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
        architectures=ARCHITECTURES,
        angles=config["propagation"]["pair_angles"],
        depth=config["theory"]["scalar_depth"],
        dense_layers=config["theory"]["scalar_dense_layers"],
        init=config["init"],
    script:
        "../../scripts/theory_scalar.py"
