"""Shared test settings: a hypothesis profile sized for CI (2 cores), and one verifier
server on a free loopback port for every test that needs a plain one (``server``)."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          derandomize=True)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def server():
    """A real verifier service (one solver worker, 30 s solve budget) for the whole run.
    Tests that need other settings (auth, TLS, tiny budgets, limits) start their own."""
    from verifier.service.server import ServerConfig, ServerThread
    with ServerThread(ServerConfig(port=0, workers=1, max_solve_s=30)) as srv:
        yield srv
