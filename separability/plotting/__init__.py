"""Figures of docs/claims.md: one function per figure, each drawing on a fresh matplotlib
figure from tidy tables and returning it, one module per group of figures (``random_init``,
``angles``, ``phase_diagram``, ``width_law``, ``training``); ``style`` holds what they share
(labels, the colour-blind palette, seed bands, theory line styles). The list of figures, with
the tables each reads, is ``separability.figures``."""
