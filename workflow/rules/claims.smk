# The claims report (SPEC "Claims"): pre-registered tests of C1..C6 per data set, robustness on
# other data sets and a second width, the main data set's verdicts in the README.


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
        depths=CLAIMS["depths"],
        resamples=CLAIMS["bootstrap_resamples"],
        seed=CLAIMS["seed"],
        robustness=lambda wildcards: [
            d for d in CLAIMS["robustness_datasets"] if d != wildcards.dataset
        ],
        second_width=CLAIMS["second_width"],
    script:
        "../../scripts/claims.py"


rule readme_summary:
    input:
        json=f"results/{DATASETS[0]}/claims.json",
        md=f"results/{DATASETS[0]}/claims.md",
    output:
        json="results/claims.json",
        md="results/claims.md",
    log:
        "logs/readme_summary.log",
    conda:
        ENV
    params:
        readme="README.md",
    script:
        "../../scripts/readme_summary.py"
