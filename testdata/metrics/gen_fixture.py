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

"subgroup_cases" hold examples with group fields and, per field and group,
scikit-learn's metrics on that group's examples, TPR/FPR for binary tasks,
the largest gap per metric over groups with at least min_group_size
examples and the equalised-odds gap (max of the TPR and FPR gaps, as
fairlearn's equalized_odds_difference); metrics/subgroup_test.go checks
metrics.AuditSubgroups against them.
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.metrics import (accuracy_score, average_precision_score,
                             confusion_matrix, precision_recall_curve,
                             precision_recall_fscore_support, roc_auc_score,
                             roc_curve)
from sklearn.preprocessing import label_binarize

MIN_GROUP_SIZE = 30


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


def reliability(y, probs, n_bins=10):
    """Per-bin count, mean confidence and accuracy, binned as ece() does."""
    probs = np.asarray(probs, dtype=np.float64)
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == np.asarray(y)).astype(np.float64)
    edges = np.arange(n_bins + 1) / n_bins
    out = []
    for i in range(n_bins):
        lo = conf >= edges[0] if i == 0 else conf > edges[i]
        m = lo & (conf <= edges[i + 1])
        k = int(m.sum())
        out.append({"count": k, "mean_confidence": float(conf[m].mean()) if k else 0.0,
                    "accuracy": float(correct[m].mean()) if k else 0.0})
    return out


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


def group_metrics(y, p, probs, k):
    """Everything metrics.Report holds for one group, the sklearn way;
    None where sklearn raises or the value is undefined."""
    y, p, probs = np.asarray(y), np.asarray(p), np.asarray(probs)
    out = {"count": int(len(y)), "accuracy": float(accuracy_score(y, p))}
    for avg in ("macro", "weighted", "micro"):
        r = precision_recall_fscore_support(y, p, average=avg, zero_division=0)
        out["precision_" + avg], out["recall_" + avg], out["f1_" + avg] = map(float, r[:3])
    per = precision_recall_fscore_support(y, p, labels=list(range(k)), average=None, zero_division=0)
    out["per_class"] = {"precision": per[0].tolist(), "recall": per[1].tolist(),
                        "f1": per[2].tolist(), "support": [int(v) for v in per[3]]}
    out["confusion_matrix"] = confusion_matrix(y, p, labels=list(range(k))).tolist()
    out["ece"] = ece(y, probs)
    present = set(y.tolist())
    if k == 2:
        both = present == {0, 1}
        out["auc_roc"] = float(roc_auc_score(y, probs[:, 1])) if both else None
        out["pr_auc"] = float(average_precision_score(y, probs[:, 1])) if 1 in present else None
        cm = out["confusion_matrix"]
        out["tpr"] = cm[1][1] / (cm[1][0] + cm[1][1]) if 1 in present else None
        out["fpr"] = cm[0][1] / (cm[0][0] + cm[0][1]) if 0 in present else None
    else:
        full = present == set(range(k))
        out["auc_roc"] = float(roc_auc_score(y, probs, multi_class="ovr", average="macro")) if full else None
        out["pr_auc"] = float(average_precision_score(label_binarize(y, classes=list(range(k))), probs, average="macro")) if full else None
    return out


GAP_METRICS = ["accuracy", "precision_macro", "recall_macro", "f1_macro",
               "precision_weighted", "recall_weighted", "f1_weighted",
               "auc_roc", "pr_auc", "ece", "tpr", "fpr"]


def subgroup_case(name, y, p, probs, k, fields):
    case = {"name": name, "y_true": y.tolist(), "y_pred": p.tolist(),
            "probs": probs.tolist(), "n_classes": k, "min_group_size": MIN_GROUP_SIZE,
            "fields": {f: v.tolist() for f, v in fields.items()}, "expected": {}}
    for f, vals in fields.items():
        groups = {}
        for g in sorted(set(vals.tolist())):
            m = vals == g
            groups[g] = group_metrics(y[m], p[m], probs[m], k)
        judged = {g: r for g, r in groups.items() if r["count"] >= MIN_GROUP_SIZE}
        gaps = {}
        for metric in GAP_METRICS:
            v = [r[metric] for r in judged.values() if r.get(metric) is not None]
            if len(v) >= 2:
                gaps[metric] = max(v) - min(v)
        e = {"groups": groups, "gaps": gaps}
        if k == 2 and "tpr" in gaps and "fpr" in gaps:
            e["equalized_odds_gap"] = max(gaps["tpr"], gaps["fpr"])
        case["expected"][f] = e
    return case


def subgroup_cases():
    # A separate generator, so the cases above stay as they were.
    rng = np.random.default_rng(20261203)
    out = []

    # Binary: the score carries less signal for older patients, and sex
    # "X" is a group too small to judge.
    n = 320
    sex = rng.choice(np.array(["F", "M", "X"]), n, p=[0.5, 0.46, 0.04])
    age = rng.choice(np.array(["18-39", "40-64", "65+"]), n, p=[0.3, 0.4, 0.3])
    y = rng.integers(0, 2, n)
    signal = np.where(age == "65+", 0.12, 0.35)
    s = np.clip(signal * y + rng.normal(0.35, 0.2, n), 0, 1).round(2)
    p = (s >= 0.5).astype(int)
    probs = np.stack([1 - s, s], axis=1)
    out.append(subgroup_case("binary_sex_age", y, p, probs, 2, {"sex": sex, "age_band": age}))

    # Three classes, one field; site "D" is small and misses a class.
    n, k = 260, 3
    site = rng.choice(np.array(["A", "B", "C", "D"]), n, p=[0.4, 0.3, 0.25, 0.05])
    y = rng.integers(0, k, n)
    y[site == "D"] = rng.integers(0, 2, int((site == "D").sum()))
    w = rng.integers(1, 5, (n, k)).astype(np.float64)
    w[np.arange(n), y] += np.where(site == "C", 0, rng.integers(0, 4, n))
    probs = w / w.sum(axis=1, keepdims=True)
    p = probs.argmax(axis=1)
    out.append(subgroup_case("multiclass_site", y, p, probs, k, {"site": site}))
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
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    # sklearn 1.2 puts thresholds[1] + 1 first where later versions put inf.
    e["roc_curve"] = {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr[1:].tolist()}
    pr, rc, thr = precision_recall_curve(y, s)
    e["pr_curve"] = {"precision": pr.tolist(), "recall": rc.tolist(), "thresholds": thr.tolist()}
    e["reliability_bins"] = reliability(y, probs)
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
               "cases": cases, "subgroup_cases": subgroup_cases()}, sys.stdout, indent=1)
    sys.stdout.write("\n")


main()
