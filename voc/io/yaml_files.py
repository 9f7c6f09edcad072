"""Reading the YAML files users write (pipeline configs, alert rules, theme curation)."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

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


def yaml_line(path: Path, keys: Sequence[str | int]) -> int | None:
    """The 1-based line of the deepest of ``keys`` (mapping keys and list positions, as a
    pydantic error's location) found in the YAML file, so an error can say where to look;
    None if the file cannot tell."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    line = None
    for key in keys:
        if isinstance(node, yaml.SequenceNode) and isinstance(key, int) \
                and 0 <= key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
            continue
        if not isinstance(node, yaml.MappingNode):
            break
        match = next(((k, v) for k, v in node.value if str(k.value) == str(key)), None)
        if match is None:
            break
        line = match[0].start_mark.line + 1
        node = match[1]
    return line


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The settings model a field holds, directly or as list items (``list[Seed]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for argument in typing.get_args(annotation):
            if (found := _model_in(argument)) is not None:
                return found
    return None


def validation_line(exc: ValidationError, what: str, source: Path | str | None,
                    model: type[BaseModel], prefix: Sequence[str] = ()) -> str:
    """A pydantic error on a user's file as one line: the key (``prefix`` first), what is
    wrong with it and, when ``source`` is the file, its path and the key's line; a
    ``source`` that is no file (a phrase such as "command line") is named in brackets."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    key = ".".join(str(part) for part in [*prefix, *loc])
    message = str(error["msg"]).removeprefix("Value error, ").rstrip(".")
    if error["type"] == "extra_forbidden":
        section = model
        for part in loc[:-1]:
            field = section.model_fields.get(str(part))
            inner = _model_in(field.annotation) if field is not None else None
            section = inner or section
        problem = f"unknown key '{key}'; known keys here: {', '.join(section.model_fields)}"
    elif error["type"] == "missing":
        parent = ".".join(str(part) for part in [*prefix, *loc[:-1]])
        problem = (f"{parent}: " if parent else "") + f"required key '{loc[-1]}' is missing"
    elif error["type"] in ("value_error", "assertion_error"):
        # Our own validators' messages say what is wrong; the value is in the file.
        problem = f"{key}: {message}" if key else message
    else:
        value = error.get("input")
        shown = repr(value) if not isinstance(value, Mapping | list) else type(value).__name__
        problem = f"{key} = {shown} is not allowed: {message}"
    if isinstance(source, Path):
        line = yaml_line(source, loc)
        return f"{what} {source}" + (f", line {line}" if line else "") + f": {problem}"
    return f"{problem} ({source})" if source else problem
