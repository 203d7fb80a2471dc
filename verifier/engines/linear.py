"""Exact linear engine: is the target unknown determined by the premises?

Decides the *target* only: it can be determined while other unknowns stay free.

Method
1. Presolve (sound): an equation that holds the only occurrence of some
   unknown ``v`` other than the target can always be satisfied by choosing
   ``v``, whatever the other unknowns are; dropping it (and ``v``) changes
   neither consistency nor what is determined about the rest. Repeating this
   peels away distractor equations, so the exact work runs on the core that
   actually constrains the target. Equations without unknowns are checked on
   the spot (``0 = 3`` is inconsistent).
2. Exact row reduction of the core ``[A | b]`` over QQ with SymPy's sparse
   ``DomainMatrix`` (python-flint numbers when installed). Inconsistent iff a
   pivot lands in the ``b`` column; the target is determined iff its column is
   a pivot column whose row is zero in every free column; the value is that
   row's ``b`` entry.
3. Certificates that can be re-checked without this module
   (:func:`check_certificate`): for ``determined`` and ``inconsistent``, the
   rational combination of premises that yields ``target = value`` or
   ``0 = 1``; for ``undetermined``, two full solutions that satisfy every
   premise and differ on the target.

Bounds: before any solving a Hadamard bound on the bit size of the exact
answer is computed; past ``Limits.max_solution_bits`` the problem is refused
(:class:`ResourceExhausted`) since SymPy/flint calls cannot be interrupted.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from verifier.errors import EngineError, LimitExceeded, ResourceExhausted
from verifier.lang.linear import LinearEquation
from verifier.limits import DEFAULT_LIMITS, Limits
from verifier.solution import (DETERMINED, INCONSISTENT, UNDETERMINED, UNKNOWN, Solution,
                               format_number)


_QQ = QQ.dtype  # flint.fmpq when python-flint is installed, else SymPy's PythonMPQ


def _qq(q: Fraction):
    return _QQ(q.numerator, q.denominator)


def _frac(x) -> Fraction:
    return Fraction(int(x.numerator), int(x.denominator))


def hadamard_bits(equations: Sequence[LinearEquation]) -> float:
    """Upper bound (bits) on numerators/denominators of the exact solution.

    Each row is scaled to integers; the product of the rows' Euclidean norms
    bounds every minor of ``[A | b]``, hence every number Cramer's rule yields.
    """
    bits = 0.0
    for eq in equations:
        lcm = math.lcm(eq.rhs.denominator, *(c.denominator for _, c in eq.coeffs))
        # ||row||_2 <= sqrt(k) * max|entry|, in bits
        top = max(abs(int(eq.rhs * lcm)), *(abs(int(c * lcm)) for _, c in eq.coeffs)) \
            if lcm != 1 else max(abs(eq.rhs.numerator), *(abs(c.numerator) for _, c in eq.coeffs))
        if top:
            bits += top.bit_length() + math.log2(len(eq.coeffs) + 1) / 2
    return bits


def _peel(equations: Sequence[LinearEquation], target: str):
    """Presolve: drop equations that hold the only occurrence of a non-target unknown.

    Returns ``(core, peeled, contradiction)``: indices of the remaining
    equations, ``[(index, var)]`` in peeling order, and the index of an
    equation ``0 = c`` with ``c != 0`` (or None).
    """
    occ: dict[str, set[int]] = {}
    alive = set()
    for i, eq in enumerate(equations):
        if not eq.coeffs:
            if eq.rhs != 0:
                return [], [], i
            continue
        alive.add(i)
        for n, _ in eq.coeffs:
            occ.setdefault(n, set()).add(i)
    stack = [n for n, s in occ.items() if len(s) == 1 and n != target]
    peeled: list[tuple[int, str]] = []
    while stack:
        v = stack.pop()
        s = occ[v]
        if len(s) != 1:
            continue
        (i,) = s
        alive.discard(i)
        peeled.append((i, v))
        for n, _ in equations[i].coeffs:
            occ[n].discard(i)
            if len(occ[n]) == 1 and n != target:
                stack.append(n)
    return sorted(alive), peeled, None


def _rref(rows: list[dict[int, Fraction]], ncols: int):
    """Exact RREF of a sparse matrix; returns (rows as {col: QQ}, pivot columns)."""
    m = DomainMatrix({i: {j: _qq(v) for j, v in r.items()} for i, r in enumerate(rows) if r},
                     (len(rows), ncols), QQ)
    R, pivots = m.rref()
    rep = R.to_sparse().rep
    return [rep.get(i, {}) for i in range(len(pivots))], pivots


def _combination(equations, idxs: list[int], col_of: dict[str, int], goal: dict[int, Fraction]):
    """Rational y with sum(y_i * [A|b]_i) == goal over the equations ``idxs``, or None."""
    nvars = len(col_of)
    # transpose: one row per column of [A|b] (unknowns, then b), one column per equation
    tr: list[dict[int, Fraction]] = [dict() for _ in range(nvars + 1)]
    for k, i in enumerate(idxs):
        eq = equations[i]
        for n, c in eq.coeffs:
            tr[col_of[n]][k] = c
        if eq.rhs:
            tr[nvars][k] = eq.rhs
    g = len(idxs)
    for j, v in goal.items():
        if v:
            tr[j][g] = v
    rows, pivots = _rref(tr, g + 1)
    if g in pivots:
        return None
    y = []
    for r, p in zip(rows, pivots):
        v = r.get(g)
        if v:
            y.append((idxs[p], _frac(v)))
    return sorted(y)


def solve_linear_system(equations: Sequence[LinearEquation], target: str,
                        limits: Limits = DEFAULT_LIMITS) -> Solution:
    """Decide whether ``target`` is determined by ``equations`` (see module doc)."""
    if len(equations) > limits.max_premises:
        raise LimitExceeded(f"{len(equations)} premises; the limit is {limits.max_premises}")
    names = {n for eq in equations for n, _ in eq.coeffs}
    if len(names) > limits.max_names:
        raise LimitExceeded(f"{len(names)} distinct unknowns; the limit is {limits.max_names}")

    core, peeled, contradiction = _peel(equations, target)
    if contradiction is not None:
        cert = {"combination": [{"premise": contradiction, "coefficient": "1"}],
                "derives": f"0 = {format_number(equations[contradiction].rhs)}"}
        return Solution("linear", INCONSISTENT, UNKNOWN, None, cert)
    core_eqs = [equations[i] for i in core]
    bits = hadamard_bits(core_eqs)
    if bits > limits.max_solution_bits:
        raise ResourceExhausted(
            f"the exact solution may need ~{int(bits)} bits (Hadamard bound); the limit is "
            f"{limits.max_solution_bits}: use smaller coefficients or fewer equations")

    # columns: core unknowns in first-seen order, then b
    col_of: dict[str, int] = {}
    for eq in core_eqs:
        for n, _ in eq.coeffs:
            col_of.setdefault(n, len(col_of))
    nvars = len(col_of)
    rows = []
    for eq in core_eqs:
        r = {col_of[n]: c for n, c in eq.coeffs}
        if eq.rhs:
            r[nvars] = eq.rhs
        rows.append(r)
    rref_rows, pivots = _rref(rows, nvars + 1) if rows else ([], ())
    pivot_row = {p: k for k, p in enumerate(pivots)}

    if nvars in pivot_row:
        y = _combination(equations, core, col_of, {nvars: Fraction(1)})
        if y is None:  # cannot happen for a correct RREF; refuse rather than guess
            raise EngineError("row reduction found a contradiction but no certificate for it")
        cert = {"combination": [{"premise": i, "coefficient": format_number(c)} for i, c in y],
                "derives": "0 = 1"}
        return Solution("linear", INCONSISTENT, UNKNOWN, None, cert)

    t = col_of.get(target)
    if t is not None and t in pivot_row:
        row = rref_rows[pivot_row[t]]
        if all(j == t or j == nvars for j in row):
            value = _frac(row[nvars]) if nvars in row else Fraction(0)
            y = _combination(equations, core, col_of, {t: Fraction(1), nvars: value})
            if y is None:
                raise EngineError("row reduction determined the target but found no certificate")
            cert = {"combination": [{"premise": i, "coefficient": format_number(c)}
                                    for i, c in y],
                    "derives": f"{target} = {format_number(value)}"}
            return Solution("linear", DETERMINED, format_number(value), value, cert)

    # undetermined: two solutions that agree on every premise and differ on the target
    if t is None:
        free_col = None  # the target is unconstrained by the core
    elif t in pivot_row:
        row = rref_rows[pivot_row[t]]
        free_col = next(j for j in row if j != t and j != nvars)
    else:
        free_col = t
    # values are QQ elements (flint numbers where available): much cheaper than Fraction
    zero, one = QQ(0), QQ(1)
    sols = []
    for bump in (zero, one):
        values: dict = {}
        free = {free_col: bump} if free_col is not None else {}
        for n, j in col_of.items():
            if j not in pivot_row:
                values[n] = free.get(j, zero)
        for n, j in col_of.items():
            if j in pivot_row:
                row = rref_rows[pivot_row[j]]
                v = row.get(nvars, zero)
                for jj, c in row.items():
                    if jj != j and jj != nvars and jj in free:
                        v -= c * free[jj]
                values[n] = v
        if t is None:
            values[target] = bump
        _extend(equations, peeled, values)
        sols.append({n: str(v) for n, v in sorted(values.items())})
    return Solution("linear", UNDETERMINED, UNKNOWN, None, {"solutions": sols})


def _extend(equations, peeled, values: dict) -> None:
    """Give values (QQ elements) to peeled unknowns, last peeled first, so every
    equation holds."""
    zero = QQ(0)
    conv: dict = {}  # Fraction → QQ; coefficients repeat a lot (1, 2, 3, ...)

    def qq(c):
        q = conv.get(c)
        if q is None:
            q = conv[c] = _qq(c)
        return q

    for i, v in reversed(peeled):
        eq = equations[i]
        acc = qq(eq.rhs)
        cv = None
        for n, c in eq.coeffs:
            if n == v:
                cv = c
            else:
                x = values.get(n)
                if x is None:
                    x = values[n] = zero
                if x:
                    acc -= qq(c) * x
        values[v] = acc / qq(cv)


def check_certificate(equations: Sequence[LinearEquation], target: str,
                      solution: Solution) -> bool:
    """Re-check a solution's certificate with plain fractions (no engine involved)."""
    cert = solution.certificate
    if solution.status == UNDETERMINED:
        a, b = ({n: Fraction(v) for n, v in s.items()} for s in cert["solutions"])
        for s in (a, b):
            for eq in equations:
                if any(n not in s for n, _ in eq.coeffs) or eq.evaluate(s) != 0:
                    return False
        return a.get(target, Fraction(0)) != b.get(target, Fraction(0))
    acc: dict[str, Fraction] = {}
    rhs = Fraction(0)
    for item in cert["combination"]:
        eq, y = equations[item["premise"]], Fraction(item["coefficient"])
        for n, c in eq.coeffs:
            acc[n] = acc.get(n, Fraction(0)) + y * c
        rhs += y * eq.rhs
    acc = {n: c for n, c in acc.items() if c}
    if solution.status == INCONSISTENT:
        return not acc and rhs != 0
    return acc == {target: Fraction(1)} and rhs == solution.value
