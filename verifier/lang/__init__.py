"""The premise language: a small text syntax for linear equations and
propositional formulas, parsed by hand-written recursive-descent parsers.

Nothing here evaluates text: no ``eval``, ``exec``, ``sympify`` or
``parse_expr``. Every input is bounded (see :mod:`verifier.limits`).
"""

from verifier.lang.linear import LinearEquation, parse_linear_equation, parse_linear_name
from verifier.lang.logic import Formula, parse_formula, formula_to_text

__all__ = [
    "LinearEquation",
    "parse_linear_equation",
    "parse_linear_name",
    "Formula",
    "parse_formula",
    "formula_to_text",
]
