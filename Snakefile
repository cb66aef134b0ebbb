# Replication pipeline for Furusho & Ikeda, "ResNet and Batch-normalization Improve Data
# Separability" (ACML 2019). `snakemake --cores all` builds every figure and the claims report
# of every data set of config.yaml (docs/); it writes only under results/, figures/, logs/ and
# benchmarks/. `snakemake readme` copies the claims summary into README.md. See README.md for
# single figures, the report and SLURM.


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/propagation.smk"
include: "workflow/rules/theory.smk"
include: "workflow/rules/phase.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/finite_width.smk"
include: "workflow/rules/figures.smk"


report: "workflow/report/workflow.rst"


localrules:
    all,


rule all:
    default_target: True
    input:
        all_figures(),
        CLAIM_TARGETS,
