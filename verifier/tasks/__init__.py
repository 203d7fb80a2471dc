"""Task registry: GraphLA (linear equations over dish prices), GraphLI (propositional
chains), and any other task module in this package.

Every module here that defines ``TASK`` (a :class:`~verifier.tasks.common.TaskSpec`)
is a task; nothing else needs to learn about it. Callers go through the registry:

    from verifier import tasks
    spec = tasks.get("graphla")
    cfg = spec.config(depth="2-4", size="6-10")          # knobs as the CLI gives them
    items = list(spec.generate(cfg, 100, seed=1))
    tasks.problem_from_text(items[0]["prompt"])          # the prompt back into a Problem
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from verifier.errors import InvalidInput, LimitExceeded, ParseError
from verifier.limits import DEFAULT_LIMITS, Limits
from verifier.problem import Problem
from verifier.tasks.common import TaskSpec

__all__ = ["TaskSpec", "get", "names", "all_tasks", "config", "problem_from_text"]


@lru_cache(maxsize=1)
def _registry() -> dict[str, TaskSpec]:
    found: dict[str, TaskSpec] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "common":
            continue
        spec = getattr(importlib.import_module(f"{__name__}.{info.name}"), "TASK", None)
        if isinstance(spec, TaskSpec):
            if spec.name in found:
                raise RuntimeError(f"two task modules are named {spec.name!r}")
            found[spec.name] = spec
    return found


def names() -> tuple[str, ...]:
    """Task names, sorted (``graphla``, ``graphli``, ...)."""
    return tuple(_registry())


def all_tasks() -> tuple[TaskSpec, ...]:
    return tuple(_registry().values())


def get(name: str) -> TaskSpec:
    spec = _registry().get(name)
    if spec is None:
        raise InvalidInput(f"unknown task {name!r}; tasks are {', '.join(names())}")
    return spec


def config(name: str, **knobs):
    """``get(name).config(**knobs)``, where a knob of another task is refused with a message
    that names the task it belongs to."""
    spec = get(name)
    for key, value in knobs.items():
        if value is not None and key not in spec.knobs:
            owners = tuple(t.title for t in all_tasks() if key in t.knobs)
            raise InvalidInput(spec.foreign_knob_message(key, owners))
    return spec.config(**knobs)


def problem_from_text(text: str, limits: Limits = DEFAULT_LIMITS) -> Problem:
    """Turn the natural-language prompt of a generated item back into a Problem."""
    if not isinstance(text, str):
        raise InvalidInput("problem text must be a string")
    if len(text) > limits.max_problem_chars:
        raise LimitExceeded(f"problem text is {len(text)} characters; the limit is "
                            f"{limits.max_problem_chars}")
    for spec in _registry().values():
        if spec.question_re.search(text):
            return spec.parse_prompt(text)
    specs = _registry().values()
    raise ParseError(f"not a {' or '.join(s.title for s in specs)} problem: found neither "
                     f"a question {' nor '.join(s.question_hint for s in specs)}",
                     where="problem text")
