"""Training and evaluating the sentiment and emotion heads (`voc train`, `voc eval`).

Kept out of ``voc.heads``, the runtime that loads and applies a heads file: labelled-data
readers, recipes, near-duplicate removal, the training loop and leave-one-source-out
transfer are needed only to make a heads file, so `voc analyze` never imports them
(tests/test_runtime_imports.py checks). The estimators a heads file stores (the n-gram and
embedding experts, the prior correction) keep their ``fit`` beside ``transform`` in
``voc.heads``, scikit-learn style.
"""
