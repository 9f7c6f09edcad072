"""Reading the YAML files users write (pipeline configs, alert rules, theme curation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from voc.errors import ConfigError


def load_yaml(path: Path, what: str) -> Any:
    """The parsed file; a missing file or a YAML syntax error is a one-line ``ConfigError``
    naming ``what`` the file is, its path and the line to fix."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} is not UTF-8 text; save it as UTF-8") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{what} {path} is not valid YAML{where}") from exc


def yaml_line(path: Path, keys: list[str]) -> int | None:
    """The 1-based line of the deepest of ``keys`` (a path of mapping keys) found in the
    YAML file, so an error can say where to look; None if the file cannot tell."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    line = None
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            break
        match = next(((k, v) for k, v in node.value if str(k.value) == key), None)
        if match is None:
            break
        line = match[0].start_mark.line + 1
        node = match[1]
    return line
