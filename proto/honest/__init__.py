"""Python package of the project's protocol buffers (generated code lives in v1/)."""
