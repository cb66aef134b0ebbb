"""Snakemake script of every plot rule (one per entry of separability.figures.FIGURES): reads
the figure's input tables, draws it with its plotting function and the configuration's
arguments, and writes it as PDF and PNG."""

from typing import TYPE_CHECKING

from separability import figures
from separability.io import write_text
from separability.plotting.style import save, style, use_headless_backend
from separability.workflow import read_tables, rule_log

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True):
    use_headless_backend()
    style()
    p = snakemake.params
    figure = figures.get(p.figure)
    tables = {argument: read_tables(snakemake.input[argument]) for argument, _ in figure.inputs}
    drawn = figure.draw(tables, p.arguments)
    save(drawn, snakemake.output.pdf, snakemake.output.png, p.dpi)
    record = figures.caption_record(p.cited, snakemake.wildcards.get("dataset"))
    write_text(record, snakemake.output.caption)
