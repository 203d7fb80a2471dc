"""Hostile cases on the shape of requests: empty groups and groups at and over 4,096
completions, batches at and over 4,096 groups and 65,536 completions (good and bad groups
mixed), mixed streams, ids over 1,024 characters, a 100 MB message, and malformed protobuf
bytes."""

from __future__ import annotations

import random
from dataclasses import replace

from .common import BAD_INPUT, CALL_TIMEOUT_S, pb, short
from .oracle import Want, completions_of, grades_of, known, optional, rejected
from .problems import CANARIES, known_group, structured
from .session import Soak


async def groups(soak: Soak, rng: random.Random, which: str | None = None) -> None:
    """Empty groups and groups at and over 4,096 completions."""
    name, dom, prem, q, cs = CANARIES[rng.randrange(len(CANARIES))]
    which = which or rng.choice(["empty", "4096", "4097", "batch_empty"])
    p = structured(dom, prem, q)
    if which == "empty":
        await soak.call("groups", f"empty group for canary '{name}'", "VerifyGroup",
                        pb.VerifyGroupRequest(problem=p), 10,
                        rejected("the group is empty"))
    elif which == "batch_empty":
        await soak.call("groups", "VerifyBatch with no groups, then one empty group",
                        "VerifyBatch", pb.VerifyBatchRequest(), 10, [])
        await soak.call("groups", "VerifyBatch with one empty group", "VerifyBatch",
                        pb.VerifyBatchRequest(groups=[pb.VerifyGroupRequest(problem=p)]),
                        10, [rejected("the group is empty")])
    else:
        n = int(which)
        graded = [cs[j % 2] for j in range(n)]
        grades = grades_of(graded)
        want = known(grades) if n <= 4096 else rejected("the group has 4,097 completions",
                                                        grades=grades)
        await soak.call("groups", f"group of {n} completions for canary '{name}'",
                        "VerifyGroup", pb.VerifyGroupRequest(
                            problem=p, completions=completions_of(graded)),
                        CALL_TIMEOUT_S, want)


async def batch(soak: Soak, rng: random.Random, n: int | None = None) -> None:
    """A VerifyBatch of many groups, good and bad: each is graded or fails on its own."""
    n = n or rng.choice([50, 500, 2_000])
    gs, wants = [], []
    for _ in range(n):
        g, w, _ = known_group(rng, soak.next_uid)
        gs.append(g)
        wants.append(w)
    await soak.call("batch", f"VerifyBatch of {n:,} groups (canary, fresh and bad problems)",
                    "VerifyBatch", pb.VerifyBatchRequest(groups=gs), 60, wants)


async def batch_many(soak: Soak, rng: random.Random, which: str | None = None) -> None:
    """Batches of cached canaries at and over the documented bounds: 4,096 groups,
    65,536 completions in all."""
    which = which or rng.choice(["4096x16", "4097x1", "4096x17", "20000x1"])
    n, g = map(int, which.split("x"))
    gs, wants = [], []
    for j in range(n):
        name, dom, prem, q, cs = CANARIES[j % len(CANARIES)]
        comps = [cs[(j + i) % 2] for i in range(g)]
        gs.append(pb.VerifyGroupRequest(problem=structured(dom, prem, q),
                                        completions=completions_of(comps)))
        wants.append(known(grades_of(comps)))
    over = n > 4_096 or n * g > 65_536
    await soak.call("batch", f"VerifyBatch of {n:,} canary groups of {g} ({n * g:,} "
                    "completions)", "VerifyBatch", pb.VerifyBatchRequest(groups=gs), 60,
                    wants, whole=rejected("the batch is over its documented bounds")
                    if over else None)


async def stream(soak: Soak, rng: random.Random) -> None:
    """A VerifyStream mixing good and bad items: in order, each right or failing alone."""
    reqs, wants = [], []
    for _ in range(rng.choice([20, 200])):
        g, w, _ = known_group(rng, soak.next_uid)
        if len(g.completions) != 1:
            j = rng.randrange(len(g.completions)) if g.completions else 0
            w = replace(w, grades=(w.grades[j],) if w.grades else None)
            comp = g.completions[j] if g.completions else ""
        else:
            comp = g.completions[0]
        if not g.completions:  # an empty completion is fine in Verify: unparsable
            w = Want(grades=(("unparsable", 0.0),))
        reqs.append(pb.VerifyRequest(problem=g.problem, completion=comp, rewards=g.rewards))
        wants.append(w)
    await soak.call("stream", f"VerifyStream of {len(reqs)} mixed items", "VerifyStream",
                    reqs, 60, wants)


async def long_id(soak: Soak, rng: random.Random) -> None:
    """Request ids at and over 1,024 characters (echoed back: bounded)."""
    name, dom, prem, q, cs = CANARIES[rng.randrange(len(CANARIES))]
    c, v, r = cs[0]
    for n in (1_024, 1_025, 1_000_000):
        req = pb.VerifyRequest(problem=structured(dom, prem, q), completion=c,
                               id="i" * n)
        await soak.call("long_id", f"canary '{name}' with an id of {n:,} chars", "Verify",
                        req, 10, known([(v, r)]) if n <= 1_024 else
                        rejected(f"the id has {n:,} characters (the bound is 1,024)",
                                 grades=[(v, r)]))


async def huge_message(soak: Soak, rng: random.Random) -> None:
    """5,000 premises of 20,000 characters: a 100 MB message (over the server's 64 MB)."""
    p = "y = " + "1+" * 9_997 + "1"
    prem = [p] * 5_000
    await soak.call("limits", "5,000 premises of 20,000 chars (100 MB message)", "Verify",
                    pb.VerifyRequest(problem=structured("logic", prem, "y"),
                                     completion="Answer: 1"), 60,
                    rejected("the message is 100 MB", BAD_INPUT | {"RESOURCE_EXHAUSTED"}))


async def malformed(soak: Soak, rng: random.Random) -> None:
    """Raw bytes that are not the message the method expects."""
    method = rng.choice(["Verify", "VerifyGroup", "VerifyBatch", "Solve", "VerifyStream"])
    valid = pb.VerifyRequest(problem=structured("logic", ["c or d", "not c"], "d"),
                             completion="Answer: True").SerializeToString()
    flip = rng.randrange(len(valid))
    kinds = {
        "random": lambda: rng.randbytes(rng.randint(1, 64)),
        "truncated": lambda: valid[:rng.randint(1, len(valid) - 1)],
        "bitflip": lambda: valid[:flip] + bytes([valid[flip] ^ (1 << rng.randrange(8))])
        + valid[flip + 1:],
        "bad_utf8": lambda: b"\x12\x04\xff\xfe\xc0\xaf",
        "huge_length": lambda: b"\x12\xff\xff\xff\xff\x0f" + b"x" * 10,
        "deep_groups": lambda: b"\x7b" * 5_000 + b"\x7c" * 5_000,
        "unknown_fields": lambda: b"\xf8\x06\x01" + valid,
        "empty": lambda: b"",
        "wrong_message": lambda: pb.SolveResponse(id="x" * 100).SerializeToString(),
    }
    kind = rng.choice(list(kinds))
    data = kinds[kind]()
    want = optional(codes=BAD_INPUT)
    what = f"{kind} bytes {short(data, 60)}"
    if method == "VerifyStream":
        await soak.call("malformed", what + " x3 in a stream",
                        "raw-stream:/honest.v1.Verifier/VerifyStream", [data] * 3, 10, want)
    else:
        await soak.call("malformed", what, f"raw:/honest.v1.Verifier/{method}", data, 10,
                        want)
