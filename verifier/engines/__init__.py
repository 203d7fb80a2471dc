"""Exact entailment engines: linear systems over the rationals, propositional logic with Z3."""
