"""Parser for linear equations in the premise language.

Grammar (``*`` may be left out between a number and a name or ``(``)::

    equation := expr "=" expr
    expr     := term (("+" | "-") term)*
    term     := factor (("*" | "/") factor | factor)*
    factor   := ("+" | "-") factor | NUMBER | NAME | "(" expr ")"
    NUMBER   := digits ["." digits] | "." digits
    NAME     := [A-Za-z_][A-Za-z0-9_]*

Linear by construction: ``*`` needs a constant on one side, ``/`` a non-zero
constant divisor; ``a*b`` is a parse error that says so. Values are exact
:class:`fractions.Fraction` throughout. The result is the equation moved into
the form ``sum(coeffs[x] * x) = rhs``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from verifier.errors import LimitExceeded, ParseError, excerpt
from verifier.lang.lexer import NAME_RE, TokenStream, tokenize
from verifier.limits import DEFAULT_LIMITS, Limits

_TOKEN = re.compile(
    r"(?P<WS>\s+)|(?P<NUM>\d+(?:\.\d+)?|\.\d+)|(?P<NAME>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<OP>[-+*/=()])|(?P<BAD>\*\*|\^)"
)

# A linear form: ({name: coefficient}, constant)
Lin = tuple[dict[str, Fraction], Fraction]


@dataclass(frozen=True)
class LinearEquation:
    """``sum(c * x for x, c in coeffs) = rhs`` with exact rational numbers.

    ``coeffs`` is sorted by name and holds no zero coefficients.
    """

    coeffs: tuple[tuple[str, Fraction], ...]
    rhs: Fraction
    text: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.coeffs)

    def evaluate(self, values: dict[str, Fraction]) -> Fraction:
        """Left side minus right side under ``values`` (0 when the equation holds)."""
        return sum((c * values[n] for n, c in self.coeffs), Fraction(0)) - self.rhs

    def canonical(self) -> str:
        """A text form that is equal for equal equations (used for hashing)."""
        lhs = " + ".join(f"{c}*{n}" for n, c in self.coeffs) or "0"
        return f"{lhs} = {self.rhs}"


def _names_excerpt(names: dict[str, Fraction], most: int = 3) -> str:
    """At most ``most`` names, each cut short: an error message stays small."""
    shown = sorted(names)[:most]
    text = ", ".join(n if len(n) <= 60 else excerpt(n) for n in shown)
    return text + (f" and {len(names) - most} more" if len(names) > most else "")


class _Parser(TokenStream):
    def check_bits(self, q: Fraction, col: int) -> Fraction:
        if max(q.numerator.bit_length(), q.denominator.bit_length()) > self.limits.max_number_bits:
            raise LimitExceeded(
                f"column {col}: a number grows past {self.limits.max_number_bits} bits"
            )
        return q

    def equation(self) -> Lin:
        left = self.expr()
        tok = self.next()
        if tok.text != "=":
            if tok.kind == "EOF":
                raise self.error("expected '=': a premise is one equation `<expr> = <expr>`", tok)
            raise self.error(f"expected '=' or an operator, found {self.describe(tok)}", tok)
        right = self.expr()
        tok = self.peek
        if tok.kind != "EOF":
            what = "second '='" if tok.text == "=" else self.describe(tok)
            raise self.error(f"unexpected {what} after the equation", tok)
        coeffs = left[0]  # owned by this call (see expr)
        for name, c in right[0].items():
            coeffs[name] = coeffs.get(name, Fraction(0)) - c
        return coeffs, right[1] - left[1]

    def expr(self) -> Lin:
        self.enter()
        # term() always hands back a dict nobody else holds, so the sum is built in place:
        # copying it per term made a 5,000-term sum quadratic.
        coeffs, const = self.term()
        while self.peek.text in ("+", "-"):
            op = self.next()
            rhs = self.term()
            sign = 1 if op.text == "+" else -1
            for name, c in rhs[0].items():
                coeffs[name] = self.check_bits(coeffs.get(name, Fraction(0)) + sign * c, op.col)
            const = self.check_bits(const + sign * rhs[1], op.col)
        self.leave()
        return coeffs, const

    def term(self) -> Lin:
        acc = self.factor()
        while True:
            tok = self.peek
            if tok.text in ("*", "/"):
                self.next()
                rhs = self.factor()
                acc = self.mul(acc, rhs, tok) if tok.text == "*" else self.div(acc, rhs, tok)
            elif tok.kind == "BAD":
                raise self.error("powers are not part of the linear premise language", tok)
            elif tok.kind in ("NAME", "NUM") or tok.text == "(":
                # implicit multiplication: "2a", "3(a + b)"; "a b" fails in mul() as non-linear
                if tok.kind == "NUM":
                    raise self.error("two numbers in a row; is an operator missing?", tok)
                acc = self.mul(acc, self.factor(), tok)
            else:
                return acc

    def factor(self) -> Lin:
        tok = self.next()
        if tok.text in ("+", "-"):
            self.enter()
            inner = self.factor()
            self.leave()
            if tok.text == "+":
                return inner
            return {n: -c for n, c in inner[0].items()}, -inner[1]
        if tok.kind == "NUM":
            digits = len(tok.text) - ("." in tok.text)
            if digits > self.limits.max_number_digits:
                raise LimitExceeded(
                    f"column {tok.col}: number has {digits} digits; the limit is "
                    f"{self.limits.max_number_digits}"
                )
            return {}, self.check_bits(Fraction(tok.text), tok.col)
        if tok.kind == "NAME":
            return {tok.text: Fraction(1)}, Fraction(0)
        if tok.text == "(":
            inner = self.expr()
            close = self.next()
            if close.text != ")":
                raise self.error(f"expected ')' to close the '(' at column {tok.col}, "
                                 f"found {self.describe(close)}", close)
            return inner
        if tok.kind == "BAD":
            raise self.error("powers are not part of the linear premise language", tok)
        raise self.error(f"expected a number, a name or '(', found {self.describe(tok)}", tok)

    def mul(self, a: Lin, b: Lin, tok) -> Lin:
        if a[0] and b[0]:
            raise self.error(
                f"non-linear term: product of two expressions with unknowns "
                f"({_names_excerpt(a[0])} and {_names_excerpt(b[0])})", tok)
        if b[0]:
            a, b = b, a
        k = b[1]
        return ({n: self.check_bits(c * k, tok.col) for n, c in a[0].items()},
                self.check_bits(a[1] * k, tok.col))

    def div(self, a: Lin, b: Lin, tok) -> Lin:
        if b[0]:
            raise self.error("non-linear term: division by an expression with unknowns", tok)
        if b[1] == 0:
            raise self.error("division by zero", tok)
        k = b[1]
        return ({n: self.check_bits(c / k, tok.col) for n, c in a[0].items()},
                self.check_bits(a[1] / k, tok.col))


# Fast path for the common flat form "3*a + b - 7 = 2c + 4": sums of integer
# terms, no parentheses, division or decimals. It is taken only when the whole
# text matches, and yields exactly what the full parser yields (a test checks).
# Possessive quantifiers and atomic groups (*+, ?+, (?>...)) stop the regex
# from backtracking: with plain ones a 20,000-character run of blanks that
# fails to match took 10 s (quadratic). No match is lost: what follows each
# possessive piece (a name, a sign, '=' or the end) never starts with what it
# would have given back.
_T = r"(?>(?:\d{1,18}+\s*+\*?\s*+)?+[A-Za-z_][A-Za-z0-9_]*+|\d{1,18}+)"
_SIDE = rf"\s*+[+-]?\s*+{_T}(?:\s*+[+-]\s*+{_T})*+\s*+"
_FLAT = re.compile(rf"{_SIDE}={_SIDE}\Z")
_FLAT_TERM = re.compile(r"([+-]?)\s*(\d*)\s*\*?\s*([A-Za-z_][A-Za-z0-9_]*|\d+)")
_SMALL = {i: Fraction(i) for i in range(-1024, 1025)}  # shared immutable small values


def _fraction(i: int) -> Fraction:
    f = _SMALL.get(i)
    return f if f is not None else Fraction(i)


def _parse_flat(text: str) -> tuple[dict[str, int], int]:
    left, right = text.split("=")
    coeffs: dict[str, int] = {}
    const = 0
    for side, sign in ((left, 1), (right, -1)):
        for tsign, num, tok in _FLAT_TERM.findall(side):
            if tok[0].isdigit():  # a constant; the validator allows no gap inside it
                c = int(num + tok)
                const += sign * c if tsign == "-" else -sign * c
            else:
                c = int(num) if num else 1
                coeffs[tok] = coeffs.get(tok, 0) + (-sign * c if tsign == "-" else sign * c)
    return coeffs, const


def parse_linear_equation(text: str, limits: Limits = DEFAULT_LIMITS) -> LinearEquation:
    """Parse one premise ``<expr> = <expr>`` into a :class:`LinearEquation`."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) <= limits.max_text_chars and limits.max_number_digits >= 18 \
            and _FLAT.match(text):
        icoeffs, iconst = _parse_flat(text)
        items = tuple(sorted((n, _fraction(c)) for n, c in icoeffs.items() if c))
        return LinearEquation(items, _fraction(iconst), text)
    p = _Parser(text, tokenize(text, _TOKEN, limits), limits)
    coeffs, rhs = p.equation()
    items = tuple(sorted((n, c) for n, c in coeffs.items() if c != 0))
    return LinearEquation(items, rhs, text)


def parse_linear_name(text: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """A linear query is one name; surrounding blanks are allowed.

    Bounded like a premise (``limits.max_text_chars``); the error quotes only an excerpt.
    """
    if not isinstance(text, str):
        raise ParseError(f"a linear query is one name like `pizza` or `x_1`, "
                         f"got {type(text).__name__}")
    if len(text) > limits.max_text_chars:
        raise LimitExceeded(f"the linear query is {len(text)} characters long; the limit is "
                            f"{limits.max_text_chars}")
    name = text.strip()
    if not NAME_RE.match(name):
        raise ParseError(
            f"a linear query is one name like `pizza` or `x_1`, got {excerpt(text)}", text,
            1 if text else None)
    return name
