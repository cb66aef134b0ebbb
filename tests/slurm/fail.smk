# Tiny workflow for tests/test_slurm.py: under `--profile profiles/slurm` one job succeeds and
# one fails on purpose, so the test can check that a failing rule surfaces as a FAILED SLURM
# job (retried as the profile says) and a non-zero snakemake exit within a bounded time.


localrules:
    all,


rule all:
    default_target: True
    input:
        "ok.txt",
        "fail.txt",


rule ok:
    output:
        "ok.txt",
    resources:
        mem_mb=500,
        runtime=2,
    shell:
        "echo ok > {output}"


rule fail:
    output:
        "fail.txt",
    resources:
        mem_mb=500,
        runtime=2,
    shell:
        "echo 'failing on purpose' >&2; exit 3"
