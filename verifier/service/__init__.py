"""The gRPC verifier service (``honest serve``): thin servicers over the core.

- ``convert``  protobuf ↔ core objects, in one place
- ``status``   the core's error hierarchy → gRPC status codes, in one place
- ``workers``  solver processes with hard per-item time budgets (kill + replace)
- ``cache``    bounded cache of solved problems with in-flight de-duplication
- ``servicer`` the ``honest.v1.Verifier`` rpcs
- ``server``   ``create_server(...)``: health, reflection, auth, TLS, metrics, drain
"""
