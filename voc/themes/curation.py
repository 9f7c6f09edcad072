"""What a researcher tells the theme model: seeded themes and a curation file.

Seeds (in the pipeline config's `themes.seeds`, or in the curation file) name themes a
team expects; segments close to a seed go to it, the rest is discovered:

    seeds:
      - name: late_delivery
        label: {en: Late delivery, fa: تأخیر در ارسال}
        keywords: {en: [late, delay, "late delivery"], fa: [دیر, تأخیر]}

The curation file (`themes.yaml`, passed with `--themes` or `themes.curation`) edits the
themes of a run by their ids, which stay stable across runs that point
`--previous-themes` at the earlier run:

    rename:
      3: {en: Late delivery, fa: تأخیر در ارسال}
      5: Payment failures
    merge:
      - [4, 7]            # 7 joins 4
    split:
      - theme: 5
        into:
          - name: card_declined
            label: {en: Card declined, fa: رد شدن کارت}
            keywords: [declined, رد شد]
    pin: [3, 4]           # keep these themes as seeds in later runs
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voc.errors import ConfigError
from voc.io.yaml_files import load_yaml

LANGS = ("fa", "en")
_CURATION_KEYS = {"rename", "merge", "split", "pin", "seeds"}
_SEED_KEYS = {"name", "label", "keywords", "examples"}


@dataclass(frozen=True)
class Label:
    """A theme name in each language; `text` is the one shown when no language is asked."""

    text: str | None = None
    fa: str | None = None
    en: str | None = None


@dataclass(frozen=True)
class SeedTheme:
    """An expected theme: segments holding its keywords anchor it, similar ones join."""

    name: str
    label: Label = field(default_factory=Label)
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Split:
    theme: int
    into: tuple[SeedTheme, ...]


@dataclass(frozen=True)
class Curation:
    rename: dict[int, Label] = field(default_factory=dict)
    merge: tuple[tuple[int, ...], ...] = ()
    split: tuple[Split, ...] = ()
    pin: frozenset[int] = frozenset()
    seeds: tuple[SeedTheme, ...] = ()


def _where(source: str, key: str) -> str:
    return f"{source}: '{key}'"


def parse_label(value: Any, where: str) -> Label:
    if value is None:
        return Label()
    if isinstance(value, str):
        return Label(text=value.strip() or None)
    if isinstance(value, Mapping) and set(value) <= {"fa", "en", "text"}:
        texts = {k: str(v).strip() or None for k, v in value.items() if v is not None}
        return Label(text=texts.get("text"), fa=texts.get("fa"), en=texts.get("en"))
    raise ConfigError(f"{where} must be a text or a mapping with 'fa' and/or 'en'")


def _texts(value: Any, where: str) -> tuple[str, ...]:
    """A list of texts, or a mapping language -> list of texts (flattened)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Mapping):
        if not set(value) <= set(LANGS):
            raise ConfigError(f"{where} may only have the languages {', '.join(LANGS)}")
        value = [text for lang in LANGS for text in (value.get(lang) or [])]
    if not isinstance(value, list) or not all(isinstance(t, str | int | float) for t in value):
        raise ConfigError(f"{where} must be a list of texts")
    return tuple(str(t).strip() for t in value if str(t).strip())


def parse_seed(value: Any, where: str) -> SeedTheme:
    if not isinstance(value, Mapping) or not value.get("name"):
        raise ConfigError(f"{where} must be a mapping with at least 'name' and 'keywords'")
    unknown = sorted(set(value) - _SEED_KEYS)
    if unknown:
        raise ConfigError(f"{where} has unknown key '{unknown[0]}'; known: "
                          f"{', '.join(sorted(_SEED_KEYS))}")
    seed = SeedTheme(
        name=str(value["name"]),
        label=parse_label(value.get("label"), f"{where}.label"),
        keywords=_texts(value.get("keywords"), f"{where}.keywords"),
        examples=_texts(value.get("examples"), f"{where}.examples"),
    )
    if not seed.keywords and not seed.examples:
        raise ConfigError(f"{where} ('{seed.name}') needs 'keywords' or 'examples' to find "
                          "its segments")
    return seed


def parse_seeds(value: Any, source: str) -> tuple[SeedTheme, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{_where(source, 'seeds')} must be a list of themes")
    seeds = tuple(parse_seed(item, f"{source}: seeds[{i}]") for i, item in enumerate(value))
    names = [s.name for s in seeds]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{source}: seed name '{duplicates[0]}' is used twice")
    return seeds


def _theme_id(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) \
            or not str(value).lstrip("-").isdigit():
        raise ConfigError(f"{where} must be a theme id (a whole number), got {value!r}")
    return int(value)


def parse_curation(data: Any, source: str = "themes curation") -> Curation:
    """Validate a curation mapping; errors name the file and key to fix."""
    if data is None:
        return Curation()
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source} must be a mapping with any of: "
                          f"{', '.join(sorted(_CURATION_KEYS))}")
    unknown = sorted(set(data) - _CURATION_KEYS)
    if unknown:
        raise ConfigError(f"{source}: unknown key '{unknown[0]}'; known: "
                          f"{', '.join(sorted(_CURATION_KEYS))}")
    rename_raw = data.get("rename") or {}
    if not isinstance(rename_raw, Mapping):
        raise ConfigError(f"{_where(source, 'rename')} must map theme ids to labels")
    rename = {_theme_id(k, f"{source}: rename key"): parse_label(v, f"{source}: rename.{k}")
              for k, v in rename_raw.items()}
    merge_raw = data.get("merge") or []
    if not isinstance(merge_raw, list):
        raise ConfigError(f"{_where(source, 'merge')} must be a list of id lists")
    merge = []
    for i, group in enumerate(merge_raw):
        if not isinstance(group, list) or len(group) < 2:
            raise ConfigError(f"{source}: merge[{i}] must list at least two theme ids")
        merge.append(tuple(_theme_id(t, f"{source}: merge[{i}]") for t in group))
    split_raw = data.get("split") or []
    if not isinstance(split_raw, list):
        raise ConfigError(f"{_where(source, 'split')} must be a list")
    splits = []
    for i, item in enumerate(split_raw):
        if not isinstance(item, Mapping) or "theme" not in item or not item.get("into"):
            raise ConfigError(f"{source}: split[{i}] needs 'theme' (an id) and 'into' "
                              "(a list of named parts with keywords)")
        parts = parse_seeds(item["into"], f"{source}: split[{i}]")
        splits.append(Split(_theme_id(item["theme"], f"{source}: split[{i}].theme"), parts))
    pin_raw = data.get("pin") or []
    if not isinstance(pin_raw, list):
        raise ConfigError(f"{_where(source, 'pin')} must be a list of theme ids")
    return Curation(
        rename=rename, merge=tuple(merge), split=tuple(splits),
        pin=frozenset(_theme_id(t, f"{source}: pin") for t in pin_raw),
        seeds=parse_seeds(data.get("seeds"), source),
    )


def load_curation(path: str | Path | None) -> Curation:
    """The curation file at `path` (None: no curation)."""
    if path is None:
        return Curation()
    path = Path(path).expanduser()
    data = load_yaml(path, "themes curation file")
    return parse_curation(data, str(path))
