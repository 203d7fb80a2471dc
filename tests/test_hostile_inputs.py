"""Hostile premises inside the documented limits (``verifier/limits.py``): every one gets an
answer or an :class:`HonestError`, never a RecursionError, a runaway regex or an error
message that echoes the whole input. Then property-based fuzzing of both premise parsers.

The hypothesis tests stay under 300 examples each; CI runs them derandomized
(``tests/conftest.py``).
"""

import json
import pickle
import string
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.engines.logic import check_certificate as check_logic_certificate
from verifier.errors import HonestError, LimitExceeded, ParseError
from verifier.lang.lexer import tokenize
from verifier.lang.linear import _TOKEN as LINEAR_TOKEN
from verifier.lang.linear import parse_linear_equation, parse_linear_name
from verifier.lang.logic import _TOKEN as LOGIC_TOKEN
from verifier.lang.logic import (atoms_of, chain, evaluate, formula_to_text, height,
                                 parse_formula)
from verifier.limits import DEFAULT_LIMITS, Limits
from verifier.problem import Problem, solve

from test_oracle_logic import atom_masks, table

MAX_CHARS = DEFAULT_LIMITS.max_text_chars
# formula_to_text adds blanks around operators: re-parse its output of a 20,000-character
# premise with room to spare (the depth limit stays the default)
ROOMY = Limits(max_text_chars=10 * MAX_CHARS)


def fill(unit: str, sep: str, tail: str = "", total: int = MAX_CHARS) -> str:
    """As many copies of ``unit`` joined by ``sep`` as fit in ``total`` characters."""
    n = (total - len(tail) + len(sep)) // (len(unit) + len(sep))
    return sep.join([unit] * n) + tail


def short_names(n: int) -> list[str]:
    """``n`` distinct names of 1-3 characters (no keyword): 5,000 of them fit in one premise."""
    first = string.ascii_letters + "_"
    rest = first + string.digits
    names = list(first) + [a + b for a in first for b in rest]
    names += [a + b + c for a in first for b in rest for c in rest]
    return [x for x in names if x.lower() not in ("or", "and", "not")][:n]


def nested(level, depth: int, inner: str = "a") -> str:
    text = inner
    for _ in range(depth):
        text = level(text)
    return text


def worst_chains(text: str) -> str:
    """One level of the deepest shape a search found (445 levels for 63 of them): a
    group inside an ``&`` chain inside an ``|`` chain, left of a ``->``, inside an
    ``<->`` chain; each chain adds ~2 levels, the ``->`` one."""
    group = "&".join(["a"] * 14 + [f"({text})"] + ["a"] * 18)
    group = "|".join(["a"] * 5 + [group] + ["a"] * 3) + "->a&a"
    return "↔".join(["a"] * 1 + [group] + ["a"] * 1)


# ---------------------------------------------------------------- deep and long logic premises

LOGIC_WORST_CASES = {
    "and chain": fill("a", "&"),
    "or chain": fill("a", "|"),
    "iff chain": fill("a", "↔"),
    "ascii iff chain": fill("a", "<->"),
    "distinct and chain": "&".join(short_names(5000)),
    "distinct iff chain": "<->".join(short_names(3500)),
    "mixed chain": fill("a&b|c", "<->"),
    "chain in 63 parentheses": "(" * 63 + fill("a", "&", total=MAX_CHARS - 126) + ")" * 63,
    "chains at every level": nested(worst_chains, 63),
    "not at the limit": "~" * 63 + "a",
    "imp at the limit": "a -> " * 63 + "a",
    "imp of chains at the limit": "->".join(["a&a&a|a|a"] * 64),
    "chains under nots": nested(lambda t: "~(" + "|".join(["a"] * 50 + [t]) + ")", 31),
}


@pytest.mark.parametrize("label", LOGIC_WORST_CASES)
def test_logic_worst_cases_solve_and_stay_shallow(label):
    text = LOGIC_WORST_CASES[label]
    assert len(text) <= MAX_CHARS
    sol = solve(Problem.make("logic", [text], "a"))  # a RecursionError before chains were balanced
    f, query = parse_formula(text), ("var", "a")
    assert check_logic_certificate([f], query, sol)
    # shallow enough for code that recurses (tuple ==, pickle: ~1,000 levels at most)
    assert height(f) <= 500
    assert pickle.loads(pickle.dumps(f)) == f
    assert parse_formula(formula_to_text(f), ROOMY) == f
    assert evaluate(f, {x: len(x) % 2 == 1 for x in atoms_of(f)}) in (True, False)


def test_logic_worst_cases_past_the_limits_are_refused():
    for text in ("a -> " * 64 + "a", "~" * 64 + "a", "(" * 64 + "a" + ")" * 64,
                 nested(worst_chains, 64), fill("a", "&", total=MAX_CHARS + 2)):
        with pytest.raises(LimitExceeded):
            solve(Problem.make("logic", [text], "a"))


# ---------------------------------------------------------------- long and deep linear premises

LINEAR_WORST_CASES = {
    "5,000 distinct terms": "+".join(short_names(5000)) + " = 1",
    "5,000 terms, full parser": "+".join(short_names(5000)) + " = (1)",
    "5,000 scaled terms": "-".join(f"2{n}" for n in short_names(4000)) + " = 1/2",
    "parentheses at the limit": "(" * 63 + "a" + ")" * 63 + " = 1",
    "unary minus at the limit": "-" * 63 + "a = 1",
    "nested negations": nested(lambda t: f"-({t})", 31) + " = b",
    "long sum in parentheses": "(" * 60 + fill("a", "+", total=MAX_CHARS - 130) + ")" * 60 + " = 1",
}


@pytest.mark.parametrize("label", LINEAR_WORST_CASES)
def test_linear_worst_cases_solve(label):
    text = LINEAR_WORST_CASES[label]
    assert len(text) <= MAX_CHARS
    sol = solve(Problem.make("linear", [text], "a"))
    assert sol.status in ("determined", "undetermined", "inconsistent")


def test_linear_worst_cases_past_the_limits_are_refused():
    for text in ("(" * 64 + "a" + ")" * 64 + " = 1", "-" * 64 + "a = 1",
                 "+".join(short_names(5000)) + " = " + "1" * 5000):
        with pytest.raises(LimitExceeded):
            parse_linear_equation(text)


# ---------------------------------------------------------------- regexes that do not backtrack

@pytest.mark.parametrize("parse,text", [
    (parse_formula, " " * 19_990 + "#"),
    (parse_formula, "a ->" + " " * 19_990 + "#"),
    (parse_linear_equation, " " * 19_990 + "#"),
    (parse_linear_equation, "a = " + " " * 19_990 + "#"),
    (parse_linear_equation, "1" + " " * 19_990 + "#"),
    (parse_linear_equation, fill("a", " + ", tail=" = b +")),
])
def test_flat_fast_path_regexes_stay_linear(parse, text):
    # the flat fast paths' regexes took 1-10 s on these (quadratic backtracking)
    start = time.perf_counter()
    with pytest.raises(ParseError):
        parse(text)
    assert time.perf_counter() - start < 1


# ---------------------------------------------------------------- bounded error messages

def hostile_problems():
    names = short_names(3000)
    long_name = "x" * 19_990
    yield "logic", ["a " + long_name], "a"
    yield "logic", ["a & " + long_name[:9000] + " " + long_name[:9000]], "a"
    yield "logic", ["(a " + long_name], "a"
    yield "logic", ["&" + long_name], "a"
    yield "logic", ["a"], "a " + long_name
    yield "logic", ["a " + "\x00" * 19_000], "a"
    yield "logic", ["a" * (MAX_CHARS + 1)], "a"
    yield "linear", ["a = b " + long_name[:-10] + " c"], "a"
    yield "linear", ["(" + "+".join(names) + ")*(" + "+".join(names[:1000]) + ") = 1"], "a"
    yield "linear", [long_name + " = 1 = 2"], "a"
    yield "linear", ["a = (" + long_name], "a"
    yield "linear", ["a = 1" + "$" * 19_000], "a"
    yield "linear", ["a = 1"], "1" + long_name
    yield "linear", ["a = 1"], "!" * 10_000_000  # a 10 MB query
    yield "linear", ["a = 1"], "x" * 1_000_000  # a 1 MB name: over the limit, not stored


@pytest.mark.parametrize("domain,premises,query", list(hostile_problems()))
def test_error_messages_stay_short(domain, premises, query):
    with pytest.raises(HonestError) as e:
        solve(Problem.make(domain, premises, query))
    assert len(e.value.message) <= 1000
    assert len(json.dumps(e.value.to_dict())) <= 1200


# ---------------------------------------------------------------- fuzzing: never anything else

PIECES = ["&", "&&", "∧", "and", "|", "||", "∨", "or", "->", "=>", "→", "<->", "<=>", "↔",
          "~", "¬", "!", "not", "NOT", "true", "false", "(", ")", "a", "b1", "_x", "Or",
          "=", "+", "-", "*", "/", "**", "^", "0", "1", "0.5", ".5", "3.", "1/0",
          "12345678901234567890123456789012345678901", " ", "\t", "\n", "\x00", "\u00a0",
          "\u2003", "é", "𝑥", "١٢", "\ufeff", "\ud800", "<", ">", "$"]
RUNS = ["(", ")", "~", "-", " ", "a", "1", "&", "a&", "a|", "a<->", "(a|", "-(", "a+", "9",
        "a->", "2*", "!"]

hostile_text = st.lists(st.one_of(
    st.sampled_from(PIECES),
    st.text(max_size=6),
    st.builds(lambda s, n: s * n, st.sampled_from(RUNS), st.integers(0, MAX_CHARS // 2)),
), max_size=10).map("".join)


@settings(max_examples=300)
@given(hostile_text)
def test_parsers_answer_or_raise_honest_errors(text):
    for parse in (parse_formula, parse_linear_equation, parse_linear_name):
        try:
            parse(text)
        except HonestError as e:
            assert len(e.message) <= 1000


@settings(max_examples=150)
@given(hostile_text)
def test_solve_answers_or_raises_honest_errors(text):
    for domain in ("logic", "linear"):
        try:
            solve(Problem.make(domain, [text, "a = 1" if domain == "linear" else "a"], "a"))
        except HonestError:
            pass


# ---------------------------------------------------------------- fuzzing: printer and parser

ATOMS6 = [f"p{i}" for i in range(6)]


def build_chain(args):
    op, parts, shape = args
    if shape == "parser":
        return chain(op, [(f, height(f)) for f in parts])[0]
    f = parts[0] if shape == "left" else parts[-1]
    for g in parts[1:] if shape == "left" else reversed(parts[:-1]):
        f = (op, f, g) if shape == "left" else (op, g, f)
    return f


leaf = st.one_of(st.sampled_from(ATOMS6).map(lambda a: ("var", a)),
                 st.sampled_from([("const", True), ("const", False)]))
trees = st.recursive(leaf, lambda sub: st.one_of(
    sub.map(lambda f: ("not", f)),
    st.tuples(st.sampled_from(["and", "or", "imp", "iff"]), sub, sub),
    st.tuples(st.sampled_from(["and", "or", "iff"]), st.lists(sub, min_size=3, max_size=9),
              st.sampled_from(["left", "right", "parser"])).map(build_chain),
), max_leaves=40)


@settings(max_examples=300)
@given(trees)
def test_printed_formulas_parse_back_to_equivalent_formulas(f):
    g = parse_formula(formula_to_text(f))
    full, masks = atom_masks(len(ATOMS6))
    env = dict(zip(ATOMS6, masks))
    assert table(g, env, full) == table(f, env, full)  # equivalent (truth table, 6 atoms)
    assert g == f  # and even the same tree


@settings(max_examples=200)
@given(trees)
def test_evaluate_matches_truth_tables(f):
    full, masks = atom_masks(len(ATOMS6))
    rows = table(f, dict(zip(ATOMS6, masks)), full)
    for r in range(1 << len(ATOMS6)):
        assignment = {a: bool(r >> i & 1) for i, a in enumerate(ATOMS6)}
        assert evaluate(f, assignment) == bool(rows >> r & 1)


SPELLINGS = {"AND": ["&", "&&", "∧", "and", "AND"], "OR": ["|", "||", "∨", "or", "Or"],
             "IMP": ["->", "=>", "→"], "IFF": ["<->", "<=>", "↔"],
             "NOT": ["~", "¬", "!", "not"]}
BLANKS = ["", "", " ", "  ", "\t", "\n", "\u00a0", "\u2003 "]


def respace(tokens: list[str], pattern, draw) -> str:
    """Join tokens with drawn blanks; a pair that would merge without one keeps a blank."""
    out = [draw(st.sampled_from(BLANKS))]
    for i, tok in enumerate(tokens):
        if i:
            gap = draw(st.sampled_from(BLANKS))
            pair = tokens[i - 1] + tok
            if not gap and [t.text for t in tokenize(pair, pattern, ROOMY)[:-1]] != \
                    [tokens[i - 1], tok]:
                gap = " "
            out.append(gap)
        out.append(tok)
    out.append(draw(st.sampled_from(BLANKS)))
    return "".join(out)


@settings(max_examples=300)
@given(trees, st.data())
def test_blanks_between_logic_tokens_do_not_change_the_parse(f, data):
    text = formula_to_text(f)
    tokens = []
    for tok in tokenize(text, LOGIC_TOKEN, ROOMY)[:-1]:
        spellings = SPELLINGS.get(tok.kind)
        tokens.append(data.draw(st.sampled_from(spellings)) if spellings else tok.text)
    assert parse_formula(respace(tokens, LOGIC_TOKEN, data.draw)) == parse_formula(text) == f


fractions = st.fractions(min_value=-500, max_value=500, max_denominator=40)


def decimal(q: Fraction) -> str | None:
    """``q >= 0`` as a decimal literal, where it has a finite one."""
    den, k = q.denominator, 0
    while den % 10 != 1 and k < 6:
        if den % 2 and den % 5:
            return None
        den, k = (den // 2 if den % 2 == 0 else den // 5), k + 1
    if den != 1:
        return None
    digits = q.numerator * 10 ** k // q.denominator
    return f"{digits // 10 ** k}.{digits % 10 ** k:0{k}d}" if k else str(digits)


def render_term(value: Fraction, name: str | None, form: int) -> tuple[str, str]:
    """(sign, text) of ``value * name`` (a constant when ``name`` is None)."""
    a = abs(value)
    n, d = a.numerator, a.denominator
    dec = decimal(a)
    if name is None:
        forms = [f"{n}/{d}", f"({n}/{d})", f"{n}/({d})", dec or f"{n}/{d}"]
    else:
        forms = [f"{n}/{d}*{name}", f"{name}*{n}/{d}", f"{n}{name}/{d}", f"({n}/{d})({name})",
                 f"{dec}*{name}" if dec else f"{n}*({name}/{d})", f"{n}*{name}/{d}"]
    return ("-" if value < 0 else "+"), forms[form % len(forms)]


def render_side(terms: list[tuple[str, str]]) -> str:
    if not terms:
        return "0"
    sign, text = terms[0]
    out = ("-" if sign == "-" else "") + text
    for sign, text in terms[1:]:
        out += f" {sign} {text}"
    return out


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(["x", "y", "z_1", "dish", "A"]), fractions, max_size=5),
       fractions, st.data())
def test_rendered_linear_equations_parse_to_their_coefficients(coeffs, rhs, data):
    # sum(coeffs[x] * x) - rhs = 0, each term maybe split in two, each piece on either side
    pieces = []
    for name, c in [*coeffs.items(), (None, -rhs)]:
        part = data.draw(st.one_of(st.none(), fractions))
        pieces += [(name, c)] if part is None else [(name, part), (name, c - part)]
    sides: tuple[list, list] = ([], [])
    for name, v in data.draw(st.permutations(pieces)):
        right = data.draw(st.booleans())
        form = data.draw(st.integers(0, 5))
        sides[right].append(render_term(-v if right else v, name, form))
    text = f"{render_side(sides[0])} = {render_side(sides[1])}"
    eq = parse_linear_equation(text)
    assert dict(eq.coeffs) == {n: c for n, c in coeffs.items() if c} and eq.rhs == rhs, text
    tokens = [t.text for t in tokenize(text, LINEAR_TOKEN, ROOMY)[:-1]]
    respaced = parse_linear_equation(respace(tokens, LINEAR_TOKEN, data.draw))
    assert (respaced.coeffs, respaced.rhs) == (eq.coeffs, eq.rhs)
