localrules:
    plot_distances,
    plot_ratio,
    plot_angle_decay,
    plot_angle_maps,
    plot_width,


rule plot_distances:
    input:
        simulation=simulation_tables("distance"),
        theory=theory_tables,
    output:
        pdf=report(
            "figures/{dataset}/fig1_distances.pdf",
            caption="../report/fig1_distances.rst",
            category="Random initialisation",
            subcategory="{dataset}",
        ),
        png="figures/{dataset}/fig1_distances.png",
    log:
        "logs/plot_distances/{dataset}.log",
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../../scripts/plot_distances.py"


rule plot_ratio:
    input:
        simulation=simulation_tables("distance"),
        theory=theory_tables,
    output:
        pdf=report(
            "figures/{dataset}/fig2_ratio.pdf",
            caption="../report/fig2_ratio.rst",
            category="Random initialisation",
            subcategory="{dataset}",
        ),
        png="figures/{dataset}/fig2_ratio.png",
    log:
        "logs/plot_ratio/{dataset}.log",
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../../scripts/plot_ratio.py"


rule plot_angle_decay:
    input:
        pairs=PAIR_TABLES,
        scalar="results/theory/scalar.tsv",
    output:
        pdf=report(
            "figures/fig3_angle_decay.pdf",
            caption="../report/fig3_angle_decay.rst",
            category="Angles",
        ),
        png="figures/fig3_angle_decay.png",
    log:
        "logs/plot_angle_decay.log",
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../../scripts/plot_angle_decay.py"


rule plot_angle_maps:
    input:
        pairs=PAIR_TABLES,
    output:
        pdf=report(
            "figures/fig4_angle_maps.pdf",
            caption="../report/fig4_angle_maps.rst",
            category="Angles",
        ),
        png="figures/fig4_angle_maps.png",
    log:
        "logs/plot_angle_maps.log",
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
        init=init_params("s_w", "s_v", "s_b"),
    script:
        "../../scripts/plot_angle_maps.py"


rule plot_width:
    input:
        simulation=simulation_tables("width"),
        theory=theory_tables,
    output:
        pdf=report(
            "figures/{dataset}/fig7_width.pdf",
            caption="../report/fig7_width.rst",
            category="Finite width",
            subcategory="{dataset}",
        ),
        png="figures/{dataset}/fig7_width.png",
    log:
        "logs/plot_width/{dataset}.log",
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../../scripts/plot_width.py"
