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

A chain of one associative operator (``a & b & c & d``) becomes a balanced tree
rather than a left-nested one (see :func:`chain`), so a formula is never much
deeper than its nesting of parentheses, ``not`` and ``->`` (at most
``Limits.max_depth``) allows: a 20,000-character chain stays a few dozen levels
deep. Everything here that walks a formula is iterative anyway.
"""

from __future__ import annotations

import bisect
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


Height = int  # edges on the longest path from a formula's root to a leaf (a leaf: 0)


def chain(op: str, items: list[tuple[Formula, Height]]) -> tuple[Formula, Height]:
    """One binary tree joining ``items`` (left to right) with the associative ``op``.

    ``a & b & c & ...`` is not nested to the left: a chain of 10,000 operands
    would be a tree 10,000 deep, which recursive code (ours, but also tuple
    ``==`` and ``pickle``) cannot walk. The tree is weight-balanced instead, an
    operand of height ``h`` weighing ``2**h``: each split puts half the weight
    on either side, so an operand lands ~``log2(total / 2**h)`` levels down and
    the chain's height stays ~``log2(sum of 2**h)`` + 2. That also keeps a deep
    operand (a parenthesised chain) near the top instead of adding ``log2(n)``
    levels per parenthesis: a chain adds ~2 levels above its deepest operand,
    so a premise within the limits (per level of nesting three chains and one
    ``->``, 64 levels) parses to fewer than 500 levels; the deepest shape found
    by search (445) is in tests/test_hostile_inputs.py. A tie gives the left
    side the extra operand, so two or three operands nest to the left as they
    always did (``a & b & c`` is ``((a & b) & c)``).

    The shape depends only on the operands and their heights: equal text parses
    to equal tuples, and :func:`formula_to_text` can tell a chain the parser
    would build from any other tree. Iterative, so the height is no concern here.
    """
    n = len(items)
    if n == 1:
        return items[0]
    if n == 2:
        (a, ha), (b, hb) = items
        return (op, a, b), max(ha, hb) + 1
    prefix = [0]  # prefix[i]: weight of items[:i]
    for _, h in items:
        prefix.append(prefix[-1] + (1 << h))
    built: list[tuple[Formula, Height]] = []
    todo = [(0, n, False)]  # (lo, hi, children built): the subtree over items[lo:hi]
    while todo:
        lo, hi, joined = todo.pop()
        if hi - lo == 1:
            built.append(items[lo])
        elif joined:
            b, hb = built.pop()
            a, ha = built.pop()
            built.append(((op, a, b), max(ha, hb) + 1))
        else:
            # split before items[m]: the first m whose left weight reaches half the
            # weight (compared doubled, in integers), or m - 1 if that is strictly closer
            twice_half = prefix[lo] + prefix[hi]
            m = bisect.bisect_left(prefix, (twice_half + 1) // 2, lo + 1, hi)
            if m == hi or (m - 1 > lo
                           and twice_half - 2 * prefix[m - 1] < 2 * prefix[m] - twice_half):
                m -= 1
            todo += [(lo, hi, True), (m, hi, False), (lo, m, False)]
    return built[0]


class _Parser(TokenStream):
    """Recursive descent; every method returns ``(formula, height)``. Recursion follows
    nesting only (parentheses, ``not``, ``->``: at most ``max_depth`` levels); chains of
    ``<->``, ``|``, ``&`` are loops joined by :func:`chain`."""

    def kind(self) -> str:
        tok = self.peek
        if tok.kind == "NAME":
            return _KEYWORDS.get(tok.text.lower(), "NAME")
        return tok.kind

    def formula(self) -> Formula:
        f, _ = self.iff()
        if self.peek.kind != "EOF":
            tok = self.peek
            raise self.error(f"unexpected {self.describe(tok)}; is an operator or '(' missing?")
        return f

    def iff(self) -> tuple[Formula, Height]:
        self.enter()
        items = [self.imp()]
        while self.kind() == "IFF":  # associative, so any grouping means the same
            self.next()
            items.append(self.imp())
        self.leave()
        return chain("iff", items)

    def imp(self) -> tuple[Formula, Height]:
        f, h = self.disj()
        if self.kind() == "IMP":
            self.next()
            self.enter()
            g, hg = self.imp()  # right-associative (and not associative: no chain)
            self.leave()
            return ("imp", f, g), max(h, hg) + 1
        return f, h

    def disj(self) -> tuple[Formula, Height]:
        items = [self.conj()]
        while self.kind() == "OR":
            self.next()
            items.append(self.conj())
        return chain("or", items)

    def conj(self) -> tuple[Formula, Height]:
        items = [self.neg()]
        while self.kind() == "AND":
            self.next()
            items.append(self.neg())
        return chain("and", items)

    def neg(self) -> tuple[Formula, Height]:
        k = self.kind()
        if k == "NOT":
            self.next()
            self.enter()
            f, h = self.neg()
            self.leave()
            return ("not", f), h + 1
        tok = self.next()
        if k == "NAME":
            return ("var", tok.text), 0
        if k == "TRUE":
            return ("const", True), 0
        if k == "FALSE":
            return ("const", False), 0
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
# Possessive quantifiers (*+): a long run of blanks that fails to match would
# otherwise be split every possible way between neighbouring \s* (quadratic).
_L = r"\s*+(~?)\s*+([A-Za-z_][A-Za-z0-9_]*+)\s*+"
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


_SYM = {"and": " & ", "or": " | ", "iff": " <-> "}
_PREC = {"iff": 1, "imp": 2, "or": 3, "and": 4}


def height(f: Formula, memo: dict[int, Height] | None = None) -> Height:
    """Edges on the longest root-to-leaf path of ``f``. Iterative; ``memo`` (``id`` of a
    subformula → its height) is filled as a side effect, and may be passed again while
    the formulas it describes are alive (an ``id`` is reused once its object is gone)."""
    memo = {} if memo is None else memo
    todo = [f]
    while todo:
        g = todo[-1]
        if id(g) in memo:
            todo.pop()
        elif g[0] == "var" or g[0] == "const":
            memo[id(g)] = 0
            todo.pop()
        else:
            missing = [k for k in g[1:] if id(k) not in memo]
            if missing:
                todo += missing
            else:
                memo[id(g)] = 1 + max(memo[id(k)] for k in g[1:])
                todo.pop()
    return memo[id(f)]


def _flat_operands(f: Formula, memo: dict[int, Height]) -> list[Formula] | None:
    """The operands of the ``f[0]``-chain at ``f``, when :func:`chain` builds exactly ``f``
    from them (so that they can be printed flat), else None."""
    op = f[0]
    operands = []
    todo = [f]
    while todo:
        g = todo.pop()
        if g[0] == op:
            todo += (g[2], g[1])
        else:
            operands.append(g)
    if len(operands) == 2:
        return operands
    rebuilt, _ = chain(op, [(g, height(g, memo)) for g in operands])
    pairs = [(rebuilt, f)]  # the same op nodes in the same places, the very same operands
    while pairs:
        a, b = pairs.pop()
        if a is not b:
            if a[0] != op or b[0] != op:
                return None
            pairs += ((a[1], b[1]), (a[2], b[2]))
    return operands


def formula_to_text(f: Formula) -> str:
    """Render a formula in the premise language, with only the needed parentheses.

    ``parse_formula(formula_to_text(f)) == f`` for every formula: a chain of ``&``,
    ``|`` or ``<->`` is printed flat where the parser builds that very tree from the
    flat text (see :func:`chain`), else with the parentheses that force its shape.
    Iterative, so any depth is fine; time O(size × height), and parsed formulas are
    shallow (see :func:`chain`).
    """
    out: list[str] = []
    memo: dict[int, Height] = {}
    todo: list = [(f, 0)]  # text to emit, or (subformula, precedence of its context)
    while todo:
        item = todo.pop()
        if type(item) is str:
            out.append(item)
            continue
        g, parent = item
        tag = g[0]
        if tag == "var":
            out.append(g[1])
        elif tag == "const":
            out.append("true" if g[1] else "false")
        elif tag == "not":
            out.append("~")
            todo.append((g[1], 5))
        else:
            p = _PREC[tag]
            if tag == "imp":  # right-associative: parenthesise a left operand of equal precedence
                parts: list = [(g[1], p + 1), " -> ", (g[2], p)]
            else:  # a chain: an operand of the same op is parenthesised, so it stays one
                operands = _flat_operands(g, memo) or [g[1], g[2]]
                parts = [(operands[0], p + 1)]
                for h in operands[1:]:
                    parts += (_SYM[tag], (h, p + 1))
            if p < parent:
                parts = ["(", *parts, ")"]
            todo += reversed(parts)
    return "".join(out)


_EVAL, _NEGATE, _LEFT_DONE, _IFF_DONE = range(4)  # steps of evaluate's explicit stack


def evaluate(f: Formula, assignment: dict[str, bool]) -> bool:
    """Truth value of ``f`` under ``assignment`` (every atom must be assigned).

    Iterative, and short-circuiting like Python's ``and``/``or``: an atom on a side
    that is never needed may be missing from ``assignment``.
    """
    todo: list[tuple[int, object]] = [(_EVAL, f)]
    values: list[bool] = []
    while todo:
        step, g = todo.pop()
        if step == _EVAL:
            tag = g[0]
            if tag == "var":
                values.append(assignment[g[1]])
            elif tag == "const":
                values.append(g[1])
            elif tag == "not":
                todo += ((_NEGATE, None), (_EVAL, g[1]))
            else:
                todo += ((_LEFT_DONE, g), (_EVAL, g[1]))
        elif step == _NEGATE:
            values[-1] = not values[-1]
        elif step == _LEFT_DONE:  # the left value of g is on top: decide, or go right
            tag, a = g[0], values.pop()
            if tag == "iff":
                todo += ((_IFF_DONE, a), (_EVAL, g[2]))
            elif a != (tag == "or"):  # and, imp: a true leaves it to the right; or: a false
                todo.append((_EVAL, g[2]))
            else:  # decided by the left: and → False; or, imp → True
                values.append(tag != "and")
        else:  # _IFF_DONE: g is the left value, the right one is on top
            values[-1] = values[-1] == g
    return values[0]
