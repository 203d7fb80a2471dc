"""Generated stubs of the honest.v1 protocol (see verifier.proto; regenerate with scripts/gen_proto.py)."""
