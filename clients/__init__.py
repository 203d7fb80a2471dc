"""Clients of the honest verifier service.

    from clients import VerifierClient
    c = VerifierClient("127.0.0.1:50051")                       # or several replicas
    r = c.verify({"domain": "linear", "premises": ["a = 2"], "query": "a"}, "Answer: 2")
    r.verdict, r.reward                                          # ("correct", 1.0)

``AsyncVerifierClient`` has the same methods as coroutines; ``clients.trl``
adapts either to RL trainers (TRL, verl, OpenRLHF).
"""

from clients.client import AsyncVerifierClient, VerifierClient
from clients.results import GradeResult, GroupResult, RemoteError, SolveResult, VerifyResult

__all__ = ["VerifierClient", "AsyncVerifierClient", "VerifyResult", "GroupResult", "SolveResult",
           "GradeResult", "RemoteError"]
