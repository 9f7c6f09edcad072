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
