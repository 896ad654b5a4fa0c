"""The scenario: domain vocabulary, the validated schema, YAML loading with ``extends``, overrides and errors."""

from simulation.spec.schema import *  # noqa: F403
