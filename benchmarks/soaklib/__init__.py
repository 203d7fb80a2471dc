"""The parts of the soak test of the verifier service (run it with ``benchmarks/soak.py``,
whose docstring says what it does and what counts as a defect).

- ``common``: paths, the protocol stubs, status-code sets and bounds shared by all parts;
- ``server``: the ``honest serve`` under test, in its own process group;
- ``probe``: health checks from another process, and runs of unanswered ones;
- ``oracle``: what a request must get (``Want``) and the in-process oracle;
- ``problems``: canaries and generated problems with answers known by construction;
- ``checks``: a call's outcome checked against what it must get;
- ``session``: the ``Soak`` session: channels, one checked call, canaries, findings;
- ``cases_text`` (mutations, poisoning, fuzz), ``cases_bounds`` (documented bounds, chains,
  nesting), ``cases_answers`` (hostile completions, reward maps), ``cases_wire`` (groups,
  batches, streams, ids, raw bytes), ``cases_timing`` (deadlines): the hostile cases;
- ``hostile``, ``load``: the phases; ``report``: the summary, printed and as JSON;
- ``run``: one whole run (server, probe, phases, report, exit status).
"""
