"""Honest deduction verifier: decides from the premises themselves whether a
conclusion is entailed, and grades answers against honest abstentions.

Entry points::

    from verifier.problem import Problem, solve, check
    sol = solve(Problem.make("linear", ["2*a = b + 3", "b = 5"], "a"))
    sol.status, sol.expected          # ("determined", "4")
"""

__version__ = "0.1.0"
