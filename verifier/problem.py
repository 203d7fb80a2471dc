"""Problems in the premise language, and the one entry point that solves and grades them.

A :class:`Problem` is ``domain`` (``linear`` | ``logic``), ``premises`` (one
equation or formula per string) and ``query`` (a name, or a formula). The
natural-language prompt of a generated item can be turned into one with
:func:`verifier.tasks.problem_from_text`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

from verifier.errors import InvalidInput, LimitExceeded, ParseError, excerpt
from verifier.grading import DEFAULT_REWARDS, Grade, RewardMap, grade
from verifier.lang.linear import LinearEquation, parse_linear_equation, parse_linear_name
from verifier.lang.logic import Formula, parse_formula
from verifier.limits import DEFAULT_LIMITS, Limits
from verifier.solution import Solution

DOMAINS = ("linear", "logic")


@dataclass(frozen=True)
class Problem:
    domain: str
    premises: tuple[str, ...]
    query: str

    @classmethod
    def make(cls, domain: str, premises: Sequence[str], query: str) -> "Problem":
        if domain not in DOMAINS:
            raise InvalidInput(f"domain must be one of {', '.join(DOMAINS)}, got {excerpt(str(domain))}")
        if isinstance(premises, str) or not all(isinstance(p, str) for p in premises):
            raise InvalidInput("premises must be a list of strings, one premise each")
        if not isinstance(query, str):
            raise InvalidInput("query must be a string")
        return cls(domain, tuple(premises), query)

    def to_dict(self) -> dict[str, Any]:
        return {"domain": self.domain, "premises": list(self.premises), "query": self.query}


@dataclass(frozen=True)
class ParsedProblem:
    domain: str
    premises: tuple[LinearEquation, ...] | tuple[Formula, ...]
    query: str | Formula


def parse_problem(problem: Problem, limits: Limits = DEFAULT_LIMITS) -> ParsedProblem:
    """Parse every premise and the query; errors name the premise (1-based) and column."""
    if len(problem.premises) > limits.max_premises:
        raise LimitExceeded(f"{len(problem.premises)} premises; the limit is "
                            f"{limits.max_premises}")
    if problem.domain == "linear":
        parse_one, parse_query = parse_linear_equation, parse_linear_name
    elif problem.domain == "logic":
        parse_one, parse_query = parse_formula, parse_formula
    else:
        raise InvalidInput(f"domain must be one of {', '.join(DOMAINS)}, got {excerpt(str(problem.domain))}")
    parsed = []
    for i, text in enumerate(problem.premises, 1):
        try:
            parsed.append(parse_one(text, limits))
        except ParseError as e:
            raise e.located(f"premise {i}") from None
    try:
        query = parse_query(problem.query, limits)
    except ParseError as e:
        raise e.located("query") from None
    return ParsedProblem(problem.domain, tuple(parsed), query)


def solve_parsed(parsed: ParsedProblem, limits: Limits = DEFAULT_LIMITS) -> Solution:
    if parsed.domain == "linear":
        from verifier.engines.linear import solve_linear_system
        solution = solve_linear_system(parsed.premises, parsed.query, limits)
    else:
        from verifier.engines.logic import solve_logic
        solution = solve_logic(parsed.premises, parsed.query, limits)
    return replace(solution, query=statement_subject(parsed))


def statement_subject(parsed: ParsedProblem) -> str:
    """:attr:`Solution.query`: the name a final statement is about (empty: none)."""
    q = parsed.query
    if isinstance(q, str):
        return q
    if q[0] == "var":
        return q[1]
    if q[0] == "not" and q[1][0] == "var":
        return "~" + q[1][1]
    return ""


def solve(problem: Problem, limits: Limits = DEFAULT_LIMITS) -> Solution:
    """What the premises entail about the query (see :mod:`verifier.engines`)."""
    return solve_parsed(parse_problem(problem, limits), limits)


@dataclass(frozen=True)
class CheckResult:
    solution: Solution
    grade: Grade

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.grade.verdict,
            "reward": self.grade.reward,
            "answer": self.grade.answer,
            "status": self.solution.status,
            "expected": self.solution.expected,
            "inconsistent": self.solution.inconsistent,
            "certificate": self.solution.certificate,
        }


def check(problem: Problem, response: str, rewards: RewardMap = DEFAULT_REWARDS,
          limits: Limits = DEFAULT_LIMITS) -> CheckResult:
    """Solve ``problem`` and grade ``response`` against it."""
    solution = solve(problem, limits)
    return CheckResult(solution, grade(solution, response, rewards))


#: text that reads as an answer (a number, True/False, Unknown) rather than a problem
_BARE_ANSWER = re.compile(r"\s*(?:[-+]?[\d.,/ ]+|true|false|unknown)\s*\Z", re.I)


def looks_like_bare_answer(text: str) -> bool:
    """Whether ``text`` is an answer (``"12"``, ``"3/4"``, ``"True"``) where a problem belongs:
    ground truth given as the label's answer instead of the premises."""
    return bool(_BARE_ANSWER.match(text))


def problem_fields(obj: Any) -> dict | str:
    """``{"domain", "premises", "query"}`` (fresh lists) or the prompt text, from a problem as
    callers hand it over: that dict (an item of ``honest generate`` works as it is), its JSON
    text (what ``honest export`` writes as ground truth / label), the prompt text, or a dict
    with ``problem``/``prompt``. InvalidInput saying what to pass otherwise. Used on both
    sides of the wire (clients, and the service's HTTP labels)."""
    if isinstance(obj, bytes):
        obj = obj.decode("utf-8")
    if isinstance(obj, str):
        text = obj.strip()
        if text.startswith("{"):
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as e:
                raise InvalidInput(f"problem JSON does not parse ({e.msg} at column "
                                   f"{e.colno})") from None
        else:
            return obj
    if not isinstance(obj, Mapping):
        raise InvalidInput(f"a problem is a dict with domain, premises and query, or the "
                           f"prompt text; got {type(obj).__name__}")
    if obj.get("premises") is not None and obj.get("domain") is not None:
        premises = obj["premises"]
        if isinstance(premises, str) or not all(isinstance(p, str) for p in premises):
            raise InvalidInput("premises must be a list of strings, one premise each")
        query = obj.get("query")
        if not isinstance(query, str):
            raise InvalidInput("a problem's query must be a string")
        return {"domain": obj["domain"], "premises": list(premises), "query": query}
    text = obj.get("problem", obj.get("prompt"))
    if isinstance(text, str):
        return text
    raise InvalidInput("a problem is {domain, premises, query} or the prompt text "
                       "(problem/prompt)")
