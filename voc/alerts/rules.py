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

The file is read into typed models (`Rule`, `RulesFile`); what the models reject is a
one-line `ConfigError` naming the file, the rule and the line to fix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from voc.alerts.changes import DIMENSIONS
from voc.errors import ConfigError
from voc.io.yaml_files import load_yaml, yaml_line

Metric = Literal["nps", "sentiment", "share", "pain_points", "records"]
# The dimensions voc.alerts.changes compares (tests check the two lists agree).
Dimension = Literal["overall", "theme", "stage", "touchpoint", "channel", "stage_pain"]
METRICS: tuple[str, ...] = get_args(Metric)
_CONDITIONS = ("drops_by", "rises_by", "below", "above")
# The scale of each metric, which `below`/`above` must lie within.
_SCALES: dict[str, tuple[float, float]] = {
    "nps": (-100, 100), "sentiment": (-1, 1), "share": (0, 1),
    "pain_points": (0, math.inf), "records": (0, math.inf)}
_SHARE_DIMENSIONS = ("theme", "stage", "touchpoint")


def _number(value: Any) -> Any:
    # A number as YAML reads one: not `true`, not the text "5".
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    raise ValueError("must be a number")


def _text(value: Any) -> Any:
    # YAML reads `key: 2024` as a number; it is the group's key all the same.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else value


Number = Annotated[float | None, BeforeValidator(_number), Field(allow_inf_nan=False)]
Change = Annotated[float | None, BeforeValidator(_number),
                   Field(ge=0, allow_inf_nan=False)]
Text = Annotated[str, BeforeValidator(_text)]


class Rule(BaseModel):
    """One rule; unset fields take the defaults below, defined here once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[Text, Field(min_length=1)]
    metric: Metric
    dimension: Dimension = "overall"
    key: Text | None = None
    drops_by: Change = None
    rises_by: Change = None
    below: Number = None
    above: Number = None
    new: StrictBool = False
    significant: StrictBool = False

    def __init__(self, *args: Any, **fields: Any) -> None:
        # `Rule("drop", "nps", drops_by=5)`, as the rule reads: name and metric first.
        super().__init__(**dict(zip(("name", "metric"), args, strict=False)), **fields)

    @model_validator(mode="after")
    def _meaningful(self) -> Rule:
        if all(getattr(self, c) is None for c in _CONDITIONS) and not self.new:
            raise PydanticCustomError(
                "rule", "give a condition ({conditions}) or new: true",
                {"conditions": ", ".join(_CONDITIONS)})
        if self.metric == "share" and self.dimension not in _SHARE_DIMENSIONS:
            raise PydanticCustomError(
                "rule", "share is defined for theme, stage and touchpoint",
                {"field": "dimension"})
        low, high = _SCALES[self.metric]
        for field in ("below", "above"):
            value = getattr(self, field)
            if value is not None and not low <= value <= high:
                scale = f"between {low:g} and {high:g}" if high < math.inf \
                    else f"at least {low:g}"
                raise PydanticCustomError(
                    "rule", "{field} must be " + scale + " for metric {metric}"
                    + (" (a fraction: 0.02 is 2%)" if self.metric == "share" else "")
                    + "; got {value}", {"field": field, "metric": self.metric,
                                        "value": f"{value:g}"})
        return self

    @property
    def needs_previous(self) -> bool:
        return self.drops_by is not None or self.rises_by is not None or self.new \
            or self.significant


def _named(entries: Any) -> Any:
    # A rule without a name is called by its position.
    if not isinstance(entries, list):
        return entries
    return [{**entry, "name": entry.get("name") or f"rule {index}"}
            if isinstance(entry, Mapping) else entry
            for index, entry in enumerate(entries, 1)]


class RulesFile(BaseModel):
    """The rules file: a non-empty list under `rules:` (or the list itself)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: Annotated[list[Rule], BeforeValidator(_named), Field(min_length=1)]


def load_rules(path: Path) -> list[Rule]:
    """Parse and validate a rules file; errors name the file, the rule, its line and the
    field to fix."""
    loaded = load_yaml(path, "alert rules file")
    # The rules sit under `rules:`, or are the whole file.
    in_mapping = isinstance(loaded, Mapping)
    try:
        return RulesFile.model_validate(loaded if in_mapping else {"rules": loaded}).rules
    except ValidationError as exc:
        raise ConfigError(_error_line(exc, path, in_mapping)) from exc


def _error_line(exc: ValidationError, path: Path, in_mapping: bool) -> str:
    """The first problem (an unknown field before the others of its rule) as one line."""
    errors = exc.errors()
    error = min(errors, key=lambda e: (e["loc"][1:2] if e["loc"][:1] == ("rules",)
                                       and len(e["loc"]) > 1 else (-1,),
                                       e["type"] != "extra_forbidden"))
    loc = list(error["loc"])
    # Where the key is in the file: the rules' list is the file itself unless in_mapping.
    at = loc if in_mapping else loc[1:]
    if len(loc) < 2 or loc[0] != "rules":
        line = yaml_line(path, at) if at else None
        where = f"alert rules {path}" + (f", line {line}" if line else "")
        if error["type"] == "extra_forbidden":
            return f"{where}: unknown key '{loc[0]}'; known keys here: rules"
        return f"{where} must hold a non-empty list under 'rules:'"
    index = int(loc[1]) + 1
    field = loc[2] if len(loc) > 2 else (error.get("ctx") or {}).get("field")
    line = yaml_line(path, [*at[:2 if in_mapping else 1], *([field] if field else [])])
    where = f"alert rules {path}, rule {index}" + (f", line {line}" if line else "")
    return f"{where}: {_problem(error, field)}"


def _problem(error: ErrorDetails, field: Any) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "model_type":
        return "must be a mapping with name, metric and a condition"
    if kind == "extra_forbidden":
        return f"unknown field '{field}'; known: {', '.join(sorted(Rule.model_fields))}"
    if kind == "literal_error":
        choices = {"metric": METRICS, "dimension": DIMENSIONS}.get(str(field), ())
        return f"{field} must be one of {', '.join(choices)}; got {value!r}"
    if kind == "bool_type":
        return f"{field} must be true or false"
    if kind == "missing":
        return f"required field '{field}' is missing"
    if kind == "rule":
        return str(error["msg"])
    message = str(error["msg"]).removeprefix("Value error, ").rstrip(".")
    if kind == "value_error":
        return f"{field} {message}; got {value!r}"
    return f"{field} = {value!r} is not allowed: {message}"


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
