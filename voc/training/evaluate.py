"""Score sentiment/emotion predictions against gold labels, and print the result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from voc.errors import InputError
from voc.heads.labels import labels_for
from voc.training.recipes import EVAL_MODES, EvalMode

if TYPE_CHECKING:
    from voc.heads.predict import FeedbackClassifier

NOT_NEGATIVE = "not_negative"
BINARY_LABELS = ("negative", "positive")


def score(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix.

    ``confusion[i][j]`` counts gold ``labels[i]`` predicted as ``labels[j]``. A class with no
    predictions has precision 0, one with no gold rows recall 0 (the usual convention); the
    macro average is over the classes that occur in gold or predictions, so an unused class
    of a broader label set does not drag it down.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    if not gold:
        raise InputError("nothing to evaluate: no labelled rows")
    position = {label: i for i, label in enumerate(labels)}
    stray = sorted({*gold, *predicted} - position.keys())
    if stray:
        raise InputError(f"labels {stray} are not among {list(labels)}")
    confusion = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for g, p in zip(gold, predicted, strict=True):
        confusion[position[g], position[p]] += 1
    true_pos = np.diag(confusion).astype(np.float64)
    predicted_n = confusion.sum(axis=0).astype(np.float64)
    support = confusion.sum(axis=1)
    precision = np.divide(true_pos, predicted_n, out=np.zeros_like(true_pos),
                          where=predicted_n > 0)
    recall = np.divide(true_pos, support, out=np.zeros_like(true_pos), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(true_pos), where=denom > 0)
    present = (support > 0) | (predicted_n > 0)
    return {
        "n": len(gold),
        "labels": list(labels),
        "accuracy": float(true_pos.sum() / len(gold)),
        "macro_f1": float(f1[present].mean()),
        "per_class": {
            label: {"precision": float(precision[i]), "recall": float(recall[i]),
                    "f1": float(f1[i]), "support": int(support[i])}
            for i, label in enumerate(labels)
        },
        "confusion": confusion.tolist(),
    }


def predict_labels(
    probs: np.ndarray, task_labels: Sequence[str], mode: EvalMode = "all"
) -> tuple[list[str], tuple[str, ...]]:
    """Predicted labels for ``mode`` and the label set they are scored over."""
    task_labels = tuple(task_labels)
    if mode == "all":
        return [task_labels[i] for i in probs.argmax(axis=1)], task_labels
    _require_sentiment_labels(task_labels, mode)
    neg = task_labels.index("negative")
    if mode == "binary":
        pos = task_labels.index("positive")
        chosen = np.where(probs[:, neg] >= probs[:, pos], "negative", "positive")
        return chosen.tolist(), BINARY_LABELS
    is_negative = probs.argmax(axis=1) == neg
    return ["negative" if n else NOT_NEGATIVE for n in is_negative], ("negative", NOT_NEGATIVE)


def gold_for_mode(gold: Sequence[str], mode: EvalMode) -> list[str]:
    """Gold labels as scored in ``mode``; ``binary`` needs negative/positive gold only."""
    if mode == "negative_vs_rest":
        if "negative" not in gold:
            raise InputError(
                "negative-vs-rest scoring needs gold 'negative' rows; map the complaint or "
                "negative label to 'negative' with --label-map (e.g. '1=negative,0=other')"
            )
        return ["negative" if g == "negative" else NOT_NEGATIVE for g in gold]
    if mode == "binary" and (other := sorted(set(gold) - set(BINARY_LABELS))):
        raise InputError(
            f"binary scoring needs negative/positive gold labels only; found {other}"
        )
    return list(gold)


def _require_sentiment_labels(labels: tuple[str, ...], mode: str) -> None:
    if "negative" not in labels or "positive" not in labels:
        raise InputError(f"mode {mode!r} only applies to the sentiment task")


def evaluate(
    task: str,
    texts: Sequence[str],
    gold_labels: Sequence[str],
    classifier: FeedbackClassifier,
    *,
    mode: EvalMode = "all",
) -> dict[str, Any]:
    """Classify ``texts`` and score the ``task`` head against ``gold_labels``."""
    if mode not in EVAL_MODES:
        raise InputError(f"unknown mode {mode!r}; expected one of {', '.join(EVAL_MODES)}")
    task_labels = labels_for(task)
    if len(texts) != len(gold_labels):
        raise ValueError(f"{len(texts)} texts but {len(gold_labels)} gold labels")
    gold = gold_for_mode(gold_labels, mode)
    predictions = classifier.run(texts)
    probs = predictions.sentiment_probs if task == "sentiment" else predictions.emotion_probs
    predicted, labels = predict_labels(probs, task_labels, mode)
    return {"task": task, "mode": mode, **score(gold, predicted, labels)}


def format_report(result: dict[str, Any]) -> str:
    """A terminal table: headline numbers, per-class P/R/F1/support, confusion matrix."""
    labels: list[str] = result["labels"]
    title = f"{result.get('task', '')} ({result.get('mode', 'all')})".strip()
    width = max(9, *(len(label) for label in labels)) + 1
    lines = [
        f"{title}: n={result['n']}  accuracy={result['accuracy']:.4f}  "
        f"macro-F1={result['macro_f1']:.4f}",
        "",
        f"{'class':<{width}} precision  recall     f1  support",
    ]
    for label in labels:
        c = result["per_class"][label]
        lines.append(f"{label:<{width}} {c['precision']:9.3f} {c['recall']:7.3f} "
                     f"{c['f1']:6.3f} {c['support']:8d}")
    lines += ["", "confusion (rows: gold, columns: predicted)"]
    cell = max(6, *(len(label) for label in labels)) + 1
    lines.append(" " * width + "".join(f"{label[:cell - 1]:>{cell}}" for label in labels))
    for label, row in zip(labels, result["confusion"], strict=True):
        lines.append(f"{label:<{width}}" + "".join(f"{v:>{cell}d}" for v in row))
    return "\n".join(lines)
