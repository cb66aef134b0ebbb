# Beyond the paper (C4, C6; docs/theory.md, section 9): simulations drawn by the Gram-space
# sampler (separability.finite_width), which makes widths far beyond the depth affordable: C4's
# controlled pairs at depth <= N / 4, pairs inside a batch with per-unit BN, the depth-to-width
# law of the angle (figure 9) and figure 7's width scan to N = 2^16.

FINITE_WIDTH = config["finite_width"]
# The architectures whose branch is batch-normalised: their pairs inside a BN batch are drawn.
NORMALISED = [a for a in ARCHITECTURES if architectures.get(a).normalised]
WIDE_PAIR_TABLES = expand("results/pairs_wide/{arch}.tsv", arch=ARCHITECTURES)
BATCH_PAIR_TABLES = ["results/pairs_batch/theory.tsv"] + expand(
    "results/pairs_batch/{arch}.tsv", arch=NORMALISED
)
WIDTH_LAW_TABLES = {
    "curves": "results/width_law/curves.tsv",
    "summary": "results/width_law/summary.tsv",
}


# One job over all architectures (figure 3 and C4 read them all): start-up paid once.
rule sample_pairs:
    output:
        wide=WIDE_PAIR_TABLES,
        batch_theory=BATCH_PAIR_TABLES[0],
        batch=BATCH_PAIR_TABLES[1:],
    log:
        "logs/sample_pairs.log",
    benchmark:
        "benchmarks/sample_pairs.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10 * len(ARCHITECTURES),
    params:
        code=code("sample_pairs"),
        archs=ARCHITECTURES,
        normalised=NORMALISED,
        angles=config["propagation"]["pair_angles"],
        width=FINITE_WIDTH["pairs"]["width"],
        depth=FINITE_WIDTH["pairs"]["depth"],
        networks=FINITE_WIDTH["pairs"]["networks"],
        # every layer up to finite_width.dense_layers, then about log_layers log-spaced ones
        layers=recorded_layers(
            FINITE_WIDTH["pairs"]["depth"],
            FINITE_WIDTH["dense_layers"],
            FINITE_WIDTH["log_layers"],
        ).tolist(),
        batch=FINITE_WIDTH["batch"],
        seed=FINITE_WIDTH["seed"],
        init=init_params("s_w", "s_v", "s_b", "bn_eps"),
    script:
        "../../scripts/sample_pairs.py"


rule width_law:
    output:
        **WIDTH_LAW_TABLES,
    log:
        "logs/width_law.log",
    benchmark:
        "benchmarks/width_law.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10 * len(ARCHITECTURES),
    params:
        code=code("width_law"),
        archs=ARCHITECTURES,
        law=FINITE_WIDTH["width_law"],
        dense_layers=FINITE_WIDTH["dense_layers"],
        angle=PHASE_ANGLE,
        seed=FINITE_WIDTH["seed"],
        init=init_params("s_w", "s_v", "s_b", "bn_eps"),
    script:
        "../../scripts/width_law.py"


rule sample_widths:
    input:
        "results/{dataset}/data.npz",
    output:
        "results/{dataset}/propagation/sampled_width.tsv",
    log:
        "logs/sample_widths/{dataset}.log",
    benchmark:
        "benchmarks/sample_widths/{dataset}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10 * len(ARCHITECTURES),
    params:
        code=code("sample_widths"),
        archs=ARCHITECTURES,
        scan=FINITE_WIDTH["width_scan"],
        # the real-network scan's depth: the same mean over layers 1..depth
        depth=config["propagation"]["width_depth"],
        seed=FINITE_WIDTH["seed"],
        init=init_params(),
    script:
        "../../scripts/sample_widths.py"


# Outside `all`: the sampler's cost per layer against real networks (one pair, N = 512) and at
# N = 2^16 to depth 10^4 (16 networks), on one thread.
rule benchmark_finite_width:
    output:
        "results/benchmarks/finite_width.tsv",
    log:
        "logs/benchmark_finite_width.log",
    conda:
        ENV
    threads: 1
    params:
        code=code("benchmark_finite_width"),
        arch="resnet",
    script:
        "../../scripts/benchmark_finite_width.py"
