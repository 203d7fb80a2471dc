from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Domain(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOMAIN_UNSPECIFIED: _ClassVar[Domain]
    LINEAR: _ClassVar[Domain]
    LOGIC: _ClassVar[Domain]
DOMAIN_UNSPECIFIED: Domain
LINEAR: Domain
LOGIC: Domain

class StructuredProblem(_message.Message):
    __slots__ = ("domain", "premises", "query")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    PREMISES_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    domain: Domain
    premises: _containers.RepeatedScalarFieldContainer[str]
    query: str
    def __init__(self, domain: _Optional[_Union[Domain, str]] = ..., premises: _Optional[_Iterable[str]] = ..., query: _Optional[str] = ...) -> None: ...

class Problem(_message.Message):
    __slots__ = ("structured", "text")
    STRUCTURED_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    structured: StructuredProblem
    text: str
    def __init__(self, structured: _Optional[_Union[StructuredProblem, _Mapping]] = ..., text: _Optional[str] = ...) -> None: ...

class RewardMap(_message.Message):
    __slots__ = ("rewards",)
    class RewardsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    REWARDS_FIELD_NUMBER: _ClassVar[int]
    rewards: _containers.ScalarMap[str, float]
    def __init__(self, rewards: _Optional[_Mapping[str, float]] = ...) -> None: ...

class VerifyRequest(_message.Message):
    __slots__ = ("problem", "completion", "id", "rewards", "steps")
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    REWARDS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    problem: Problem
    completion: str
    id: str
    rewards: RewardMap
    steps: bool
    def __init__(self, problem: _Optional[_Union[Problem, _Mapping]] = ..., completion: _Optional[str] = ..., id: _Optional[str] = ..., rewards: _Optional[_Union[RewardMap, _Mapping]] = ..., steps: _Optional[bool] = ...) -> None: ...

class Solution(_message.Message):
    __slots__ = ("status", "expected", "inconsistent", "certificate_json", "solve_ms", "cached")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    INCONSISTENT_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_JSON_FIELD_NUMBER: _ClassVar[int]
    SOLVE_MS_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    status: str
    expected: str
    inconsistent: bool
    certificate_json: str
    solve_ms: float
    cached: bool
    def __init__(self, status: _Optional[str] = ..., expected: _Optional[str] = ..., inconsistent: _Optional[bool] = ..., certificate_json: _Optional[str] = ..., solve_ms: _Optional[float] = ..., cached: _Optional[bool] = ...) -> None: ...

class ItemError(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class Grade(_message.Message):
    __slots__ = ("verdict", "reward", "answer", "has_answer", "step_audit")
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    REWARD_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    HAS_ANSWER_FIELD_NUMBER: _ClassVar[int]
    STEP_AUDIT_FIELD_NUMBER: _ClassVar[int]
    verdict: str
    reward: float
    answer: str
    has_answer: bool
    step_audit: StepAudit
    def __init__(self, verdict: _Optional[str] = ..., reward: _Optional[float] = ..., answer: _Optional[str] = ..., has_answer: _Optional[bool] = ..., step_audit: _Optional[_Union[StepAudit, _Mapping]] = ...) -> None: ...

class Step(_message.Message):
    __slots__ = ("line", "text", "claim", "kind", "status")
    LINE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    line: int
    text: str
    claim: str
    kind: str
    status: str
    def __init__(self, line: _Optional[int] = ..., text: _Optional[str] = ..., claim: _Optional[str] = ..., kind: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class StepAudit(_message.Message):
    __slots__ = ("steps", "first_unsupported_line", "has_first_unsupported", "unrecognised_lines", "truncated")
    STEPS_FIELD_NUMBER: _ClassVar[int]
    FIRST_UNSUPPORTED_LINE_FIELD_NUMBER: _ClassVar[int]
    HAS_FIRST_UNSUPPORTED_FIELD_NUMBER: _ClassVar[int]
    UNRECOGNISED_LINES_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    first_unsupported_line: int
    has_first_unsupported: bool
    unrecognised_lines: int
    truncated: bool
    def __init__(self, steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., first_unsupported_line: _Optional[int] = ..., has_first_unsupported: _Optional[bool] = ..., unrecognised_lines: _Optional[int] = ..., truncated: _Optional[bool] = ...) -> None: ...

class VerifyResponse(_message.Message):
    __slots__ = ("id", "grade", "solution", "total_ms", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    SOLUTION_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    grade: Grade
    solution: Solution
    total_ms: float
    error: ItemError
    def __init__(self, id: _Optional[str] = ..., grade: _Optional[_Union[Grade, _Mapping]] = ..., solution: _Optional[_Union[Solution, _Mapping]] = ..., total_ms: _Optional[float] = ..., error: _Optional[_Union[ItemError, _Mapping]] = ...) -> None: ...

class VerifyGroupRequest(_message.Message):
    __slots__ = ("problem", "completions", "id", "rewards", "steps")
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    COMPLETIONS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    REWARDS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    problem: Problem
    completions: _containers.RepeatedScalarFieldContainer[str]
    id: str
    rewards: RewardMap
    steps: bool
    def __init__(self, problem: _Optional[_Union[Problem, _Mapping]] = ..., completions: _Optional[_Iterable[str]] = ..., id: _Optional[str] = ..., rewards: _Optional[_Union[RewardMap, _Mapping]] = ..., steps: _Optional[bool] = ...) -> None: ...

class VerifyGroupResponse(_message.Message):
    __slots__ = ("id", "solution", "grades", "mean_reward", "rewards_tied", "total_ms", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    SOLUTION_FIELD_NUMBER: _ClassVar[int]
    GRADES_FIELD_NUMBER: _ClassVar[int]
    MEAN_REWARD_FIELD_NUMBER: _ClassVar[int]
    REWARDS_TIED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    solution: Solution
    grades: _containers.RepeatedCompositeFieldContainer[Grade]
    mean_reward: float
    rewards_tied: bool
    total_ms: float
    error: ItemError
    def __init__(self, id: _Optional[str] = ..., solution: _Optional[_Union[Solution, _Mapping]] = ..., grades: _Optional[_Iterable[_Union[Grade, _Mapping]]] = ..., mean_reward: _Optional[float] = ..., rewards_tied: _Optional[bool] = ..., total_ms: _Optional[float] = ..., error: _Optional[_Union[ItemError, _Mapping]] = ...) -> None: ...

class VerifyBatchRequest(_message.Message):
    __slots__ = ("groups",)
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[VerifyGroupRequest]
    def __init__(self, groups: _Optional[_Iterable[_Union[VerifyGroupRequest, _Mapping]]] = ...) -> None: ...

class VerifyBatchResponse(_message.Message):
    __slots__ = ("groups",)
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[VerifyGroupResponse]
    def __init__(self, groups: _Optional[_Iterable[_Union[VerifyGroupResponse, _Mapping]]] = ...) -> None: ...

class SolveRequest(_message.Message):
    __slots__ = ("problem", "id")
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    problem: Problem
    id: str
    def __init__(self, problem: _Optional[_Union[Problem, _Mapping]] = ..., id: _Optional[str] = ...) -> None: ...

class SolveResponse(_message.Message):
    __slots__ = ("id", "solution")
    ID_FIELD_NUMBER: _ClassVar[int]
    SOLUTION_FIELD_NUMBER: _ClassVar[int]
    id: str
    solution: Solution
    def __init__(self, id: _Optional[str] = ..., solution: _Optional[_Union[Solution, _Mapping]] = ...) -> None: ...
