"""Alert rules: conditions on a run's changes that a scheduler should hear about.

```yaml
rules:
  - name: NPS of the payment stage drops by more than 5 points
    metric: nps            # nps | sentiment | share | pain_points | records
    dimension: stage       # overall (default) | theme | stage | touchpoint | channel | stage_pain
    key: payment           # optional: every group of the dimension when left out
    drops_by: 5            # one or more of: drops_by, rises_by, below, above
    significant: true      # optional: only when the shift is statistically significant
  - name: a new theme above 2% share
    metric: share
    dimension: theme
    new: true              # optional: only groups absent from the previous run
    above: 0.02
```

A rule fires for each group that meets all its conditions. `drops_by`/`rises_by` need
a previous run; without one the rule is listed as skipped, never as fired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voc.alerts.changes import DIMENSIONS
from voc.errors import ConfigError
from voc.io.yaml_files import load_yaml, yaml_line

METRICS = ("nps", "sentiment", "share", "pain_points", "records")
_CONDITIONS = ("drops_by", "rises_by", "below", "above")
_KEYS = {"name", "metric", "dimension", "key", "new", "significant", *_CONDITIONS}


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str
    dimension: str = "overall"
    key: str | None = None
    drops_by: float | None = None
    rises_by: float | None = None
    below: float | None = None
    above: float | None = None
    new: bool = False
    significant: bool = False

    @property
    def needs_previous(self) -> bool:
        return self.drops_by is not None or self.rises_by is not None or self.new \
            or self.significant


def load_rules(path: Path) -> list[Rule]:
    """Parse and validate a rules file; errors name the file, the rule, its line and the
    field to fix."""
    loaded = load_yaml(path, "alert rules file")
    # The rules sit under `rules:`, or are the whole file.
    at: list[str | int] = ["rules"] if isinstance(loaded, Mapping) else []
    entries = loaded.get("rules") if isinstance(loaded, Mapping) else loaded
    if not isinstance(entries, list) or not entries:
        line = yaml_line(path, at) if at else None
        raise ConfigError(f"alert rules {path}" + (f", line {line}" if line else "")
                          + " must hold a non-empty list under 'rules:'")
    return [_rule(path, index, entry, [*at, index - 1])
            for index, entry in enumerate(entries, 1)]


def _rule(path: Path, index: int, entry: Any, at: list[str | int]) -> Rule:
    def where(field: str | None = None) -> str:
        # The field's line when the rule has it, else the rule's own.
        line = yaml_line(path, [*at, field] if field else at)
        return f"alert rules {path}, rule {index}" + (f", line {line}" if line else "")

    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where()}: must be a mapping with name, metric and a condition")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise ConfigError(f"{where(unknown[0])}: unknown field '{unknown[0]}'; known: "
                          f"{', '.join(sorted(_KEYS))}")
    name = entry.get("name") or f"rule {index}"
    metric = entry.get("metric")
    if metric not in METRICS:
        raise ConfigError(f"{where('metric')}: metric must be one of {', '.join(METRICS)}; "
                          f"got {metric!r}")
    # Unset fields take Rule's defaults (its class attributes), defined there once.
    dimension = entry.get("dimension", Rule.dimension)
    if dimension not in DIMENSIONS:
        raise ConfigError(f"{where('dimension')}: dimension must be one of "
                          f"{', '.join(DIMENSIONS)}; got {dimension!r}")
    conditions = {}
    for condition in _CONDITIONS:
        value = entry.get(condition)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where(condition)}: {condition} must be a number; "
                              f"got {value!r}")
        conditions[condition] = float(value)
    if not conditions and not entry.get("new"):
        raise ConfigError(f"{where()}: give a condition ({', '.join(_CONDITIONS)}) or new: true")
    if metric == "share" and dimension not in ("theme", "stage", "touchpoint"):
        raise ConfigError(f"{where('dimension')}: share is defined for theme, stage and "
                          "touchpoint")
    for flag in ("new", "significant"):
        if not isinstance(entry.get(flag, getattr(Rule, flag)), bool):
            raise ConfigError(f"{where(flag)}: {flag} must be true or false")
    return Rule(name=str(name), metric=metric, dimension=dimension,
                key=None if entry.get("key") is None else str(entry["key"]),
                new=entry.get("new", Rule.new),
                significant=entry.get("significant", Rule.significant),
                **conditions)


def _fires(rule: Rule, group: Mapping[str, Any]) -> dict[str, Any] | None:
    current = group["current"].get(rule.metric)
    previous = (group["previous"] or {}).get(rule.metric)
    if current is None:
        return None
    change = None if previous is None else current - previous
    checks = []
    if rule.new:
        checks.append(bool(group.get("new")))
    if rule.below is not None:
        checks.append(current < rule.below)
    if rule.above is not None:
        checks.append(current > rule.above)
    if rule.drops_by is not None:
        checks.append(change is not None and -change > rule.drops_by)
    if rule.rises_by is not None:
        checks.append(change is not None and change > rule.rises_by)
    if rule.significant:
        checks.append(bool(group.get(f"{rule.metric}_significant")))
    if not all(checks):
        return None
    return {
        "rule": rule.name, "metric": rule.metric, "dimension": group["dimension"],
        "key": group["key"], "label": group["label"], "current": current,
        "previous": previous, "change": None if change is None else round(change, 4),
        "p_value": group.get(f"{rule.metric}_p"), "q_value": group.get(f"{rule.metric}_q"),
        "new": group.get("new", False),
    }


def evaluate(rules: list[Rule], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`DIR/alerts.json`: every (rule, group) that fired, and rules that could not run."""
    fired, skipped = [], []
    has_previous = changes.get("previous_run_id") is not None
    for rule in rules:
        if rule.needs_previous and not has_previous:
            skipped.append({"rule": rule.name, "reason": "no previous run in the store"})
            continue
        for group in changes["groups"]:
            if group["dimension"] != rule.dimension:
                continue
            if rule.key is not None and group["key"] != rule.key:
                continue
            alert = _fires(rule, group)
            if alert:
                fired.append(alert)
    return {"run_id": changes["run_id"], "previous_run_id": changes.get("previous_run_id"),
            "rules": len(rules), "fired": fired, "skipped": skipped}
