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
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from voc.errors import ConfigError
from voc.io.yaml_files import load_yaml, validation_line

LANGS = ("fa", "en")


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


# The typed models of what users write (seeds in the pipeline config or the curation file,
# the curation file itself): a malformed entry is a one-line ConfigError naming the key and,
# for a file, its line, when the config is loaded, not when themes are fitted.

def _label(value: Any) -> Label:
    if value is None:
        return Label()
    if isinstance(value, Label):
        return value
    if isinstance(value, str):
        return Label(text=value.strip() or None)
    if isinstance(value, Mapping) and set(value) <= {"fa", "en", "text"}:
        texts = {k: str(v).strip() or None for k, v in value.items() if v is not None}
        return Label(text=texts.get("text"), fa=texts.get("fa"), en=texts.get("en"))
    raise ValueError("must be a text or a mapping with 'fa' and/or 'en'")


def _texts(value: Any) -> tuple[str, ...]:
    """A list of texts, or a mapping language -> list of texts (flattened)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Mapping):
        if not set(value) <= set(LANGS):
            raise ValueError(f"may only have the languages {', '.join(LANGS)}")
        value = [text for lang in LANGS for text in (value.get(lang) or [])]
    if not isinstance(value, list | tuple) or not all(isinstance(t, str | int | float)
                                                      and not isinstance(t, bool)
                                                      for t in value):
        raise ValueError("must be a list of texts")
    return tuple(str(t).strip() for t in value if str(t).strip())


def _name(value: Any) -> Any:
    # A number is a name too (YAML reads `name: 2024` as one).
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else value


def _theme_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) \
            or not str(value).lstrip("-").isdigit():
        raise ValueError(f"must be a theme id (a whole number), got {value!r}")
    return int(value)


LabelText = Annotated[Label, BeforeValidator(_label)]
Texts = Annotated[tuple[str, ...], BeforeValidator(_texts)]
ThemeId = Annotated[int, BeforeValidator(_theme_id)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeedSpec(_Spec):
    """One seed as written: `name`, an optional `label`, and `keywords` and/or
    `examples` (a list of texts, or a mapping fa/en -> list of texts)."""

    name: Annotated[str, BeforeValidator(_name), Field(min_length=1)]
    label: LabelText = Field(default_factory=Label)
    keywords: Texts = ()
    examples: Texts = ()

    @model_validator(mode="after")
    def _findable(self) -> SeedSpec:
        if not self.keywords and not self.examples:
            raise ValueError(f"seed '{self.name}' needs 'keywords' or 'examples' to find "
                             "its segments")
        return self

    def theme(self) -> SeedTheme:
        return SeedTheme(self.name, self.label, self.keywords, self.examples)


def _none_is_empty(value: Any) -> Any:
    return [] if value is None else value


def _unique_names(seeds: list[SeedSpec]) -> list[SeedSpec]:
    names = [seed.name for seed in seeds]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"seed name '{duplicates[0]}' is used twice")
    return seeds


#: A list of seeds (null: none), names unique.
Seeds = Annotated[list[SeedSpec], BeforeValidator(_none_is_empty),
                  AfterValidator(_unique_names)]


def _two_or_more(group: list[int]) -> list[int]:
    if len(group) < 2:
        raise ValueError("must list at least two theme ids")
    return group


def _some(parts: list[SeedSpec]) -> list[SeedSpec]:
    if not parts:
        raise ValueError("needs at least one named part with keywords")
    return parts


class SplitSpec(_Spec):
    theme: ThemeId
    into: Annotated[Seeds, AfterValidator(_some)]


class CurationSpec(_Spec):
    """The curation file as written (see the module's docstring)."""

    rename: dict[ThemeId, LabelText] = Field(default_factory=dict)
    merge: list[Annotated[list[ThemeId], AfterValidator(_two_or_more)]] = \
        Field(default_factory=list)
    split: list[SplitSpec] = Field(default_factory=list)
    pin: list[ThemeId] = Field(default_factory=list)
    seeds: Seeds = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _nulls_are_empty(cls, data: Any) -> Any:
        # `pin:` with nothing after it is no pins, not an error.
        if isinstance(data, Mapping):
            return {key: value for key, value in data.items() if value is not None}
        return data

    def curation(self) -> Curation:
        return Curation(
            rename=dict(self.rename), merge=tuple(tuple(group) for group in self.merge),
            split=tuple(Split(item.theme, tuple(seed.theme() for seed in item.into))
                        for item in self.split),
            pin=frozenset(self.pin), seeds=tuple(seed.theme() for seed in self.seeds))


class _SeedList(_Spec):
    seeds: Seeds


def parse_label(value: Any, where: str) -> Label:
    try:
        return _label(value)
    except ValueError as exc:
        raise ConfigError(f"{where} {exc}") from exc


def parse_seeds(value: Any, source: str) -> tuple[SeedTheme, ...]:
    """Seeds given as plain data (``source`` names where they come from)."""
    try:
        seeds = _SeedList(seeds=value).seeds
    except ValidationError as exc:
        raise ConfigError(validation_line(exc, "seeds", source, _SeedList)) from exc
    return tuple(seed.theme() for seed in seeds)


def parse_curation(data: Any, source: Path | str = "themes curation") -> Curation:
    """Validate a curation mapping; errors name the key to fix and, when ``source`` is the
    file it was read from, its line."""
    if data is None:
        return Curation()
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source} must be a mapping with any of: "
                          f"{', '.join(CurationSpec.model_fields)}")
    try:
        return CurationSpec.model_validate(dict(data)).curation()
    except ValidationError as exc:
        raise ConfigError(validation_line(exc, "themes curation file", source,
                                          CurationSpec)) from exc


def load_curation(path: str | Path | None) -> Curation:
    """The curation file at `path` (None: no curation)."""
    if path is None:
        return Curation()
    path = Path(path).expanduser()
    data = load_yaml(path, "themes curation file")
    return parse_curation(data, path)
