"""Reading a completion's lines into claims: cleaning, sentence and piece splitting, and the
linear (GraphLA) and logic (GraphLI) claim patterns.

:class:`ClaimReader` turns one line into ``(text, Claim)`` pairs; it decides nothing about
truth (that is :mod:`verifier.steps.facts`). The recognised shapes, and what is never read
as a claim, are listed in the docstring of :mod:`verifier.steps`; change both together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, TypeVar

from verifier.errors import ParseError
from verifier.grading import interpret_answer
from verifier.lang.linear import LinearEquation, parse_linear_equation
from verifier.lang.logic import Formula, atoms_of, formula_to_text, parse_formula
from verifier.limits import Limits
from verifier.solution import format_number
from verifier.tasks import graphla, graphli

#: claim kinds, see the docstring of verifier.steps
KINDS = ("value", "relation", "arithmetic", "unknown", "unproven")
#: lines, pieces and claim statuses remembered per StepChecker (each cleared when full)
MEMO_ENTRIES = 20_000

_T = TypeVar("_T")


def remembered(memo: dict, key: Any, compute: Callable[..., _T], *args: Any) -> _T:
    """``memo[key]``, set to ``compute(*args)`` on first use; a full memo is cleared first
    (completions of one prompt repeat lines, pieces and claims a lot)."""
    got = memo.get(key)
    if got is None:
        if len(memo) >= MEMO_ENTRIES:
            memo.clear()
        got = memo[key] = compute(*args)
    return got


@dataclass(frozen=True)
class Claim:
    """One claim as read: ``kind`` is one of :data:`KINDS`; ``payload`` is what the facts
    check (a linear equation, a formula, or the name a claim says is unknown)."""

    kind: str
    text: str  # normalised
    payload: Any  # LinearEquation | Formula | name


_ANSWER_LINE = re.compile(r"^[ \t>*#_]*(?:final[ \t]+)?answer[ \t*_]*:", re.I)
_FINAL_MARK = re.compile(r"\\boxed\s*\{|<answer>", re.I)
_MARKUP = re.compile(r"\*\*|__|`")
_BULLET = re.compile(r"^\s*(?:[-*•>]+\s+|\d{1,3}[.)]\s+)")
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")
_ASIDE = re.compile(r"\(([A-Za-z][A-Za-z ,'-]{0,80})\)")
_ASIDE_WORDS = {"given", "premise", "fact", "stated", "derived", "assumed", "known"}
_SENTENCE_END = re.compile(r"[.!:](?=\s|$)|[;?]")
_PIECE = re.compile(r",\s+")
_AND = re.compile(r"\s+and\s+", re.I)
_LEAD = re.compile(
    r"^(?:(?:so|thus|hence|therefore|then|and|since|because|as|with|now|also|finally|next|"
    r"from|given|by|clearly|which means|this means|that means|meaning|it follows that|"
    r"we get|we have|we know|we find|we obtain|this gives|giving|i\.e\.|note that|"
    r"recall that|substituting|that|ok|okay)\b[\s,]*)+", re.I)
_TRAIL = re.compile(r"(?:[\s,]+(?:too|as well|as required|as expected|as given|as stated))+$"
                    r"|[\s,.]+$", re.I)
#: a sentence holding one of these (and not recognised as a whole) asserts nothing
_GUARD = re.compile(r"\b(?:if|suppose|supposing|assume|assuming|would|maybe|perhaps|might|"
                    r"possibly|probably|unless|otherwise|let|let's|hypothetically|guess|"
                    r"either|were|or(?!\s+not\b))\b", re.I)

_NUM = r"[-+]?\s*\$?\s*[-+]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:\s*/\s*\d+(?:\.\d+)?)?"
_VAL = rf"(?P<v>{_NUM}|\\[dt]?frac\{{\d+\}}\{{\d+\}})(?:\s*(?:dollars?|usd|bucks))?(?:\s+each)?"
_ART = r"(?:(?:a|an|one|the|each|1)\s+)?"
_X = r"(?P<{g}>[A-Za-z_][A-Za-z0-9_]*(?: [a-z]+){{0,3}})"
_CANNOT = r"(?:cannot|can\s*not|can't|could\s+not|couldn't)"
_LA_VALUE = [re.compile(p, re.I) for p in (
    rf"(?:the\s+)?(?:price|cost)\s+of\s+{_ART}{_X.format(g='x')}\s+(?:is|was|=|comes\s+to|:)"
    rf"\s*{_VAL}",
    rf"{_ART}{_X.format(g='x')}(?:'s)?\s+(?:price|cost)\s+(?:is|=)\s*{_VAL}",
    rf"{_ART}{_X.format(g='x')}\s+(?:costs|cost|is|was|comes\s+to|is\s+priced\s+at|sells\s+for)"
    rf"\s*{_VAL}",
)]
_LA_UNKNOWN = [re.compile(p, re.I) for p in (
    rf"(?:the\s+)?(?:price|cost)\s+of\s+{_ART}{_X.format(g='x')}\s+{_CANNOT}\s+be\s+"
    r"(?:determined|found|computed|known|worked\s+out)",
    rf"(?:the\s+)?(?:price|cost)\s+of\s+{_ART}{_X.format(g='x')}\s+is\s+"
    r"(?:unknown|undetermined|not\s+determined|indeterminate|not\s+known)",
    rf"{_ART}{_X.format(g='x')}\s+(?:is\s+unknown|is\s+undetermined|{_CANNOT}\s+be\s+determined)",
    rf"(?:no|none\s+of\s+the)\s+facts?\s+(?:gives?|states?|determines?)\s+the\s+(?:price|cost)"
    rf"\s+of\s+{_ART}{_X.format(g='x')}(?:,?\s*which\s+is\s+needed)?",
    rf"(?:we|i)\s+{_CANNOT}\s+(?:determine|find|compute|know)\s+(?:the\s+(?:price|cost)\s+of\s+)?"
    rf"{_ART}{_X.format(g='x')}",
    rf"the\s+price\s+of\s+{_ART}{_X.format(g='x')}\s+is\s+only\s+tied\s+to\s+the\s+price\s+of\s+"
    rf"{_ART}{_X.format(g='y')},?\s*which\s+no\s+fact\s+gives",
)]
_EQ_TEXT = re.compile(r"[\w\s.+\-*/()=]+")

#: "the cellar is (not) quiet": groups <g>s (subject), <g>n (negation), <g>a (adjective)
_LIT_RE = (r"(?:the\s+)?(?P<{g}s>[a-z]+(?: [a-z]+)?)\s+(?:is|are)(?P<{g}n>\s+not|n't)?"
           r"\s+(?P<{g}a>[a-z]+)")


def _lit(g: str) -> str:
    return _LIT_RE.format(g=g)


_LI_LIT = re.compile(_lit("l"), re.I)
_LI_TRUTH = re.compile(rf"it\s+is\s+(?P<neg>not\s+)?(?:true|the\s+case)\s+that\s+{_lit('l')}",
                       re.I)
_LI_FALSE = re.compile(rf"it\s+is\s+false\s+that\s+{_lit('l')}", re.I)
_LI_NAME = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?:is|=|:)\s*(?P<tv>true|false)",
                      re.I)
_LI_UNPROVEN = [re.compile(p, re.I) for p in (
    rf"(?:nothing|no\s+(?:fact|statement|premise|rule)s?)\s+(?:establishes|establish|shows|"
    rf"show|proves|prove|implies|imply|gives|give|says|say)\s+that\s+{_lit('l')}",
    rf"{_lit('l')}\s+is\s+not\s+(?:established|proven|proved|entailed)",
)]
_WHETHER = rf"whether\s+{_lit('l')}(?:\s+or\s+not)?"
_LI_UNKNOWN = [re.compile(p, re.I) for p in (
    rf"{_WHETHER}\s+(?:{_CANNOT}\s+be\s+(?:determined|known|decided|established)|is\s+unknown)",
    rf"(?:it\s+)?{_CANNOT}\s+be\s+(?:determined|decided|known)\s+{_WHETHER}",
    rf"(?:we|i)\s+{_CANNOT}\s+(?:determine|tell|decide|know)\s+{_WHETHER}",
    rf"no\s+(?:statement|fact|premise|rule)s?\s+leads?\s+to\s+{_WHETHER}",
)]
_FORMULA_TEXT = re.compile(r"[\w\s~!¬&|()<>\-=→↔∧∨]+")
_CONDITIONAL = re.compile(r"\b(?:if|either|or)\b", re.I)

#: dish words (singular and plural) → premise name
_DISH_WORDS = {w: key for key, pair in graphla.DISHES.items() for w in pair}
_ATOM_WORDS = {f"{s}_{a}" for s, a in graphli.ATOMS.values()}


def _clean_line(line: str) -> str:
    s = _MARKUP.sub("", line)
    s = _BULLET.sub("", s)
    s = s.replace("−", "-").replace("×", "*").replace("·", "*").replace("’", "'")
    s = _QUOTED.sub(" ", s)

    def aside(m: re.Match) -> str:
        inner = m.group(1).strip()
        return " " if " " in inner or inner.lower() in _ASIDE_WORDS else m.group(0)

    return _ASIDE.sub(aside, s)


def _strip(piece: str) -> str:
    return _TRAIL.sub("", _LEAD.sub("", piece.strip())).strip()


def _capitalized(s: str) -> str:
    return s[:1].upper() + s[1:]


def is_final_answer_line(line: str) -> bool:
    """The final-answer line (``Answer: ...``, ``\\boxed{``, ``<answer>``): graded, not
    audited."""
    return bool(_ANSWER_LINE.match(line) or _FINAL_MARK.search(line))


class ClaimReader:
    """Reads the claims of one problem's completions. ``names``: the names of its premises
    and query, which a claim may use besides the task's own dishes and atoms (see
    :meth:`_dish` and :meth:`_atom`)."""

    def __init__(self, domain: str, names: set[str], limits: Limits):
        self.domain = domain
        self.names = names
        self.limits = limits
        self._lines: dict[str, list[tuple[str, Claim]]] = {}
        self._pieces: dict[str, list[Claim]] = {}

    def line_claims(self, line: str) -> list[tuple[str, Claim]]:
        """The claims of one completion line, each with the text it was read from."""
        return remembered(self._lines, line, self._read_line, line)

    def _read_line(self, line: str) -> list[tuple[str, Claim]]:
        s = _clean_line(line)
        out: list[tuple[str, Claim]] = []
        start = 0
        for m in _SENTENCE_END.finditer(s + " "):
            sentence, start = s[start:m.start()], m.end()
            if m.group(0) != "?":  # a question asserts nothing
                out += self._sentence_claims(sentence)
        if start < len(s):
            out += self._sentence_claims(s[start:])
        return out

    def _sentence_claims(self, sentence: str) -> list[tuple[str, Claim]]:
        s = _strip(sentence)
        if not s:
            return []
        whole = self._whole_sentence(s)
        if whole:
            return [(s, c) for c in whole]
        if _GUARD.search(s):
            return []
        out = []
        for piece in _PIECE.split(s):
            p = _strip(piece)
            if p:
                out += [(p, c) for c in remembered(self._pieces, p, self._piece, p)]
        return out

    def _whole_sentence(self, s: str) -> list[Claim]:
        if self.domain == "linear":
            for rx in _LA_UNKNOWN:
                m = rx.fullmatch(s)
                if m:
                    names = [self._dish(m.group(g)) for g in ("x", "y") if g in rx.groupindex]
                    if all(names):
                        return [Claim("unknown", f"{n} = Unknown", n) for n in names]
            if len(s) <= 400 and not _GUARD.search(s):
                try:
                    rel = graphla.parse_sentence(_capitalized(s) + ".")
                except ParseError:
                    rel = None
                if rel is not None:
                    return self._equations([rel.premise()])
            return []
        if _CONDITIONAL.search(s) and len(s) <= 400:
            try:
                premise = graphli.parse_sentence(_capitalized(s) + ".")
            except ParseError:
                premise = None
            if premise is not None and premise.shape != "fact":
                f = premise.formula()
                return [Claim("relation", formula_to_text(f), f)]
        return []

    def _piece(self, p: str) -> list[Claim]:
        if self.domain == "linear":
            return self._linear_piece(p)
        got = self._logic_piece(p)
        if got:
            return got
        parts = _AND.split(p)  # "A and B": every part must be a claim, or none is read
        if len(parts) > 1:
            claims = [self._logic_piece(_strip(x)) for x in parts]
            if all(claims):
                return [c for cs in claims for c in cs]
        return []

    # linear pieces

    def _dish(self, x: str) -> str | None:
        x = x.strip()
        if x in self.names or x in graphla.DISHES:
            return x
        low = x.lower()
        key = _DISH_WORDS.get(low)
        if key is not None:
            return key
        low = low.replace(" ", "_")
        return low if low in self.names else None

    def _linear_piece(self, p: str) -> list[Claim]:
        for rx in _LA_UNKNOWN[:5]:
            m = rx.fullmatch(p)
            if m:
                name = self._dish(m.group("x"))
                if name:
                    return [Claim("unknown", f"{name} = Unknown", name)]
        if "=" in p:
            got = self._equation_chain(p)
            if got:
                return got
        for rx in _LA_VALUE:
            m = rx.fullmatch(p)
            if m:
                name = self._dish(m.group("x"))
                value = interpret_answer(m.group("v"))
                if name and value is not None and value.kind == "number":
                    eq = LinearEquation(((name, Fraction(1)),), value.value)
                    return [Claim("value", f"{name} = {format_number(value.value)}", eq)]
        return []

    def _equation_chain(self, p: str) -> list[Claim]:
        """``a = 2*5 + 1 = 11`` → one claim per ``=`` (``$`` and ``dollars`` dropped)."""
        text = re.sub(r"\s*\b(?:dollars?|usd)\b", "", p.replace("$", ""), flags=re.I)
        if not _EQ_TEXT.fullmatch(text):
            return []
        sides = text.split("=")
        if len(sides) > 8 or any(not x.strip() for x in sides):
            return []
        return self._equations([f"{a.strip()} = {b.strip()}" for a, b in zip(sides, sides[1:])])

    def _equations(self, texts: list[str]) -> list[Claim]:
        out = []
        for t in texts:
            try:
                eq = parse_linear_equation(t, self.limits)
            except ParseError:
                return []
            if any(n not in self.names and n not in graphla.DISHES for n, _ in eq.coeffs):
                return []  # a name from neither the problem nor the task: not read
            out.append(_linear_claim(eq, t))
        return out

    # logic pieces

    def _atom(self, m: re.Match, g: str) -> tuple[str, bool] | None:
        atom = f"{m.group(g + 's').lower().replace(' ', '_')}_{m.group(g + 'a').lower()}"
        if atom in self.names or atom in _ATOM_WORDS:
            return atom, m.group(g + "n") is None
        return None

    def _literal(self, m: re.Match, flip: bool = False) -> Claim | None:
        got = self._atom(m, "l")
        if got is None:
            return None
        atom, positive = got
        f = ("var", atom) if positive != flip else ("not", ("var", atom))
        return Claim("value", formula_to_text(f), f)

    def _logic_piece(self, p: str) -> list[Claim]:
        for rx in _LI_UNKNOWN:
            m = rx.fullmatch(p)
            if m and (got := self._atom(m, "l")):
                return [Claim("unknown", f"{got[0]} = Unknown", got[0])]
        for rx in _LI_UNPROVEN:
            m = rx.fullmatch(p)
            if m and (c := self._literal(m)):
                return [Claim("unproven", f"unproven: {c.text}", c.payload)]
        for rx, flip in ((_LI_LIT, False), (_LI_FALSE, True)):
            m = rx.fullmatch(p)
            if m and (c := self._literal(m, flip)):
                return [c]
        m = _LI_TRUTH.fullmatch(p)
        if m and (c := self._literal(m, m.group("neg") is not None)):
            return [c]
        m = _LI_NAME.fullmatch(p)
        if m and m.group("name") in self.names:
            f: Formula = ("var", m.group("name"))
            f = f if m.group("tv").lower() == "true" else ("not", f)
            return [Claim("value", formula_to_text(f), f)]
        if _FORMULA_TEXT.fullmatch(p) and len(p) <= 400:
            try:
                f = parse_formula(p, self.limits)
            except ParseError:
                return []
            atoms = atoms_of(f)
            if atoms and all(a in self.names for a in atoms):
                kind = "value" if f[0] == "var" or (f[0] == "not" and f[1][0] == "var") \
                    else "relation"
                return [Claim(kind, formula_to_text(f), f)]
        return []


def _linear_claim(eq: LinearEquation, text: str) -> Claim:
    if not eq.coeffs:
        return Claim("arithmetic", " ".join(text.split()), eq)
    if len(eq.coeffs) == 1:
        (name, c), = eq.coeffs
        return Claim("value", f"{name} = {format_number(eq.rhs / c)}", eq)
    sign = -1 if eq.coeffs[0][1] < 0 else 1  # "b - a = 3", never "-b + a = -3"
    lhs = ""
    for n, c in ((n, sign * c) for n, c in eq.coeffs):
        t = n if abs(c) == 1 else f"{format_number(abs(c))}*{n}"
        lhs += (f" - {t}" if c < 0 else f" + {t}") if lhs else (f"-{t}" if c < 0 else t)
    return Claim("relation", f"{lhs} = {format_number(sign * eq.rhs)}", eq)

