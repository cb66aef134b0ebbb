# Training experiments (docs/training.md, claims C1 and C5): learning-rate selection per
# (architecture, depth) on the validation split, seeded runs at the chosen rate, one tidy table
# per data set, figures 5 and 6. Results of training.width live in results/<dataset>/training/,
# those of the second width of the training claims (claims.training_second_width = w) in
# results/<dataset>/training_N<w>/; a directory is trained only when something asks for it.

TRAINING = config["training"]
TRAIN_DEPTHS = TRAINING["depths"]
TRAIN_SEEDS = list(range(TRAINING["seeds"]))


wildcard_constraints:
    training=r"training(_N\d+)?",


localrules:
    aggregate_training,


# One job per (data set, width, architecture) over all depths (start-up paid once).
rule select_lr:
    input:
        "results/{dataset}/data.npz",
    output:
        expand(
            "results/{{dataset}}/{{training}}/lr/{{arch}}_depth{depth}.json",
            depth=TRAIN_DEPTHS,
        ),
    log:
        "logs/select_lr/{dataset}/{training}/{arch}.log",
    benchmark:
        "benchmarks/select_lr/{dataset}/{training}/{arch}.tsv"
    conda:
        ENV
    threads: TRAINING["threads"]
    resources:
        mem_mb=2000,
        runtime=60 * len(TRAIN_DEPTHS),
    params:
        code=code("select_lr"),
        depths=TRAIN_DEPTHS,
        budget=training_budget,
        selection=TRAINING["lr_selection"],
        init=init_params(),
        device=TRAINING["device"],
    script:
        "../../scripts/select_lr.py"


# One job per (data set, width, architecture) over all depths and seeds: start-up and imports
# are paid once, the seeds of each depth train together (training.train_runs), and every run
# keeps its own record and model.
rule train:
    input:
        data="results/{dataset}/data.npz",
        lr=expand(
            "results/{{dataset}}/{{training}}/lr/{{arch}}_depth{depth}.json",
            depth=TRAIN_DEPTHS,
        ),
    output:
        run=expand(
            "results/{{dataset}}/{{training}}/runs/{{arch}}_depth{depth}_seed{seed}.json",
            depth=TRAIN_DEPTHS,
            seed=TRAIN_SEEDS,
        ),
        model=expand(
            "results/{{dataset}}/{{training}}/models/{{arch}}_depth{depth}_seed{seed}.pt",
            depth=TRAIN_DEPTHS,
            seed=TRAIN_SEEDS,
        ),
    log:
        "logs/train/{dataset}/{training}/{arch}.log",
    benchmark:
        "benchmarks/train/{dataset}/{training}/{arch}.tsv"
    conda:
        ENV
    threads: TRAINING["threads"]
    resources:
        mem_mb=2000,
        runtime=30 * len(TRAIN_SEEDS) * len(TRAIN_DEPTHS),
    params:
        code=code("train"),
        depths=TRAIN_DEPTHS,
        seeds=TRAIN_SEEDS,
        budget=lambda wildcards: training_budget(wildcards, TRAINING["epochs"]),
        init=init_params(),
        device=TRAINING["device"],
        # Epoch checkpoint of each depth's runs (not an output: Snakemake would delete it); a
        # rerun after an interruption resumes them from it if it was written by the same
        # config, data and training code (else it is discarded): finished depths from their
        # last epoch, the interrupted one from its last completed epoch. The job removes each
        # once that depth's runs are written.
        checkpoints=lambda wildcards: [
            f"results/{wildcards.dataset}/{wildcards.training}/resume/"
            f"{wildcards.arch}_depth{depth}.pt"
            for depth in TRAIN_DEPTHS
        ],
    script:
        "../../scripts/train.py"


# The separability analysis of the trained networks, from their saved weights: a new trained
# measure reruns this rule, never the training. One job per (data set, width, architecture).
rule analyse_training:
    input:
        data="results/{dataset}/data.npz",
        run=expand(
            "results/{{dataset}}/{{training}}/runs/{{arch}}_depth{depth}_seed{seed}.json",
            depth=TRAIN_DEPTHS,
            seed=TRAIN_SEEDS,
        ),
        model=expand(
            "results/{{dataset}}/{{training}}/models/{{arch}}_depth{depth}_seed{seed}.pt",
            depth=TRAIN_DEPTHS,
            seed=TRAIN_SEEDS,
        ),
    output:
        expand(
            "results/{{dataset}}/{{training}}/analysis/{{arch}}_depth{depth}_seed{seed}.json",
            depth=TRAIN_DEPTHS,
            seed=TRAIN_SEEDS,
        ),
    log:
        "logs/analyse_training/{dataset}/{training}/{arch}.log",
    benchmark:
        "benchmarks/analyse_training/{dataset}/{training}/{arch}.tsv"
    conda:
        ENV
    threads: TRAINING["threads"]
    resources:
        mem_mb=2000,
        runtime=10 * len(TRAIN_DEPTHS),
    params:
        code=code("analyse_training"),
        device=TRAINING["device"],
        # statistics at every layer where figure 5 draws them (the main training of the
        # figures' data sets), at the last hidden layer only for the claims' second settings
        every_layer=drawn_training,
    script:
        "../../scripts/analyse_training.py"


rule aggregate_training:
    input:
        run=lambda wildcards: training_runs(wildcards, "runs"),
        analysis=lambda wildcards: training_runs(wildcards, "analysis"),
    output:
        runs="results/{dataset}/{training}/runs.tsv",
        layers="results/{dataset}/{training}/layers.tsv",
    log:
        "logs/aggregate_training/{dataset}/{training}.log",
    benchmark:
        "benchmarks/aggregate_training/{dataset}/{training}.tsv"
    conda:
        ENV
    params:
        code=code("aggregate_training"),
    script:
        "../../scripts/aggregate_training.py"
