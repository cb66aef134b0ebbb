# Every figure (separability.figures.FIGURES, listed once there): one plot rule per entry, drawn
# by scripts/plot_figure.py from the tables the entry names, on this machine (plots are quick
# and never retrain anything: their rules read only finished tables).


def table_inputs(kind):
    """Input function: the paths of one kind of result table (separability.tables) for the
    wildcards' data set."""
    per_dataset = {
        "distance": lambda w: propagation_tables("distance", [w.dataset]),
        "width": lambda w: propagation_tables("width", [w.dataset]),
        "theory_figures": theory_tables,
        "runs": lambda w: [f"{training_dir(w.dataset)}/runs.tsv"],
        "layers": lambda w: [f"{training_dir(w.dataset)}/layers.tsv"],
        "sampled_width": lambda w: [
            f"results/{w.dataset}/propagation/sampled_width.tsv"
        ],
    }
    shared = {
        "pairs": PAIR_TABLES,
        "scalar": ["results/theory/scalar.tsv"],
        "phase_cells": ["results/phase/theory.tsv"],
        "phase_clock": ["results/phase/clock.tsv"],
        "phase_pairs": PHASE_PAIR_TABLES,
        "pairs_wide": WIDE_PAIR_TABLES,
        "width_law_curves": [WIDTH_LAW_TABLES["curves"]],
        "width_law_summary": [WIDTH_LAW_TABLES["summary"]],
    }
    return per_dataset.get(kind) or shared[kind]


def figure_arguments(figure):
    """Params function: the keyword arguments of a figure's plotting function taken from the
    wildcards and the configuration."""
    sources = {
        "dataset": lambda w: w.dataset,
        "s_w": lambda w: config["init"]["s_w"],
        "s_v": lambda w: config["init"]["s_v"],
        "s_b": lambda w: config["init"]["s_b"],
        "angle0": lambda w: PHASE_ANGLE,
    }
    return lambda w: {name: sources[name](w) for name in figure.arguments}


# the report folder, beside the data sets, of the figures drawn once for every data set
DATA_INDEPENDENT = "any data set"


for figure in FIGURES:
    stem = (
        f"figures/{{dataset}}/{figure.name}"
        if figure.per_dataset
        else f"figures/{figure.name}"
    )

    rule:
        name:
            figure.rule
        input:
            **{argument: table_inputs(kind) for argument, kind in figure.inputs},
        output:
            pdf=report(
                f"{stem}.pdf",
                caption=f"../report/{figure.name}.rst",
                category=figure.category,
                subcategory="{dataset}" if figure.per_dataset else DATA_INDEPENDENT,
            ),
            png=f"{stem}.png",
            # the configuration values the caption cites, recorded with the figure
            caption=f"{stem}.caption.rst",
        log:
            f"logs/{figure.rule}/{{dataset}}.log"
            if figure.per_dataset
            else f"logs/{figure.rule}.log",
        localrule: True
        conda:
            ENV
        params:
            figure=figure.name,
            dpi=config["figures"]["dpi"],
            arguments=figure_arguments(figure),
            cited=cited_values(figure.name),
            code=code("plot_figure", figure.module),
        script:
            "../../scripts/plot_figure.py"
