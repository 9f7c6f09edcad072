"""Journey maps: the stages and touchpoints of a business's customer journey, as YAML.

A map is public interface: users write their own, so loading validates every field and
reports problems with the file, line and field that needs fixing. Only `id` and `name`
are required; descriptions, keywords and either language of any field may be missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from voc.data import shipped
from voc.errors import ConfigError

LANGUAGES = ("en", "fa")
BUILT_IN_DIR = shipped("journeys")
DEFAULT_JOURNEY = "ecommerce"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_MAP_KEYS = {"name", "description", "stages", "touchpoints", "channel_map"}
_ITEM_KEYS = {"id", "name", "description", "keywords"}
_TOUCHPOINT_KEYS = _ITEM_KEYS | {"stages"}


@dataclass(frozen=True)
class JourneyItem:
    """A stage or a touchpoint: texts per language, keywords per language."""

    id: str
    name: dict[str, str]
    description: dict[str, str] = field(default_factory=dict)
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stages: tuple[str, ...] = ()  # touchpoints only: where it can occur (empty: anywhere)

    def label(self, lang: str = "en") -> str:
        return self.name.get(lang) or next(iter(self.name.values()))


@dataclass(frozen=True)
class JourneyMap:
    name: dict[str, str]
    stages: tuple[JourneyItem, ...]
    touchpoints: tuple[JourneyItem, ...]
    channel_map: dict[str, str]
    source: str

    def stage_ids(self) -> list[str]:
        return [s.id for s in self.stages]

    def touchpoint_ids(self) -> list[str]:
        return [t.id for t in self.touchpoints]


class _Validator:
    """Walks the YAML node tree so every error can name the line it is on."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: yaml.Node | None, where: str, problem: str) -> ConfigError:
        line = f" line {node.start_mark.line + 1}," if node is not None else ""
        return ConfigError(f"journey map {self.source}:{line} {where}: {problem}")

    def mapping(self, node: yaml.Node, where: str, allowed: set[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where, "expected a mapping of fields")
        fields: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key not in allowed:
                raise self.fail(key_node, f"{where}.{key}",
                                f"unknown field; allowed: {', '.join(sorted(allowed))}")
            if key in fields:
                raise self.fail(key_node, f"{where}.{key}", "field given twice")
            fields[key] = value_node
        return fields

    def text(self, node: yaml.Node, where: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.fail(node, where, "expected a non-empty text")
        return str(node.value).strip()

    def per_language(self, node: yaml.Node, where: str) -> dict[str, str]:
        """`{en: ..., fa: ...}` (either may be missing) or a plain text (taken as English)."""
        if isinstance(node, yaml.ScalarNode):
            return {"en": self.text(node, where)}
        fields = self.mapping(node, where, set(LANGUAGES))
        if not fields:
            raise self.fail(node, where, "give at least one of en, fa")
        return {lang: self.text(value, f"{where}.{lang}") for lang, value in fields.items()}

    def word_list(self, node: yaml.Node, where: str) -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, where, "expected a list of keywords")
        return tuple(self.text(item, f"{where}[{i}]") for i, item in enumerate(node.value))

    def keywords(self, node: yaml.Node, where: str) -> dict[str, tuple[str, ...]]:
        fields = self.mapping(node, where, set(LANGUAGES))
        return {lang: self.word_list(value, f"{where}.{lang}") for lang, value in fields.items()}

    def item(self, node: yaml.Node, where: str, allowed: set[str]) -> JourneyItem:
        fields = self.mapping(node, where, allowed)
        for required in ("id", "name"):
            if required not in fields:
                raise self.fail(node, where, f"missing required field '{required}'")
        item_id = self.text(fields["id"], f"{where}.id")
        if not _ID.match(item_id):
            raise self.fail(fields["id"], f"{where}.id",
                            f"'{item_id}' must be lower-case letters, digits and _")
        stages: tuple[str, ...] = ()
        if "stages" in fields:
            stages = self.word_list(fields["stages"], f"{where}.stages")
        return JourneyItem(
            id=item_id,
            name=self.per_language(fields["name"], f"{where}.name"),
            description=self.per_language(fields["description"], f"{where}.description")
            if "description" in fields else {},
            keywords=self.keywords(fields["keywords"], f"{where}.keywords")
            if "keywords" in fields else {},
            stages=stages,
        )

    def items(self, node: yaml.Node | None, where: str, allowed: set[str]
              ) -> tuple[tuple[JourneyItem, ...], list[yaml.Node]]:
        if node is None or not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.fail(node, where, "expected a non-empty list")
        items = tuple(self.item(n, f"{where}[{i}]", allowed) for i, n in enumerate(node.value))
        seen: set[str] = set()
        for item, item_node in zip(items, node.value, strict=True):
            if item.id in seen:
                raise self.fail(item_node, where, f"id '{item.id}' is used twice")
            seen.add(item.id)
        return items, list(node.value)


def parse_journey_map(text: str, source: str) -> JourneyMap:
    """Parse and validate a journey map's YAML text."""
    validator = _Validator(source)
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}," if mark else ""
        raise ConfigError(f"journey map {source}:{line} not valid YAML") from exc
    if root is None:
        raise ConfigError(f"journey map {source} is empty")
    fields = validator.mapping(root, "map", _MAP_KEYS)
    if "name" not in fields:
        raise validator.fail(root, "map", "missing required field 'name'")
    stages, _ = validator.items(fields.get("stages"), "stages", _ITEM_KEYS)
    touchpoints, touchpoint_nodes = validator.items(fields.get("touchpoints"), "touchpoints",
                                                    _TOUCHPOINT_KEYS)
    stage_ids = {s.id for s in stages}
    for index, (touchpoint, node) in enumerate(zip(touchpoints, touchpoint_nodes, strict=True)):
        unknown = [s for s in touchpoint.stages if s not in stage_ids]
        if unknown:
            raise validator.fail(node, f"touchpoints[{index}].stages",
                                 f"unknown stage '{unknown[0]}'; stages: "
                                 f"{', '.join(s.id for s in stages)}")
    channel_map: dict[str, str] = {}
    if "channel_map" in fields:
        channel_fields = validator.mapping(fields["channel_map"], "channel_map",
                                           allowed=_AnyKey())
        touchpoint_ids = {t.id for t in touchpoints}
        for channel, node in channel_fields.items():
            target = validator.text(node, f"channel_map.{channel}")
            if target not in touchpoint_ids:
                raise validator.fail(node, f"channel_map.{channel}",
                                     f"unknown touchpoint '{target}'")
            channel_map[str(channel).strip().lower()] = target
    return JourneyMap(
        name=validator.per_language(fields["name"], "name"),
        stages=stages, touchpoints=touchpoints, channel_map=channel_map, source=source,
    )


class _AnyKey(set[str]):
    """Allowed-keys set that admits every key (channel values are the user's own)."""

    def __contains__(self, item: object) -> bool:
        return True


def built_in_journeys() -> dict[str, Path]:
    return {p.stem: p for p in sorted(BUILT_IN_DIR.glob("*.yaml"))}


def load_journey_map(name_or_path: str | Path = DEFAULT_JOURNEY) -> JourneyMap:
    """Load a shipped map by name (`ecommerce`) or a user's map by path."""
    path = Path(name_or_path)
    built_in = built_in_journeys()
    if str(name_or_path) in built_in:
        path = built_in[str(name_or_path)]
    elif not path.exists():
        raise ConfigError(
            f"journey map '{name_or_path}' not found; built-in maps: "
            f"{', '.join(built_in)} (or give a path to a YAML file)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read journey map {path}: {exc}") from exc
    return parse_journey_map(text, str(path))


def describe(journey: JourneyMap, lang: str = "en") -> dict[str, Any]:
    """A plain summary of a map for `voc journeys show`."""
    return {
        "name": journey.name,
        "source": journey.source,
        "stages": [{"id": s.id, "name": s.label(lang),
                    "keywords": sum(len(v) for v in s.keywords.values())}
                   for s in journey.stages],
        "touchpoints": [{"id": t.id, "name": t.label(lang), "stages": list(t.stages)}
                        for t in journey.touchpoints],
        "channel_map": journey.channel_map,
    }
