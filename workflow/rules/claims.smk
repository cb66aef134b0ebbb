# The claims report (docs/claims.md): pre-registered tests of C1..C6 per data set, robustness
# on other data sets and a second width; results/claims.{json,md} is the main (first) data
# set's. The README's summary table is updated only on request (`snakemake readme`).


rule claims:
    input:
        unpack(claims_inputs),
    output:
        json="results/{dataset}/claims.json",
        md=report(
            "results/{dataset}/claims.md",
            caption="../report/claims.rst",
            category="Claims",
        ),
    log:
        "logs/claims/{dataset}.log",
    benchmark:
        "benchmarks/claims/{dataset}.tsv"
    conda:
        ENV
    params:
        code=code("claims"),
        settings=lambda wildcards: claims_settings(wildcards.dataset),
        # recorded in claims.json: what `snakemake readme` checks before stamping the README
        provenance=lambda wildcards: claims_provenance(wildcards.dataset),
    script:
        "../../scripts/claims.py"


rule main_claims:
    input:
        json=f"results/{DATASETS[0]}/claims.json",
        md=f"results/{DATASETS[0]}/claims.md",
    output:
        json="results/claims.json",
        md="results/claims.md",
    log:
        "logs/main_claims.log",
    localrule: True
    conda:
        ENV
    shell:
        "(cp {input.json} {output.json} && cp {input.md} {output.md}) > {log} 2>&1"


# Not part of `all`: a run writes only its declared outputs, never the tracked README.md. This
# rule has no output, so `snakemake readme` always rewrites the table (atomically) from
# results/claims.json, which Snakemake first brings up to date with the code and config.
rule readme:
    input:
        "results/claims.json",
    log:
        "logs/readme.log",
    localrule: True
    conda:
        ENV
    params:
        code=code("readme_summary"),
        readme="README.md",
        configfiles=[
            os.path.relpath(path)
            for path in workflow.overwrite_configfiles or ["config.yaml"]
        ],
        # what results/claims.json must have been computed with (code and settings digests)
        provenance=claims_provenance(DATASETS[0]),
    script:
        "../../scripts/readme_summary.py"


# Not part of `all`: after a run, `snakemake critical_path` writes the longest chain of job wall
# times through the finished DAG (benchmark files), what a run on as many cores as jobs takes.
rule critical_path:
    input:
        all_figures(),
        CLAIM_TARGETS,
    output:
        "results/benchmarks/critical_path.tsv",
    log:
        "logs/critical_path.log",
    localrule: True
    conda:
        ENV
    params:
        code=code("critical_path"),
        configfiles=[
            os.path.relpath(path)
            for path in workflow.overwrite_configfiles or ["config.yaml"]
        ],
    script:
        "../../scripts/critical_path.py"
