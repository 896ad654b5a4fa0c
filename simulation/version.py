"""The package version, from its own metadata (pyproject.toml): one version, never written twice."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("invsim")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
