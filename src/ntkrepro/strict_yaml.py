"""A YAML loader that refuses a key written twice in one mapping (PyYAML keeps the last silently,
so an edited config could run with the value the user meant to replace)."""

from __future__ import annotations

from pathlib import Path

import yaml


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that raises a ConstructorError at the second occurrence of a key."""

    def construct_mapping(self, node, deep=False):
        first_line = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                seen = key in first_line
            except TypeError:  # an unhashable key: SafeLoader's own error says so
                break
            if seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {first_line[key] + 1})", key_node.start_mark
                )
            first_line[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def load(text: str):
    return yaml.load(text, Loader=UniqueKeyLoader)


def check_file(path) -> None:
    """Refuse a config file with a key written twice, in one line naming the file, the line and the key."""
    from .errors import ConfigError

    try:
        load(Path(path).read_text(encoding="utf-8"))
    except yaml.constructor.ConstructorError as e:
        mark = e.problem_mark
        raise ConfigError(f"config file {path}, line {mark.line + 1}, column {mark.column + 1}: {e.problem}") from None
