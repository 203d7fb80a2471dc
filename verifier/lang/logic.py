"""Parser for propositional formulas in the premise language.

Syntax (keywords are case-insensitive)::

    not  ~  ¬  !          negation            (binds tightest)
    and  &  ∧  &&         conjunction
    or   |  ∨  ||         disjunction
    ->   →  =>            implication         (right-associative)
    <->  ↔  <=>           equivalence         (binds loosest)
    true  false  ( )      constants, grouping
    NAME := [A-Za-z_][A-Za-z0-9_]*            an atom

Formulas are nested tuples, cheap to build and hash::

    ("var", name) | ("const", bool) | ("not", f) | (op, f, g)  with op in and/or/imp/iff
"""

from __future__ import annotations

import re

from verifier.errors import ParseError
from verifier.lang.lexer import TokenStream, tokenize
from verifier.limits import DEFAULT_LIMITS, Limits

Formula = tuple  # see module docstring

_TOKEN = re.compile(
    r"(?P<WS>\s+)|(?P<IFF><->|<=>|↔)|(?P<IMP>->|=>|→)|(?P<AND>&&|&|∧)|(?P<OR>\|\||\||∨)"
    r"|(?P<NOT>~|¬|!)|(?P<NAME>[A-Za-z_][A-Za-z0-9_]*)|(?P<LP>\()|(?P<RP>\))"
)
_KEYWORDS = {"not": "NOT", "and": "AND", "or": "OR", "true": "TRUE", "false": "FALSE"}
_BINARY = {"IFF": "iff", "IMP": "imp", "OR": "or", "AND": "and"}


class _Parser(TokenStream):
    def kind(self) -> str:
        tok = self.peek
        if tok.kind == "NAME":
            return _KEYWORDS.get(tok.text.lower(), "NAME")
        return tok.kind

    def formula(self) -> Formula:
        f = self.iff()
        if self.peek.kind != "EOF":
            tok = self.peek
            raise self.error(f"unexpected {self.describe(tok)}; is an operator or '(' missing?")
        return f

    def iff(self) -> Formula:
        self.enter()
        f = self.imp()
        while self.kind() == "IFF":
            self.next()
            f = ("iff", f, self.imp())
        self.leave()
        return f

    def imp(self) -> Formula:
        f = self.disj()
        if self.kind() == "IMP":
            self.next()
            self.enter()
            f = ("imp", f, self.imp())  # right-associative
            self.leave()
        return f

    def disj(self) -> Formula:
        f = self.conj()
        while self.kind() == "OR":
            self.next()
            f = ("or", f, self.conj())
        return f

    def conj(self) -> Formula:
        f = self.neg()
        while self.kind() == "AND":
            self.next()
            f = ("and", f, self.neg())
        return f

    def neg(self) -> Formula:
        k = self.kind()
        if k == "NOT":
            self.next()
            self.enter()
            f = ("not", self.neg())
            self.leave()
            return f
        tok = self.next()
        if k == "NAME":
            return ("var", tok.text)
        if k == "TRUE":
            return ("const", True)
        if k == "FALSE":
            return ("const", False)
        if k == "LP":
            f = self.iff()
            close = self.next()
            if close.kind != "RP":
                raise self.error(f"expected ')' to close the '(' at column {tok.col}, "
                                 f"found {self.describe(close)}", close)
            return f
        raise self.error(f"expected an atom, 'not', 'true', 'false' or '(', "
                         f"found {self.describe(tok)}", tok)


# Fast path for the flat shapes most premises have: "a", "~a -> b", "a | ~b",
# "a & b -> c", "a | b -> c", "a -> b -> c". Taken only on a full match with no
# keyword used as a name; it builds exactly the full parser's tuples (a test checks).
_L = r"\s*(~?)\s*([A-Za-z_][A-Za-z0-9_]*)\s*"
_FLAT = re.compile(rf"{_L}(?:(->|\||&){_L}(?:(->){_L})?)?\Z")


def _flat(m: re.Match) -> Formula | None:
    n1, a1, op1, n2, a2, op2, n3, a3 = m.groups()
    for a in (a1, a2, a3):
        if a is not None and a.lower() in _KEYWORDS:
            return None
    x = ("not", ("var", a1)) if n1 else ("var", a1)
    if op1 is None:
        return x
    y = ("not", ("var", a2)) if n2 else ("var", a2)
    if op2 is None:
        return (_BINARY[{"->": "IMP", "|": "OR", "&": "AND"}[op1]], x, y)
    z = ("not", ("var", a3)) if n3 else ("var", a3)
    if op1 == "->":
        return ("imp", x, ("imp", y, z))
    return ("imp", ("or" if op1 == "|" else "and", x, y), z)


def parse_formula(text: str, limits: Limits = DEFAULT_LIMITS) -> Formula:
    """Parse one propositional formula; raises :class:`ParseError` with a column."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) <= limits.max_text_chars:
        m = _FLAT.match(text)
        if m is not None:
            f = _flat(m)
            if f is not None:
                return f
    return _Parser(text, tokenize(text, _TOKEN, limits), limits).formula()


def atoms_of(f: Formula, out: dict[str, None] | None = None) -> dict[str, None]:
    """Atoms of ``f`` in order of first appearance (a dict used as ordered set)."""
    out = {} if out is None else out
    stack = [f]
    while stack:
        g = stack.pop()
        tag = g[0]
        if tag == "var":
            out.setdefault(g[1], None)
        elif tag == "not":
            stack.append(g[1])
        elif tag != "const":
            stack.append(g[2])
            stack.append(g[1])
    return out


_SYM = {"and": "&", "or": "|", "imp": "->", "iff": "<->"}
_PREC = {"iff": 1, "imp": 2, "or": 3, "and": 4}


def formula_to_text(f: Formula, parent: int = 0) -> str:
    """Render a formula in the premise language, with only the needed parentheses."""
    tag = f[0]
    if tag == "var":
        return f[1]
    if tag == "const":
        return "true" if f[1] else "false"
    if tag == "not":
        return "~" + formula_to_text(f[1], 5)
    p = _PREC[tag]
    if tag == "imp":  # right-associative: parenthesise a left operand of equal precedence
        s = f"{formula_to_text(f[1], p + 1)} -> {formula_to_text(f[2], p)}"
    else:
        s = f"{formula_to_text(f[1], p)} {_SYM[tag]} {formula_to_text(f[2], p + 1)}"
    return f"({s})" if p < parent else s


def evaluate(f: Formula, assignment: dict[str, bool]) -> bool:
    """Truth value of ``f`` under ``assignment`` (every atom must be assigned)."""
    tag = f[0]
    if tag == "var":
        return assignment[f[1]]
    if tag == "const":
        return f[1]
    if tag == "not":
        return not evaluate(f[1], assignment)
    a = evaluate(f[1], assignment)
    if tag == "and":
        return a and evaluate(f[2], assignment)
    if tag == "or":
        return a or evaluate(f[2], assignment)
    if tag == "imp":
        return (not a) or evaluate(f[2], assignment)
    return a == evaluate(f[2], assignment)


