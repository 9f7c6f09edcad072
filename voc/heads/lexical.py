"""Lexical experts beside the neural heads: TF-IDF n-grams into logistic regression.

One tuned encoder layer is what the inference budget allows, and on its own it misses much
of what words and word pieces say: on the held-out splits, character and word n-grams alone
beat the tuned layer on Persian emotion, and the two disagree often enough that their
product beats both (model card). The n-gram model costs a few percent of the encoder's
time, so each task's probabilities are a log-linear mix of the two,
``softmax((1 - w) log p_neural + w log p_lexical)``, with ``w`` fitted on the dev split per
script (Persian and Latin text weigh the experts differently).

Everything is stored as tensors and plain lists (vocabularies, idf, coefficients) in the
heads file: no pickle, and the vectorizers are rebuilt from them at load time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from voc.heads.labels import TASKS, labels_for
from voc.language.script import has_persian_letter

TENSOR_PREFIX = "lexical."
SCRIPT_GROUPS = ("persian", "latin")
# Arabic letter forms and digits that Persian text mixes in, mapped to one spelling, so
# training files and pipeline-normalized segments yield the same n-grams.
_UNIFY = str.maketrans({
    "ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "\u200c": " ", "\u200f": None, "\u200e": None,
    **{chr(0x06F0 + i): str(i) for i in range(10)},
    **{chr(0x0660 + i): str(i) for i in range(10)},
})
# Word tokens include one-letter words: Persian has meaningful ones ("و", "نه" is two).
_WORD_PATTERN = r"(?u)\b\w+\b"
# The weight grid the dev split chooses from; 0 keeps the neural head alone.
_WEIGHT_GRID = np.round(np.linspace(0.0, 1.0, 21), 2)


def lexical_text(text: str) -> str:
    """The form both training and inference featurize: unified letters, case-folded."""
    return text.translate(_UNIFY).casefold()


def script_group(text: str) -> str:
    """``persian`` when the text has Arabic-script letters (voc.language.script), else
    ``latin``."""
    return "persian" if has_persian_letter(text) else "latin"


@dataclass(frozen=True)
class LexicalOptions:
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    min_df: int = 2
    # Per script group: Persian and Latin n-grams hardly overlap, and one shared budget let
    # the larger English corpus crowd Persian features out (ArmanEmo lost 1.3 points).
    max_char_features: int = 120_000
    max_word_features: int = 50_000
    # Inverse regularisation strength of the logistic regressions (chosen over 2, 4, 8 on
    # the dev split; all three within a point of each other).
    c: float = 4.0
    # After a first fit over the candidate n-grams above, each script keeps the n-grams its
    # regressions weigh most and the regressions are refitted on those: the shipped heads
    # live in git, and the full vocabulary made the file 18 MB for about half a point of F1.
    # None keeps every candidate.
    kept_features: int | None = 20_000


# A fixed vocabulary as TfidfVectorizer takes it: the terms, or term -> column.
_Vocabulary = Sequence[str] | Mapping[str, int]


def _vectorizers(options: LexicalOptions, vocabularies: Sequence[_Vocabulary] | None = None,
                 ) -> list[Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    common: dict[str, Any] = {"sublinear_tf": True, "dtype": np.float32, "lowercase": False}
    char_vocab, word_vocab = vocabularies if vocabularies is not None else (None, None)
    return [
        TfidfVectorizer(analyzer="char_wb", ngram_range=options.char_ngrams,
                        min_df=options.min_df, max_features=options.max_char_features,
                        vocabulary=char_vocab, **common),
        TfidfVectorizer(analyzer="word", ngram_range=options.word_ngrams,
                        token_pattern=_WORD_PATTERN, min_df=options.min_df,
                        max_features=options.max_word_features, vocabulary=word_vocab,
                        **common),
    ]


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    out = np.exp(shifted)
    return out / out.sum(axis=1, keepdims=True)


def _log(probs: np.ndarray) -> np.ndarray:
    return np.log(np.clip(probs, 1e-7, 1.0))


def mix_probs(neural: np.ndarray, lexical: np.ndarray, weight: float | np.ndarray) -> np.ndarray:
    """``softmax((1 - w) log neural + w log lexical)``; ``w`` a number or one per row."""
    w = np.asarray(weight, dtype=np.float64).reshape(-1, 1) if np.ndim(weight) else weight
    return _softmax((1 - w) * _log(neural) + w * _log(lexical)).astype(np.float32)


@dataclass
class LexicalModel:
    """Shared n-gram features and a logistic regression per task and script group.

    ``coef[task][group]`` is ``(labels, features)`` over the char then word vocabulary; a
    label the group's training rows never had keeps a very low intercept, so it is never
    predicted. Regressions are per script because the languages' label priors differ
    (GoEmotions is mostly neutral, ArmanEmo is not) and one intercept cannot serve both.
    ``weights[task][group]`` is the lexical share of the mix for that group.
    """

    options: LexicalOptions
    char_vocab: list[str]
    word_vocab: list[str]
    char_idf: np.ndarray
    word_idf: np.ndarray
    coef: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    intercept: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    _built: list[Any] | None = field(default=None, repr=False, compare=False)

    # --- fitting ----------------------------------------------------------------------

    @classmethod
    def fit(cls, texts: Sequence[str], targets: np.ndarray,
            options: LexicalOptions | None = None, seed: int = 13) -> LexicalModel:
        """Fit the vocabulary on all ``texts`` and a regression per task and script group
        on its labelled rows; ``targets`` is ``(texts, tasks)`` label indices in ``TASKS``
        order, -1 where a text has no label for a task."""

        options = options or LexicalOptions()
        prepared = [lexical_text(t) for t in texts]
        groups = np.array([script_group(t) for t in texts])
        model = cls._fit_regressions(prepared, groups, targets, options, seed,
                                     _fit_vocabularies(texts, prepared, options))
        if options.kept_features is not None:
            model = cls._fit_regressions(prepared, groups, targets, options, seed,
                                         model._important_vocabularies(options.kept_features))
        return model

    @classmethod
    def _fit_regressions(cls, prepared: Sequence[str], groups: np.ndarray, targets: np.ndarray,
                         options: LexicalOptions, seed: int,
                         vocabularies: tuple[list[str], list[str]]) -> LexicalModel:
        from sklearn.linear_model import LogisticRegression

        vectorizers = _vectorizers(options, vocabularies)
        blocks = [v.fit_transform(prepared) for v in vectorizers]
        features = sparse.hstack(blocks, format="csr")
        model = cls(
            options=options,
            char_vocab=_ordered_vocabulary(vectorizers[0]),
            word_vocab=_ordered_vocabulary(vectorizers[1]),
            char_idf=vectorizers[0].idf_.astype(np.float32),
            word_idf=vectorizers[1].idf_.astype(np.float32),
        )
        for slot, task in enumerate(TASKS):
            gold = np.asarray(targets)[:, slot]
            for group in SCRIPT_GROUPS:
                rows = np.flatnonzero((gold >= 0) & (groups == group))
                if len(np.unique(gold[rows])) < 2:
                    continue
                clf = LogisticRegression(C=options.c, max_iter=3000, class_weight="balanced",
                                         random_state=seed)
                clf.fit(features[rows], gold[rows])
                coef, intercept = _full_coefficients(clf, len(labels_for(task)),
                                                     features.shape[1])
                model.coef.setdefault(task, {})[group] = coef
                model.intercept.setdefault(task, {})[group] = intercept
        return model

    def _important_vocabularies(self, per_group: int) -> tuple[list[str], list[str]]:
        """Each script group's ``per_group`` n-grams with the largest weight in any of its
        regressions (after scaling by idf, so weights compare across n-grams), shared
        between char and word n-grams as the candidate budgets are, merged over groups."""
        options = self.options
        word_share = options.max_word_features / (options.max_char_features
                                                   + options.max_word_features)
        n_word = max(1, round(per_group * word_share))
        budgets = ((self.char_vocab, self.char_idf, slice(0, len(self.char_vocab)),
                    max(1, per_group - n_word)),
                   (self.word_vocab, self.word_idf, slice(len(self.char_vocab), None), n_word))
        kept: list[list[str]] = []
        for vocab, idf, columns, budget in budgets:
            chosen: set[int] = set()
            for group in SCRIPT_GROUPS:
                weights = [np.abs(by_group[group][:, columns]).max(axis=0)
                           for by_group in self.coef.values() if group in by_group]
                if weights:
                    importance = np.max(weights, axis=0) * idf
                    top = np.argsort(-importance, kind="stable")[:budget]
                    chosen.update(top[importance[top] > 0].tolist())
            kept.append([vocab[i] for i in sorted(chosen)])
        return kept[0], kept[1]

    def fit_weights(self, texts: Sequence[str], neural: Mapping[str, np.ndarray],
                    targets: np.ndarray) -> dict[str, dict[str, float]]:
        """Choose each task's and script group's lexical share by dev-split log-loss."""
        groups = np.array([script_group(t) for t in texts])
        lexical = self.probs(texts, groups)
        for slot, task in enumerate(TASKS):
            gold = np.asarray(targets)[:, slot]
            self.weights[task] = {}
            for group in self.coef.get(task, {}):
                rows = np.flatnonzero((gold >= 0) & (groups == group))
                if len(rows) == 0:
                    continue
                losses = [_log_loss(mix_probs(neural[task][rows], lexical[task][rows], w),
                                    gold[rows]) for w in _WEIGHT_GRID]
                self.weights[task][group] = float(_WEIGHT_GRID[int(np.argmin(losses))])
        return self.weights

    # --- inference --------------------------------------------------------------------

    def build(self) -> LexicalModel:
        """Rebuild the vectorizers from the stored vocabularies (importing scikit-learn takes
        about a second: loading a heads file does it, not the first batch)."""
        if self._built is None:
            vocabularies = ({term: i for i, term in enumerate(self.char_vocab)},
                            {term: i for i, term in enumerate(self.word_vocab)})
            vectorizers = _vectorizers(self.options, vocabularies)
            for vectorizer, idf in zip(vectorizers, (self.char_idf, self.word_idf),
                                       strict=True):
                vectorizer.idf_ = idf.astype(np.float64)
            self._built = vectorizers
        return self

    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        built = self.build()._built
        assert built is not None
        prepared = [lexical_text(t) for t in texts]
        return sparse.hstack([v.transform(prepared) for v in built], format="csr")

    def probs(self, texts: Sequence[str], groups: np.ndarray | None = None
              ) -> dict[str, np.ndarray]:
        """Each fitted task's lexical probabilities, ``(texts, labels)``; rows of a script
        group without a regression for the task are uniform (and get no mixing weight).
        ``groups`` are the texts' script groups when the caller has them already."""
        out = {task: np.full((len(texts), len(labels_for(task))), 1 / len(labels_for(task)),
                             dtype=np.float32) for task in self.coef}
        if not self.coef or not texts:
            return out
        features = self.features(texts)
        if groups is None:
            groups = np.array([script_group(t) for t in texts])
        for task, by_group in self.coef.items():
            for group, coef in by_group.items():
                rows = np.flatnonzero(groups == group)
                if len(rows):
                    logits = np.asarray(features[rows] @ coef.T) + self.intercept[task][group]
                    out[task][rows] = _softmax(logits)
        return out

    def mix(self, neural: Mapping[str, np.ndarray], texts: Sequence[str],
            lexical: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """The neural probabilities mixed with the lexical ones where a weight was fitted;
        ``lexical`` is :meth:`probs` of ``texts`` when the caller has it already."""
        out = dict(neural)
        tasks = [t for t in self.coef if any(self.weights.get(t, {}).values())]
        if not tasks or not texts:
            return out
        groups = np.array([script_group(t) for t in texts])
        if lexical is None:
            lexical = self.probs(texts, groups)
        for task in tasks:
            weights = {g: w for g, w in self.weights[task].items() if g in self.coef[task]}
            weight = np.array([weights.get(g, 0.0) for g in groups])
            out[task] = mix_probs(neural[task], lexical[task], weight)
        return out

    # --- storage ----------------------------------------------------------------------

    def as_stored(self) -> LexicalModel:
        """This model as a heads file will load it back (int8 coefficients)."""
        tensors, meta = self.to_tensors()
        return LexicalModel.from_tensors(tensors, meta)

    def to_tensors(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays for the heads file (prefixed ``lexical.``) and the JSON-able rest."""
        tensors = {
            "char_vocab": _pack(self.char_vocab), "word_vocab": _pack(self.word_vocab),
            "char_idf": self.char_idf.astype(np.float32),
            "word_idf": self.word_idf.astype(np.float32),
        }
        for task, by_group in self.coef.items():
            for group, coef in by_group.items():
                # int8 with a scale per label: a quarter of fp32, and a text's logits move
                # by about 0.01 (held-out metrics are scored after this round trip).
                scale = np.maximum(np.abs(coef).max(axis=1), 1e-12) / 127.0
                tensors[f"{task}.{group}.coef"] = np.round(coef / scale[:, None]).astype(np.int8)
                tensors[f"{task}.{group}.scale"] = scale.astype(np.float32)
                tensors[f"{task}.{group}.intercept"] = (
                    self.intercept[task][group].astype(np.float32))
        meta = {
            "options": asdict(self.options),
            "regressions": {task: list(by_group) for task, by_group in self.coef.items()},
            "weights": self.weights,
            "features": len(self.char_vocab) + len(self.word_vocab),
        }
        return {TENSOR_PREFIX + k: np.ascontiguousarray(v) for k, v in tensors.items()}, meta

    @classmethod
    def from_tensors(cls, tensors: Mapping[str, Any], meta: Mapping[str, Any]) -> LexicalModel:
        """Rebuild from :meth:`to_tensors` output (numpy arrays or torch tensors)."""

        def array(name: str) -> np.ndarray:
            value = tensors[TENSOR_PREFIX + name]
            return value.numpy() if hasattr(value, "numpy") else np.asarray(value)

        raw = dict(meta["options"])
        options = LexicalOptions(**{**raw, "char_ngrams": tuple(raw["char_ngrams"]),
                                    "word_ngrams": tuple(raw["word_ngrams"])})
        model = cls(options=options, char_vocab=_unpack(array("char_vocab")),
                    word_vocab=_unpack(array("word_vocab")), char_idf=array("char_idf"),
                    word_idf=array("word_idf"))
        width = len(model.char_vocab) + len(model.word_vocab)
        for task, groups in meta["regressions"].items():
            for group in groups:
                coef = (array(f"{task}.{group}.coef").astype(np.float32)
                        * array(f"{task}.{group}.scale").astype(np.float32)[:, None])
                if coef.shape != (len(labels_for(task)), width):
                    raise ValueError("lexical coefficients do not match the stored "
                                     "vocabularies")
                model.coef.setdefault(task, {})[group] = coef
                model.intercept.setdefault(task, {})[group] = (
                    array(f"{task}.{group}.intercept").astype(np.float32))
        model.weights = {task: {g: float(w) for g, w in by_group.items()}
                         for task, by_group in meta.get("weights", {}).items()}
        return model.build()


def _fit_vocabularies(texts: Sequence[str], prepared: Sequence[str], options: LexicalOptions
                      ) -> tuple[list[str], list[str]]:
    """Char and word vocabularies: each script group's most frequent n-grams, up to the
    per-group budget, in a deterministic order."""
    char_vocab: dict[str, None] = {}
    word_vocab: dict[str, None] = {}
    groups = [script_group(t) for t in texts]
    for group in SCRIPT_GROUPS:
        docs = [doc for doc, g in zip(prepared, groups, strict=True) if g == group]
        for vectorizer, vocab in zip(_vectorizers(options), (char_vocab, word_vocab),
                                     strict=True):
            try:
                vectorizer.fit(docs)
            except ValueError:  # too few texts of this script for min_df
                continue
            vocab.update(dict.fromkeys(sorted(vectorizer.vocabulary_)))
    if not char_vocab or not word_vocab:
        raise ValueError(f"too few texts for the lexical expert: no word or character n-gram "
                         f"occurs in {options.min_df} of them")
    return list(char_vocab), list(word_vocab)


def _ordered_vocabulary(vectorizer: Any) -> list[str]:
    terms = [""] * len(vectorizer.vocabulary_)
    for term, index in vectorizer.vocabulary_.items():
        terms[index] = term
    return terms


def _full_coefficients(clf: Any, n_labels: int, n_features: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, features)`` coefficients and intercepts from a fitted regression; labels it
    never saw get an intercept of -30 (probability ~1e-13)."""
    coef = np.zeros((n_labels, n_features), dtype=np.float32)
    intercept = np.full(n_labels, -30.0, dtype=np.float32)
    classes = clf.classes_.astype(int)
    if len(classes) == 2:
        # Binary regressions keep one row: the logit of the second class against the first.
        coef[classes[1]] = clf.coef_[0]
        intercept[classes[0]] = 0.0
        intercept[classes[1]] = clf.intercept_[0]
    else:
        coef[classes] = clf.coef_
        intercept[classes] = clf.intercept_
    return coef, intercept


def _log_loss(probs: np.ndarray, gold: np.ndarray) -> float:
    return float(-_log(probs[np.arange(len(gold)), gold]).mean())


def _pack(terms: Sequence[str]) -> np.ndarray:
    """Terms as one UTF-8 byte array, newline-separated (n-grams never hold a newline: the
    vectorizers split on whitespace)."""
    if any("\n" in term for term in terms):
        raise ValueError("a vocabulary term holds a newline")
    return np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8).copy()


def _unpack(packed: np.ndarray) -> list[str]:
    text = packed.astype(np.uint8).tobytes().decode("utf-8")
    return text.split("\n") if text else []
