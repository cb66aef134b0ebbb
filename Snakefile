# Replication pipeline for Furusho & Ikeda, "ResNet and Batch-normalization Improve Data
# Separability" (ACML 2019). `snakemake --cores all` builds every figure of SPEC on the
# data sets of config.yaml; see README.md for single figures, the report and SLURM.


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/propagation.smk"
include: "workflow/rules/theory.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/claims.smk"


report: "workflow/report/workflow.rst"


localrules:
    all,
    readme_summary,


rule all:
    default_target: True
    input:
        all_figures(),
        CLAIM_TARGETS,
