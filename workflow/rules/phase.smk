# Figure 8 (beyond the paper, C4): where each decay law of the angle holds over the
# initialisation plane (s_w, s_b), in the scalar theory and in simulated pairs at a few cells.

PHASE = config["phase"]
PHASE_ANGLE = max(config["propagation"]["pair_angles"])


localrules:
    plot_phase,


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
        architectures=ARCHITECTURES,
        phase=PHASE,
        angle=PHASE_ANGLE,
        init=init_params("s_v"),
    script:
        "../../scripts/phase_theory.py"


# One job over all architectures (figure 8 draws them all): start-up paid once.
rule phase_pairs:
    output:
        expand("results/phase/pairs_{arch}.tsv", arch=ARCHITECTURES),
    log:
        "logs/phase_pairs.log",
    benchmark:
        "benchmarks/phase_pairs.tsv"
    conda:
        ENV
    threads: config["propagation"]["threads"]
    resources:
        mem_mb=2000,
        runtime=10 * len(ARCHITECTURES),
    params:
        archs=ARCHITECTURES,
        phase=PHASE,
        angle=PHASE_ANGLE,
        init=init_params("s_v", "bn_eps"),
    script:
        "../../scripts/phase_pairs.py"


rule plot_phase:
    input:
        cells="results/phase/theory.tsv",
        clock="results/phase/clock.tsv",
        pairs=expand("results/phase/pairs_{arch}.tsv", arch=ARCHITECTURES),
    output:
        pdf=report(
            "figures/fig8_phase_diagram.pdf",
            caption="../report/fig8_phase_diagram.rst",
            category="Angles",
        ),
        png="figures/fig8_phase_diagram.png",
    log:
        "logs/plot_phase.log",
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
        angle=PHASE_ANGLE,
        init=init_params("s_v"),
    script:
        "../../scripts/plot_phase.py"
