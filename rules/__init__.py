"""kernlint's rule catalogue: one module per rule, discovered by the engine.

Each module has ``ID``, ``NAME``, ``SEVERITY``, ``APPLIES_TO``, a docstring that is the
rule's documentation (What it does / Why is this bad? / Example / Use instead /
References), and ``check(ctx)``, a pure function of the context yielding findings.
"""
