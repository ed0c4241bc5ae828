#!/usr/bin/python3
"""Generate sklearn_fixture.json: seeded labels/scores and scikit-learn's
metric values, which metrics/fixture_test.go must match to 1e-9.

Run with Debian's python3-sklearn (1.2.1) and python3-numpy (1.24.2):

    /usr/bin/python3 testdata/metrics/gen_fixture.py > testdata/metrics/sklearn_fixture.json

Tests never run this script; it documents where the numbers come from.
ECE has no sklearn function, so it is computed here with numpy from the
usual definition (10 equal-width bins (i/10, (i+1)/10] on the max
probability; a confidence of exactly 0 goes to the first bin).
Entity-level (seqeval) cases are hand-checked in metrics/seqeval_test.go
because seqeval is not packaged in Debian.
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.metrics import (accuracy_score, average_precision_score,
                             confusion_matrix, precision_recall_fscore_support,
                             roc_auc_score)
from sklearn.preprocessing import label_binarize


def ece(y, probs, n_bins=10):
    probs = np.asarray(probs, dtype=np.float64)
    conf = probs.max(axis=1)
    pred = probs.argmax(axis=1)  # first maximum on ties, like Go's argmax
    correct = (pred == np.asarray(y)).astype(np.float64)
    edges = np.arange(n_bins + 1) / n_bins
    total = 0.0
    for i in range(n_bins):
        if i == 0:
            m = (conf >= edges[0]) & (conf <= edges[1])
        else:
            m = (conf > edges[i]) & (conf <= edges[i + 1])
        if m.sum() == 0:
            continue
        total += m.sum() / len(y) * abs(correct[m].mean() - conf[m].mean())
    return float(total)


def prf_block(y, p, labels=None):
    out = {}
    per = precision_recall_fscore_support(y, p, labels=labels, average=None, zero_division=0)
    out["per_class"] = {
        "precision": per[0].tolist(), "recall": per[1].tolist(),
        "f1": per[2].tolist(), "support": [int(s) for s in per[3]],
    }
    for avg in ("macro", "micro", "weighted"):
        r = precision_recall_fscore_support(y, p, labels=labels, average=avg, zero_division=0)
        out[avg] = {"precision": float(r[0]), "recall": float(r[1]), "f1": float(r[2])}
    return out


def main():
    rng = np.random.default_rng(20261128)
    cases = []

    # Binary: scores rounded to 2 decimals so many ties across classes.
    n = 200
    y = rng.integers(0, 2, n)
    s = np.clip(0.35 * y + rng.normal(0.35, 0.2, n), 0, 1).round(2)
    p = (s >= 0.5).astype(int)
    probs = np.stack([1 - s, s], axis=1)
    c = {"name": "binary_ties", "y_true": y.tolist(), "y_pred": p.tolist(),
         "scores": s.tolist(), "probs": probs.tolist(), "n_classes": 2}
    e = {"accuracy": float(accuracy_score(y, p)),
         "confusion_matrix": confusion_matrix(y, p, labels=[0, 1]).tolist(),
         "roc_auc": float(roc_auc_score(y, s)),
         "average_precision": float(average_precision_score(y, s)),
         "ece": ece(y, probs)}
    e.update(prf_block(y, p))
    c["expected"] = e
    cases.append(c)

    # Multi-class, 5 classes (sklearn 1.2's average_precision_score takes no
    # multiclass y, so AP is computed one-vs-rest on label_binarize(y).): probabilities are small integer weights
    # normalised per row (lots of exact ties); class 4 occurs in y_true but
    # its probability is never the maximum, so it is never predicted.
    n, k = 300, 5
    y = rng.integers(0, k, n)
    w = rng.integers(0, 4, (n, k)).astype(np.float64)
    w[np.arange(n), y] += rng.integers(0, 3, n)  # some signal
    w[:, 4] = np.minimum(w[:, 4], 0.5)           # never the argmax ...
    w[:, :4] += 1                                # ... because others >= 1
    probs = w / w.sum(axis=1, keepdims=True)
    p = probs.argmax(axis=1)
    assert 4 not in set(p.tolist())
    c = {"name": "multiclass_ties_never_predicted", "y_true": y.tolist(),
         "y_pred": p.tolist(), "probs": probs.tolist(), "n_classes": k}
    e = {"accuracy": float(accuracy_score(y, p)),
         "confusion_matrix": confusion_matrix(y, p, labels=list(range(k))).tolist(),
         "roc_auc_ovr_macro": float(roc_auc_score(y, probs, multi_class="ovr", average="macro")),
         "roc_auc_ovr_weighted": float(roc_auc_score(y, probs, multi_class="ovr", average="weighted")),
         "average_precision_macro": float(average_precision_score(label_binarize(y, classes=list(range(k))), probs, average="macro")),
         "average_precision_weighted": float(average_precision_score(label_binarize(y, classes=list(range(k))), probs, average="weighted")),
         "ece": ece(y, probs)}
    e.update(prf_block(y, p))
    c["expected"] = e
    cases.append(c)

    # PRF only: a label (2) predicted but absent from y_true, a label (3)
    # in y_true never predicted; default labels = union of both.
    y = rng.choice([0, 1, 3], 60)
    p = rng.choice([0, 1, 2], 60)
    c = {"name": "prf_union_labels", "y_true": y.tolist(), "y_pred": p.tolist(), "n_classes": 4}
    e = {"accuracy": float(accuracy_score(y, p)),
         "confusion_matrix": confusion_matrix(y, p, labels=[0, 1, 2, 3]).tolist()}
    e.update(prf_block(y, p))
    c["expected"] = e
    cases.append(c)

    # Same data with explicit labels 0..4: class 4 absent from both sides
    # (precision, recall and F1 all 0 under zero_division=0).
    c = {"name": "prf_explicit_labels", "y_true": y.tolist(), "y_pred": p.tolist(),
         "labels": [0, 1, 2, 3, 4], "n_classes": 5}
    e = prf_block(y, p, labels=[0, 1, 2, 3, 4])
    c["expected"] = e
    cases.append(c)

    json.dump({"generator": "testdata/metrics/gen_fixture.py",
               "sklearn": sklearn.__version__, "numpy": np.__version__,
               "cases": cases}, sys.stdout, indent=1)
    sys.stdout.write("\n")


main()
