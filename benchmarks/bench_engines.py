"""Cold-solve time per item for the exact engines, next to naive baselines run in the same process.

    .venv/bin/python benchmarks/bench_engines.py [--items 30]

For GraphLA with 10/50/200 dishes and GraphLI with 10/100/500 atoms it prints the
median milliseconds per item of
- ``parse``: premise-language text → structures (our parser),
- ``engine``: our engine on the parsed premises (presolve + sparse exact RREF;
  propagation fast path + Z3), certificates included,
- ``baseline``: SymPy ``solve`` on the whole system (linear) / one fresh Z3
  solver per query with expressions built through the Python API (logic),
and the ratio baseline / engine. "Cold" means no cache: every item is new.
Targets (issue 2): engine median ≤ 5 ms at 200 dishes and ≤ 10 ms at 500 atoms.
"""

from __future__ import annotations

import argparse
import statistics
import time

import sympy
import z3

from verifier.engines.linear import solve_linear_system
from verifier.engines.logic import solve_by_propagation, solve_logic
from verifier.lang.logic import atoms_of
from verifier.problem import Problem, parse_problem
from verifier.tasks import graphla, graphli

LA_SIZES = {10: dict(depth=4, dishes=10, distractors=3),
            50: dict(depth=10, dishes=50, distractors=25),
            200: dict(depth=20, dishes=200, distractors=120)}
LI_SIZES = {10: dict(depth=4, atoms=10, distractors=4),
            100: dict(depth=12, atoms=100, distractors=60),
            500: dict(depth=16, atoms=470, distractors=400)}


def naive_linear(premises, target):
    syms = {}
    eqs = []
    for eq in premises:
        lhs = sum((c * syms.setdefault(n, sympy.Symbol(n)) for n, c in eq.coeffs), 0)
        eqs.append(sympy.Eq(lhs, eq.rhs))
    t = syms.setdefault(target, sympy.Symbol(target))
    sol = sympy.solve(eqs, list(syms), dict=True)
    if not sol:
        return "inconsistent"
    v = sol[0].get(t, t)
    return "determined" if not v.free_symbols else "undetermined"


def _z3_expr(f, env, ctx):
    tag = f[0]
    if tag == "var":
        return env[f[1]]
    if tag == "const":
        return z3.BoolVal(f[1], ctx)
    if tag == "not":
        return z3.Not(_z3_expr(f[1], env, ctx))
    a, b = _z3_expr(f[1], env, ctx), _z3_expr(f[2], env, ctx)
    return {"and": z3.And, "or": z3.Or, "imp": z3.Implies, "iff": lambda x, y: x == y}[tag](a, b)


def naive_logic(premises, query):
    ctx = z3.Context()
    names = {}
    for f in list(premises) + [query]:
        atoms_of(f, names)
    env = {n: z3.Bool(n, ctx) for n in names}
    s = z3.Solver(ctx=ctx)
    for f in premises:
        s.add(_z3_expr(f, env, ctx))
    q = _z3_expr(query, env, ctx)
    r1, r2 = s.check(z3.Not(q)), s.check(q)
    if r1 == z3.unsat and r2 == z3.unsat:
        return "inconsistent"
    return "determined" if z3.unsat in (r1, r2) else "undetermined"


def median_ms(xs):
    return statistics.median(xs) * 1e3


def run_suite(name, module, cfg_cls, sizes, solve_engine, solve_naive, n_items, size_key):
    print(f"\n{name}: median ms per item over {n_items} items (half unanswerable)")
    print(f"{size_key:>7} {'premises':>8} {'parse':>8} {'engine':>8} {'parse+eng':>9} "
          f"{'baseline':>9} {'ratio':>7}  extra")
    for size, knobs in sizes.items():
        items = [module.generate_item(cfg_cls(**knobs), 99, i) for i in range(n_items)]
        t_parse, t_eng, t_naive, fast_hits = [], [], [], 0
        for it in items:
            problem = Problem.make(it["domain"], it["premises"], it["query"])
            t0 = time.perf_counter()
            parsed = parse_problem(problem)
            t1 = time.perf_counter()
            sol = solve_engine(parsed)
            t2 = time.perf_counter()
            base = solve_naive(parsed)
            t3 = time.perf_counter()
            if base != sol.status:
                raise SystemExit(f"baseline disagrees on {it['id']}: {base} vs {sol.status}")
            if module is graphli and solve_by_propagation(parsed.premises, parsed.query):
                fast_hits += 1
            t_parse.append(t1 - t0)
            t_eng.append(t2 - t1)
            t_naive.append(t3 - t2)
        e = median_ms(t_eng)
        extra = f"fast path decided {fast_hits}/{n_items}" if module is graphli else ""
        print(f"{size:>7} {len(items[0]['premises']):>8} {median_ms(t_parse):>8.2f} {e:>8.2f} "
              f"{median_ms([a + b for a, b in zip(t_parse, t_eng)]):>9.2f} "
              f"{median_ms(t_naive):>9.2f} {median_ms(t_naive) / e:>6.1f}x  {extra}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=30)
    args = ap.parse_args()
    # warm imports and caches so that "cold" means a new problem, not a new process
    solve_linear_system([], "x")
    solve_logic([("var", "a")], ("var", "a"))
    run_suite("GraphLA (linear)", graphla, graphla.GraphLAConfig, LA_SIZES,
              lambda p: solve_linear_system(p.premises, p.query),
              lambda p: naive_linear(p.premises, p.query), args.items, "dishes")
    run_suite("GraphLI (logic)", graphli, graphli.GraphLIConfig, LI_SIZES,
              lambda p: solve_logic(p.premises, p.query),
              lambda p: naive_logic(p.premises, p.query), args.items, "atoms")


if __name__ == "__main__":
    main()
