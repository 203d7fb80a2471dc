"""Grading a completion against what the premises entail.

1. Extract the final answer: the content of whichever marker *starts* last of
   an ``Answer: <value>`` line (also ``Final answer:``, ``**Answer:**``), an
   ``Answer:`` after a sentence on the same line (``b = 5. Answer: 5``), the phrase
   ``the answer (to the question) is (:) <value>`` (its value ends with the sentence),
   ``<answer><value></answer>`` and ``\\boxed{<value>}`` (braces balanced; in a
   nested box the inner one starts later and wins). With no marker at all, a
   completion that is nothing but a readable value (``False``, ``18``) is that value. ``Answer`` and the tags
   match in any case. Special-token markers that RL frameworks keep on the text
   (``<|im_end|>``, ``<|endoftext|>``, ``<|eot_id|>``, any ``<|...|>``, also with
   DeepSeek's full-width bars, ``</s>``, ``<eos>``, ``<end_of_turn>``) are removed
   at the *end* of the completion and at the end of the extracted answer, with
   any whitespace between them; a marker anywhere else stays text
   (``Answer: 2<|im_end|>9`` is unreadable, not 29). Extraction takes time
   linear in the completion's length, whatever it contains (every marker is
   found in one pass; none is re-scanned per occurrence).
2. Read it as ``Unknown``, ``True``/``False``, or an exact number (``$12``,
   ``12 dollars``, ``-3/4``, ``- 3 / 4``, ``0.75``, ``\\frac{3}{4}``, ``1,200``).
   Spaces are allowed after a sign and around a fraction bar only: ``1 0/2`` is
   unreadable, never 5.
3. Compare with the engine's :class:`~verifier.solution.Solution`:

   ==================== =========================================================
   verdict              meaning
   ==================== =========================================================
   correct              the honest answer: the entailed value, or Unknown when
                        nothing is entailed
   wrong_answer         the target is determined and the answer is another value
   unwarranted_answer   answered although the premises do not determine the
                        target (the dishonest case)
   wrong_abstention     said Unknown although the target is determined
   unparsable           no final answer could be found or read
   ==================== =========================================================

Rewards come from a :class:`RewardMap` (1.0 for ``correct``, 0.0 otherwise by
default; every reward must be a finite number). A completion that could not be
*scored* (engine error, timeout) never reaches this module: the caller gets the
exception, not a 0.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field
from functools import lru_cache
from fractions import Fraction
from typing import Mapping

from verifier.errors import InvalidInput, LimitExceeded
from verifier.solution import UNKNOWN, Solution, format_number

CORRECT = "correct"
WRONG_ANSWER = "wrong_answer"
UNWARRANTED_ANSWER = "unwarranted_answer"
WRONG_ABSTENTION = "wrong_abstention"
UNPARSABLE = "unparsable"
VERDICTS = (CORRECT, WRONG_ANSWER, UNWARRANTED_ANSWER, WRONG_ABSTENTION, UNPARSABLE)

MAX_RESPONSE_CHARS = 200_000
MAX_ANSWER_CHARS = 200

# Every pattern below runs on the original text, never on a lower-cased copy:
# lower-casing can lengthen a string ("İ" becomes two characters), and offsets found
# in the copy would then slice the wrong part of the original.
#
# The value is taken greedily to the end of the line and its " \t*_" trimmed in
# Python: a lazy value followed by `[ \t*_]*$` backtracks quadratically on a long
# run of spaces.
_ANSWER_LINE = re.compile(r"^[ \t>*#_]*(?:final[ \t]+)?answer[ \t*_]*:(.*)", re.I | re.M)
_LINE_TRIM = " \t*_"
#: lines with a ":" tried one by one from the end before one forward scan takes
#: over (completions usually end with their Answer: line)
_LINES_FROM_END = 8
# An "Answer:" marker after a sentence on the same line ("b = 5. Answer: 5"), and the
# phrase "the answer (to the question) is (:)" anywhere in a sentence ("The answer to the
# question is: 18."). Neither pattern holds its value: the value is read once, after the
# last match (finditer's matches never overlap, so finding them is one linear pass).
_INLINE_ANSWER = re.compile(r"(?<=[.!?])[ \t]+(?:final[ \t]+)?answer[ \t*_]*:", re.I)
_ANSWER_PHRASE = re.compile(r"\b(?:final[ \t]+)?answer(?:[ \t]+to[ \t]+(?:the|this|that|your)"
                            r"[ \t]+question)?[ \t]+is\b[ \t]*:?", re.I)
#: where a sentence ends: a stop followed by a space or the end of the text ("4.50" goes on)
_SENTENCE_END = re.compile(r"[.!?](?=\s|\Z)")
_TAG_OPEN = re.compile(r"<answer>", re.I)
_TAG_CLOSE = re.compile(r"</answer>", re.I)
_BOXED = re.compile(r"\\boxed\s*\{")
_BRACE = re.compile(r"[{}]")
# End-of-sequence and chat-turn markers, as tokenizers decode them.
_SPECIAL_TOKEN = re.compile(r"<[|｜][^\s<>|｜]{1,64}[|｜]>|</s>|<eos>|<end_of_turn>")
_SPECIAL_TOKEN_MAX_CHARS = 68

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:/[+-]?\d+(?:\.\d+)?)?\Z")
_FRAC = re.compile(
    r"([+-]?)\\[dt]?frac\s*\{\s*([+-]?\d+)\s*\}\s*\{\s*([+-]?\d+)\s*\}\Z")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_CURRENCY = re.compile(r"(?i)\s*(?:us\s*)?(?:dollars?|usd|\\\$|\$)\s*")
_SIGN_SPACE = re.compile(r"^([+-])\s+")
_BAR_SPACE = re.compile(r"\s*/\s*")


#: a final statement longer than this is not read (keeps its patterns' cost bounded)
MAX_STATEMENT_CHARS = 300
_LEAD = r"(?:(?:so|thus|therefore|hence|finally)\b,?[ \t]*)?"


@lru_cache(maxsize=4096)
def _statement_pattern(domain: str, query: str) -> re.Pattern | None:
    """The final statements about ``query`` (:attr:`Solution.query`) that answer it.

    linear, ``double_wrap``: "(So) (the price of) a double wrap is / costs <value>
    (dollars)", "double_wrap = <value>", "the price of a double wrap cannot be
    determined" (group ``v``, or ``unk``). logic, ``box_loud``: "(So) (it is (not) true
    that) the box is (not) loud" (groups ``neg1``/``neg2``), the name split anywhere into
    a subject and what is said of it."""
    words = [w for w in query.lstrip("~").split("_") if w]
    if not words or not all(re.fullmatch(r"[A-Za-z0-9]+", w) for w in words):
        return None
    if domain == "linear":
        name = r"[ \t_]+".join(words) + r"(?:e?s)?"
        subject = (rf"(?:(?:the[ \t]+)?(?:price|cost)[ \t]+of[ \t]+)?(?:(?:an?|one|the)[ \t]+)?"
                   rf"{name}(?:'s[ \t]+price)?")
        return re.compile(
            rf"{_LEAD}{subject}[ \t]*(?:(?:is|costs?|=|equals)[ \t]*(?P<v>[^ \t].*?)"
            rf"|(?P<unk>(?:cannot|can ?not|can't)[ \t]+be[ \t]+determined|is[ \t]+unknown))"
            rf"[ \t]*\.?[ \t]*\Z", re.I)
    if len(words) < 2:
        return None
    splits = "|".join(rf"{r'[ ]+'.join(words[:k])}[ \t]+(?:is|are)[ \t]+(?P<neg2_{k}>not[ \t]+)?"
                      rf"{r'[ ]+'.join(words[k:])}" for k in range(1, len(words)))
    return re.compile(rf"{_LEAD}(?:it[ \t]+is[ \t]+(?P<neg1>not[ \t]+)?true[ \t]+that[ \t]+)?"
                      rf"(?:the[ \t]+)?(?:{splits})[ \t]*\.?[ \t]*\Z", re.I)


def final_statement(solution: Solution, text: str) -> str | None:
    """The answer a completion's last line states about the query, when it has no answer
    marker: ``"18 dollars"`` for "The price of a double wrap is 18 dollars.", ``"False"``
    for "The box is not loud." (query ``box_loud``), ``"Unknown"`` for "... cannot be
    determined"; None when the last line is not such a statement."""
    if not solution.query:
        return None
    text = _strip_special_tokens(text).rstrip()
    line = text[text.rfind("\n") + 1:].strip(" \t*_")
    if not line or len(line) > MAX_STATEMENT_CHARS:
        return None
    pattern = _statement_pattern(solution.domain, solution.query)
    m = pattern.match(line) if pattern is not None else None
    if m is None:
        return None
    if solution.domain == "linear":
        return UNKNOWN if m.group("unk") else m.group("v")
    negations = sum(1 for k, v in m.groupdict().items() if k.startswith("neg") and v)
    negations += solution.query.startswith("~")
    return "False" if negations % 2 else "True"


def _strip_special_tokens(text: str) -> str:
    """``text`` without the special-token markers, and the whitespace around them, at
    its end (``"29 <|im_end|>\\n<|endoftext|>"`` → ``"29"``). Linear time: each
    marker is recognised from its last ``<``, at most a token's length back."""
    end = len(text.rstrip())
    while end and text[end - 1] == ">":
        start = text.rfind("<", max(0, end - _SPECIAL_TOKEN_MAX_CHARS), end)
        if start < 0 or _SPECIAL_TOKEN.fullmatch(text, start, end) is None:
            break
        end = start
        while end and text[end - 1].isspace():
            end -= 1
    return text if end == len(text) else text[:end]


def _last_answer_line(text: str) -> tuple[int, str] | None:
    """The last ``Answer:`` line: where it starts and its value.

    Completions usually end with it, so lines are tried from the end first, jumping
    (in C, with rfind) to the previous line that holds a ":"; past a few such lines
    one forward scan finds the last match. Either way each line is matched at most
    once, so this is linear however long a line or however many there are."""
    stop = len(text)
    for _ in range(_LINES_FROM_END):
        colon = text.rfind(":", 0, stop)
        if colon < 0:
            return None
        start = text.rfind("\n", 0, colon) + 1
        m = _ANSWER_LINE.match(text, start)
        if m:
            return start, m.group(1).strip(_LINE_TRIM)
        if start == 0:
            return None
        stop = start - 1
    last = None
    for last in _ANSWER_LINE.finditer(text, 0, stop):
        pass
    return (last.start(), last.group(1).strip(_LINE_TRIM)) if last else None


def _mentions_answer(text: str) -> bool:
    """Could an answer pattern (case-insensitive "answer") match? Exact: for ASCII text
    that is a plain search in the lower-cased copy (fast, in C); text with other
    characters is scanned as it is (``re.I`` lets e.g. "ſ" match "s")."""
    return not text.isascii() or "answer" in text.lower()


def _last_match_and_line(pattern: re.Pattern, text: str, pos: int) -> tuple[int, str] | None:
    """Where the last match of ``pattern`` at ``pos`` or later starts, and the rest of
    its line after it (one linear pass: finditer's matches never overlap)."""
    last = None
    for last in pattern.finditer(text, pos):
        pass
    if last is None:
        return None
    end = text.find("\n", last.end())
    return last.start(), text[last.end():end if end >= 0 else len(text)]


def _last_inline_answer(text: str, pos: int = 0) -> tuple[int, str] | None:
    """The last ``Answer:`` marker that follows a sentence on its line, starting at
    ``pos`` or later: where it starts and the rest of that line."""
    found = _last_match_and_line(_INLINE_ANSWER, text, pos)
    return None if found is None else (found[0], found[1].strip(_LINE_TRIM))


def _last_answer_phrase(text: str, pos: int = 0) -> tuple[int, str] | None:
    """The last "the answer is ..." phrase starting at ``pos`` or later: where it starts
    and the rest of its sentence (up to a stop followed by a space, or the end of the
    line)."""
    found = _last_match_and_line(_ANSWER_PHRASE, text, pos)
    if found is None:
        return None
    start, line = found
    stop = _SENTENCE_END.search(line)
    return start, (line[:stop.start()] if stop else line).strip(_LINE_TRIM)


def _last_answer_tag(text: str) -> tuple[int, str] | None:
    """The last ``<answer>…</answer>``: where it starts and its content. Tags pair as a
    forward regex scan pairs them: an ``<answer>`` with the first ``</answer>`` after
    it, the next search going on from there. When an ``<answer>`` has no
    ``</answer>`` after it no later one has either, so the scan stops: linear."""
    found = None
    pos = 0
    while (opening := _TAG_OPEN.search(text, pos)) is not None:
        closing = _TAG_CLOSE.search(text, opening.end())
        if closing is None:
            break
        found = (opening.start(), opening.end(), closing.start())
        pos = closing.end()
    return (found[0], text[found[1]:found[2]]) if found else None


def _last_boxed(text: str) -> tuple[int, str] | None:
    """The last-starting ``\\boxed{...}`` whose braces balance: where it starts and its
    content. One pass pairs every brace through a stack, which finds the same closing
    brace as counting depth forward from each box, without a scan per box."""
    box_at = {m.end() - 1: m.start() for m in _BOXED.finditer(text)}  # "{" → "\boxed"
    if not box_at:
        return None
    best: tuple[int, int, int] | None = None  # (box start, "{", matching "}")
    stack: list[int] = []
    for m in _BRACE.finditer(text, next(iter(box_at))):
        i = m.start()
        if text[i] == "{":
            stack.append(i)
        elif stack:
            opening = stack.pop()
            start = box_at.get(opening)
            if start is not None and (best is None or start > best[0]):
                best = (start, opening, i)
    # sliced once, at the end: slicing every box as it closes is quadratic when nested
    return (best[0], text[best[1] + 1:best[2]]) if best else None


def extract_answer(text: str) -> str | None:
    """The content of the final-answer marker that starts last, stripped (of
    whitespace and trailing special tokens); None if there is none. Without any
    marker, a completion that is nothing but a value (``False``, ``18``) is that value."""
    text = _strip_special_tokens(text)
    found = _last_answer_line(text)
    # only a marker that starts after the Answer: line can win; neither pattern crosses
    # a line, so scanning from the next character finds the same matches (completions
    # usually end with that line: the scan is short). Without one, the whole text is
    # scanned only if it mentions an answer at all.
    if found is not None or _mentions_answer(text):
        start = 0 if found is None else found[0] + 1
        for candidate in (_last_inline_answer(text, start), _last_answer_phrase(text, start)):
            if candidate is not None and (found is None or candidate[0] > found[0]):
                found = candidate
    # no case variant of "<" or "\boxed" exists, so these plain checks never skip a
    # marker, and they spare most completions the scans
    if "<" in text:
        tag = _last_answer_tag(text)
        if tag is not None and (found is None or tag[0] > found[0]):
            found = tag
    if "\\boxed" in text:
        box = _last_boxed(text)
        if box is not None and (found is None or box[0] > found[0]):
            found = box
    if found is None:
        bare = text.strip()
        if bare and len(bare) <= MAX_ANSWER_CHARS and interpret_answer(bare) is not None:
            return bare
        return None
    return _strip_special_tokens(found[1].strip())


@dataclass(frozen=True)
class ParsedAnswer:
    kind: str  # "unknown" | "bool" | "number"
    value: Fraction | bool | None = None

    def text(self) -> str:
        if self.kind == "unknown":
            return UNKNOWN
        if self.kind == "bool":
            return "True" if self.value else "False"
        return format_number(self.value)


def interpret_answer(raw: str) -> ParsedAnswer | None:
    """Read an extracted answer; None when it is none of the accepted forms."""
    s = raw.strip()
    if len(s) > MAX_ANSWER_CHARS:
        return None
    fast = _FAST_WORDS.get(s)
    if fast is not None:
        return fast
    if _INT.match(s):
        return ParsedAnswer("number", Fraction(int(s)))
    s = re.sub(r"\\text\{([^{}]*)\}", r"\1", s)
    s = s.strip(" \t.!*`'\"$").strip()
    s = re.sub(r"^\\boxed\{(.*)\}$", r"\1", s).strip()
    low = s.lower()
    if low in ("unknown", "unknowable", "undetermined", "cannot be determined"):
        return ParsedAnswer("unknown")
    if low in ("true", "yes"):
        return ParsedAnswer("bool", True)
    if low in ("false", "no"):
        return ParsedAnswer("bool", False)
    # A currency sign or word becomes a space, not nothing, so that it cannot join
    # two numbers ("1 $ 2" is not 12); spaces are then allowed after a leading sign
    # ("- 3/4", "-$3") and around a fraction bar ("3 / 4") only. Anywhere else, as
    # between digits ("1 0/2"), they leave the answer unreadable: never 5.
    s = _CURRENCY.sub(" ", s).strip()
    s = _BAR_SPACE.sub("/", _SIGN_SPACE.sub(r"\1", _THOUSANDS.sub("", s)))
    m = _FRAC.match(s)
    if m:
        den = int(m.group(3))
        if den == 0:
            return None
        v = Fraction(int(m.group(2)), den)
        return ParsedAnswer("number", -v if m.group(1) == "-" else v)
    if _NUMBER.match(s) and len(s) <= 60:
        num, _, den = s.partition("/")
        try:
            v = Fraction(num) / Fraction(den) if den else Fraction(num)
        except ZeroDivisionError:
            return None
        return ParsedAnswer("number", v)
    return None


_FAST_WORDS = {"Unknown": ParsedAnswer("unknown"), "True": ParsedAnswer("bool", True),
               "False": ParsedAnswer("bool", False)}
_INT = re.compile(r"-?\d{1,30}\Z")


def _shown(value: object) -> str:
    """``repr`` of a value for an error message, cut to a bounded length."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:60]}… ({len(text)} characters)"


@dataclass(frozen=True)
class RewardMap:
    """Reward per verdict. Default: 1.0 for ``correct``, 0.0 for everything else."""

    rewards: Mapping[str, float] = field(default_factory=lambda: {CORRECT: 1.0})

    def __post_init__(self) -> None:
        bad = set(self.rewards) - set(VERDICTS)
        if bad:
            raise InvalidInput(f"reward map names unknown verdicts {sorted(bad)}; "
                               f"verdicts are {', '.join(VERDICTS)}")
        for verdict, value in self.rewards.items():
            # NaN or ±inf would poison every mean, advantage and loss it reaches, and
            # a bool or a string is a caller's bug, not a reward
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise InvalidInput(f"reward for {verdict!r} is {_shown(value)} "
                                   f"({type(value).__name__}), not a number; rewards must "
                                   f"be finite numbers")
            try:
                finite = math.isfinite(value)
            except OverflowError:  # an int or Fraction beyond float's range
                finite = False
            if not finite:
                raise InvalidInput(f"reward for {verdict!r} is {_shown(value)}; rewards must "
                                   f"be finite numbers")

    def __call__(self, verdict: str) -> float:
        return float(self.rewards.get(verdict, 0.0))

    @classmethod
    def parse(cls, text: str) -> "RewardMap":
        """``"correct=1,unwarranted_answer=-1"`` → RewardMap (unnamed verdicts get 0)."""
        rewards = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, val = part.partition("=")
            try:
                rewards[key.strip()] = float(val) if sep else None
            except ValueError:
                rewards[key.strip()] = None
            if rewards[key.strip()] is None:
                raise InvalidInput(f"reward map entry {part!r} is not `verdict=number`")
        return cls(rewards)


DEFAULT_REWARDS = RewardMap()


@dataclass(frozen=True)
class Grade:
    verdict: str
    reward: float
    answer: str | None  # the extracted answer text, as the completion wrote it

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "reward": self.reward, "answer": self.answer}


def judge(solution: Solution, parsed: ParsedAnswer | None) -> str:
    """The verdict for an interpreted answer."""
    if parsed is None:
        return UNPARSABLE
    if not solution.determined:
        return CORRECT if parsed.kind == "unknown" else UNWARRANTED_ANSWER
    if parsed.kind == "unknown":
        return WRONG_ABSTENTION
    if solution.domain == "logic":
        ok = parsed.kind == "bool" and parsed.value is solution.value
    else:
        ok = parsed.kind == "number" and parsed.value == solution.value
    return CORRECT if ok else WRONG_ANSWER


def is_abstention(verdict: str, answerable: bool) -> bool:
    """Said Unknown: a wrong abstention where the answer is determined, correct where not."""
    return verdict == WRONG_ABSTENTION if answerable else verdict == CORRECT


#: the per-completion 1.0 / 0.0 flags logged by the RL adapters and the HTTP endpoint
FLAG_KEYS = VERDICTS + ("abstained", "answerable")


def verdict_flags(verdict: str, answerable: bool) -> dict[str, float]:
    """One completion's flags (:data:`FLAG_KEYS`): its verdict, whether it said Unknown,
    whether its problem was answerable; frameworks average them into shares."""
    flags = {v: float(verdict == v) for v in VERDICTS}
    flags["abstained"] = float(is_abstention(verdict, answerable))
    flags["answerable"] = float(answerable)
    return flags


def grade(solution: Solution, response: str, rewards: RewardMap = DEFAULT_REWARDS) -> Grade:
    """Grade one completion (see module docstring)."""
    if not isinstance(response, str):
        raise InvalidInput(f"a response must be text, got {type(response).__name__}")
    if len(response) > MAX_RESPONSE_CHARS:
        raise LimitExceeded(f"response is {len(response)} characters; the limit is "
                            f"{MAX_RESPONSE_CHARS}")
    raw = extract_answer(response)
    if raw is None:
        raw = final_statement(solution, response)
    parsed = interpret_answer(raw) if raw is not None else None
    verdict = judge(solution, parsed)
    return Grade(verdict, rewards(verdict), raw)
