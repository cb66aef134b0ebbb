# Figure 8 (beyond the paper, C4): where each decay law of the angle holds over the
# initialisation plane (s_w, s_b), in the scalar theory and in pairs at a few cells drawn by the
# Gram-space sampler at a width far beyond their depth.

PHASE = config["phase"]
PHASE_ANGLE = max(config["propagation"]["pair_angles"])
PHASE_PAIR_TABLES = expand("results/phase/pairs_{arch}.tsv", arch=ARCHITECTURES)


rule phase_theory:
    output:
        cells="results/phase/theory.tsv",
        clock="results/phase/clock.tsv",
    log:
        "logs/phase_theory.log",
    benchmark:
        "benchmarks/phase_theory.tsv"
    conda:
        ENV
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code("phase_theory"),
        architectures=ARCHITECTURES,
        phase=PHASE,
        angle=PHASE_ANGLE,
        init=init_params("s_v"),
    script:
        "../../scripts/phase_theory.py"


# One job over all architectures (figure 8 draws them all): start-up paid once.
rule phase_pairs:
    output:
        PHASE_PAIR_TABLES,
    log:
        "logs/phase_pairs.log",
    benchmark:
        "benchmarks/phase_pairs.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10 * len(ARCHITECTURES),
    params:
        code=code("phase_pairs"),
        archs=ARCHITECTURES,
        phase=PHASE,
        angle=PHASE_ANGLE,
        seed=config["finite_width"]["seed"],
        init=init_params("s_v", "bn_eps"),
    script:
        "../../scripts/phase_pairs.py"
