"""What `voc analyze` does around the pipeline when it runs with a store or alert rules:
compare with the previous run, evaluate the rules, and record the finished run."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voc.alerts.changes import compare, run_groups
from voc.alerts.rules import Rule, evaluate
from voc.pipeline.base import RunState, declaration
from voc.store.incremental import StoreRun
from voc.store.store import Store

log = logging.getLogger(__name__)


def carry_state(config: dict[str, Any], store: Store) -> dict[str, str]:
    """Start each stage that declares carried state (voc.pipeline.fields.CarriedState:
    the themes keep their ids stable this way) from the previous store run's output
    directory, unless the config already names one; return stage -> that directory."""
    previous = store.previous_run()
    if previous is None or not previous.get("out_dir"):
        return {}
    folder = Path(previous["out_dir"])
    carried = {}
    for name in config.get("pipeline") or []:
        carries = declaration(name).carries
        settings = config.get(name) or {}
        if carries is None or settings.get(carries.setting):
            continue
        if not all((folder / file).is_file() for file in carries.files):
            log.warning("the previous run's %s state is gone from %s; it starts afresh",
                        name, folder, extra={"event": "state_missing", "stage": name,
                                             "folder": str(folder)})
            continue
        config[name] = {**settings, carries.setting: str(folder)}
        carried[name] = str(folder)
    return carried


def add_changes_and_alerts(tables: RunState, run_id: str, store_run: StoreRun | None,
                           rules: list[Rule] | None) -> list[dict[str, Any]]:
    """Put `changes` (and `alerts`) into the run's documents; return this run's groups."""
    groups = run_groups(tables)
    if store_run is None and not rules:
        return groups
    previous_groups = None
    previous = store_run.previous if store_run else None
    if store_run is not None and previous is not None:
        previous_groups = store_run.store.run_groups(previous["run_id"])
    changes = compare(run_id, groups, previous_groups, previous)
    if previous is not None:
        changes["new_themes"] = [g["key"] for g in changes["groups"]
                                 if g["dimension"] == "theme" and g["new"]]
    for group in groups:
        if group["dimension"] == "theme":
            group["new_theme"] = previous_groups is not None and not any(
                g["dimension"] == "theme" and g["key"] == group["key"] for g in previous_groups)
    tables.documents["changes"] = changes
    if rules:
        tables.documents["alerts"] = evaluate(rules, changes)
    return groups


def manifest_section(store_run: StoreRun | None, tables: RunState) -> dict[str, Any] | None:
    if store_run is None:
        return None
    return {"path": str(store_run.store.path), "fingerprint": store_run.fingerprint,
            "previous_run_id": store_run.previous["run_id"] if store_run.previous else None,
            **store_run.counts}


def reused_models(store_run: StoreRun | None, models: Mapping[str, Any]) -> dict[str, Any]:
    """Model ids of the run: when every record was reused no model ran, so they come from
    the run that produced the analyses (same fingerprint, hence same models)."""
    if store_run is None or store_run.previous is None or "encoder" in models:
        return dict(models)
    previous = store_run.previous
    if previous.get("fingerprint") != store_run.fingerprint or not previous.get("models"):
        return dict(models)
    import json

    return {**json.loads(previous["models"]), **models}


def record_run(store_run: StoreRun | None, tables: RunState, manifest: Mapping[str, Any],
               groups: list[dict[str, Any]], out: Path) -> None:
    if store_run is None:
        return
    store_run.store.finish_run(
        store_run.run_id, records=tables.records, keys=store_run.keys,
        fingerprint=store_run.fingerprint, counts=store_run.counts, groups=groups,
        manifest=manifest, out_dir=out.resolve())
