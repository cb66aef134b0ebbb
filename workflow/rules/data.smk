rule prepare_data:
    output:
        "results/{dataset}/data.npz",
    log:
        "logs/prepare_data/{dataset}.log",
    benchmark:
        "benchmarks/prepare_data/{dataset}.tsv"
    conda:
        ENV
    params:
        split=lambda wildcards: {
            key: value for key, value in config["data"].items() if key != "synthetic"
        },
        synthetic=lambda wildcards: (
            config["data"]["synthetic"] if wildcards.dataset == "synthetic" else None
        ),
        data_dir=config["data_dir"],
        download=config["download"],
    script:
        "../../scripts/prepare_data.py"
