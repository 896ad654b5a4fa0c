"""The hardened YAML reader: PyYAML's safe loader, refusing duplicate keys and alias bombs."""

from __future__ import annotations

import copy
from functools import lru_cache

import yaml

from simulation.scenario.errors import ScenarioError

MAX_YAML_VALUES = 1_000_000  # values a scenario file may hold once its aliases are expanded


class SafeScenarioLoader(yaml.SafeLoader):
    """YAML's safe loader (no tags that build Python objects), refusing duplicate keys, which plain YAML
    resolves silently by keeping the last, and alias bombs (a few lines expanding to billions of values)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) or key is None:
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r} (the first would be ignored)",
                                                            key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)


def _expanded_size(node, sizes: dict) -> int:
    """Values a YAML node stands for with every alias expanded (each shared node is counted once per use)."""
    if id(node) not in sizes:
        sizes[id(node)] = 1  # a recursive structure counts itself once, then its parts
        children = [v for pair in node.value for v in pair] if isinstance(node, yaml.MappingNode) else \
            node.value if isinstance(node, yaml.SequenceNode) else []
        sizes[id(node)] = 1 + sum(_expanded_size(child, sizes) for child in children)
    return sizes[id(node)]


def load_yaml(text: str):
    """The value a YAML text holds, a fresh copy each call (callers may change it)."""
    return copy.deepcopy(_parsed(text))


# A sweep or a ladder loads the same few files hundreds of times: PyYAML's pure-Python parser takes 40 ms for
# city.yaml and 0.4 s for retail.yaml, a copy of the value under 1% of that. Keyed by the text, so an edited file
# is read anew; a text that fails raises each time (lru_cache keeps no exceptions).
@lru_cache(maxsize=32)
def _parsed(text: str):
    loader = SafeScenarioLoader(text)
    try:
        try:
            node = loader.get_single_node()  # PyYAML composes recursively: a deep enough nest exhausts the stack
        except RecursionError:
            raise ScenarioError(["YAML nesting: lists or mappings nested too deeply to read (is the file generated "
                                 "by mistake?)"]) from None
        if node is not None and (size := _expanded_size(node, {})) > MAX_YAML_VALUES:
            raise ScenarioError([f"YAML aliases: the file expands to {size:,} values (more than {MAX_YAML_VALUES:,}); "
                                 "is it an alias bomb?"])
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def yaml_problem(exc: yaml.YAMLError) -> str:
    """'mapping values are not allowed here at line 3, column 7' rather than PyYAML's multi-line report."""
    problem = " ".join(str(x) for x in (getattr(exc, "context", None), getattr(exc, "problem", None)) if x) or str(exc)
    mark = getattr(exc, "problem_mark", None)
    return " ".join(f"{problem} at line {mark.line + 1}, column {mark.column + 1}".split()) if mark else " ".join(problem.split())
