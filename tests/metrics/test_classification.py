"""medperf-metrics classification and the evaluate task: every metric against
scikit-learn (to 1e-12) on random, tied, constant, single-class, perfect,
inverted and multi-class data; the confidence intervals against their closed
forms (Wilson), an O(n^2) DeLong, a coverage simulation, and the bootstrap's
determinism; every malformed-input refusal; and the evaluator contract end
to end with a parameters file."""
import concurrent.futures
import json
import math
import os

import numpy as np
import pytest
import yaml
from scipy.stats import norm
from sklearn import metrics as skm
from sklearn.preprocessing import label_binarize

TOL = 1e-12

BINARY_METRICS = ("roc_auc", "average_precision", "accuracy", "balanced_accuracy",
                  "sensitivity", "specificity", "precision", "npv", "f1", "mcc",
                  "cohen_kappa", "brier", "log_loss", "ece")


# ---------------------------------------------------------------------------
# helpers

def close(a, b, tol=TOL):
    """a (ours, None when undefined) equals b (reference, nan when undefined)."""
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None
    return a is not None and abs(a - b) <= tol * max(1.0, abs(b))


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")
    return path


def binary_files(tmp_path, y, s, ids=None, name="p"):
    ids = ids or [f"case{i}" for i in range(len(y))]
    pred = write_csv(tmp_path / f"{name}-pred.csv", ["id", "score"],
                     [(i, repr(float(v))) for i, v in zip(ids, s)])
    lab = write_csv(tmp_path / f"{name}-lab.csv", ["id", "label"],
                    [(i, int(v)) for i, v in zip(ids, y)])
    return pred, lab


def multi_files(tmp_path, y, P, classes=None):
    k = P.shape[1]
    classes = classes or [f"c{j}" for j in range(k)]
    ids = [f"case{i}" for i in range(len(y))]
    pred = write_csv(tmp_path / "mpred.csv", ["id", *classes],
                     [(i, *(repr(float(v)) for v in row)) for i, row in zip(ids, P)])
    lab = write_csv(tmp_path / "mlab.csv", ["id", "label"],
                    [(i, classes[c]) for i, c in zip(ids, y)])
    return pred, lab, classes


def run_json(metrics, pred, lab, *args):
    r = metrics("classification", "--predictions", pred, "--labels", lab, "--format", "json",
                *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def values(res):
    return {k: v["value"] for k, v in res["metrics"].items()}


def ece_ref(conf, correct, bins):
    conf = np.asarray(conf, float)
    correct = np.asarray(correct, float)
    b = np.minimum(np.floor(conf * bins).astype(int), bins - 1)
    total = 0.0
    for j in range(bins):
        m = b == j
        if m.any():
            total += m.sum() / len(conf) * abs(correct[m].mean() - conf[m].mean())
    return total


def sk_binary(y, s, thr=0.5, probabilities=True):
    y = np.asarray(y)
    s = np.asarray(s, float)
    yp = (s >= thr).astype(int)
    both = len(set(y)) == 2
    ref = {
        "roc_auc": skm.roc_auc_score(y, s) if both else float("nan"),
        "average_precision": skm.average_precision_score(y, s) if y.sum() else float("nan"),
        "accuracy": skm.accuracy_score(y, yp),
        "balanced_accuracy": skm.balanced_accuracy_score(y, yp),
        "sensitivity": skm.recall_score(y, yp, zero_division=0) if y.sum() else float("nan"),
        "specificity": (skm.recall_score(y, yp, pos_label=0, zero_division=0)
                        if (1 - y).sum() else float("nan")),
        "precision": (skm.precision_score(y, yp, zero_division=0) if yp.sum()
                      else float("nan")),
        "npv": (skm.precision_score(y, yp, pos_label=0, zero_division=0) if (1 - yp).sum()
                else float("nan")),
        "f1": (skm.f1_score(y, yp, zero_division=0) if (y.sum() or yp.sum())
               else float("nan")),
        "mcc": skm.matthews_corrcoef(y, yp),
        "cohen_kappa": skm.cohen_kappa_score(y, yp),
    }
    if probabilities:
        ref["brier"] = skm.brier_score_loss(y, s, pos_label=1)
        ref["log_loss"] = skm.log_loss(y, s, labels=[0, 1])
        ref["ece"] = ece_ref(s, y, 10)
    return ref


def check_all(ours, ref):
    bad = {k: (ours.get(k), v) for k, v in ref.items() if not close(ours.get(k), v)}
    assert not bad, bad


# ---------------------------------------------------------------------------
# binary metrics against scikit-learn

@pytest.mark.parametrize("seed,n", [(1, 60), (2, 500), (3, 2000)])
def test_binary_random_matches_sklearn(metrics, tmp_path, seed, n):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.clip(rng.normal(0.4 + 0.2 * y, 0.25), 0, 1)
    pred, lab = binary_files(tmp_path, y, s)
    res = run_json(metrics, pred, lab, "--bootstrap", "0")
    assert res["task"] == "binary" and res["cases"] == n
    check_all(values(res), sk_binary(y, s))
    cm = skm.confusion_matrix(y, (s >= 0.5).astype(int), labels=[0, 1]).tolist()
    assert res["confusion_matrix"] == {"labels": ["0", "1"], "matrix": cm}
    assert res["class_counts"] == {"0": int((y == 0).sum()), "1": int(y.sum())}


@pytest.mark.parametrize("decimals", [0, 1, 2])
def test_binary_ties_match_sklearn(metrics, tmp_path, decimals):
    rng = np.random.default_rng(10 + decimals)
    y = rng.integers(0, 2, 400)
    s = np.round(np.clip(rng.normal(0.4 + 0.2 * y, 0.3), 0, 1), decimals)
    pred, lab = binary_files(tmp_path, y, s)
    check_all(values(run_json(metrics, pred, lab, "--bootstrap", "0")), sk_binary(y, s))


@pytest.mark.parametrize("n,decimals", [(120_000, None), (120_000, 3)])
def test_binary_large_inputs_match_sklearn(metrics, tmp_path, n, decimals):
    """Large enough for the threaded sort, its few-distinct-values and fix-up paths."""
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, n)
    s = np.clip(rng.normal(0.45 + 0.1 * y, 0.2), 0, 1)
    if decimals is not None:
        s = np.round(s, decimals)
    pred, lab = binary_files(tmp_path, y, s)
    res = run_json(metrics, pred, lab, "--bootstrap", "0", "--metrics",
                   "roc_auc,average_precision,log_loss")
    v = values(res)
    assert close(v["roc_auc"], skm.roc_auc_score(y, s))
    assert close(v["average_precision"], skm.average_precision_score(y, s))
    assert close(v["log_loss"], skm.log_loss(y, s))


def test_constant_scores(metrics, tmp_path):
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 1])
    s = np.full(10, 0.3)
    pred, lab = binary_files(tmp_path, y, s)
    res = run_json(metrics, pred, lab, "--bootstrap", "0")
    v = values(res)
    check_all(v, sk_binary(y, s))
    assert v["roc_auc"] == 0.5 and v["average_precision"] == 0.6
    assert v["precision"] is None  # nothing predicted positive
    assert res["metrics"]["precision"]["note"].startswith("undefined")


@pytest.mark.parametrize("label", [0, 1])
def test_single_class(metrics, tmp_path, label):
    rng = np.random.default_rng(5)
    y = np.full(30, label)
    s = rng.random(30)
    pred, lab = binary_files(tmp_path, y, s)
    res = run_json(metrics, pred, lab, "--bootstrap", "100")
    v = values(res)
    check_all(v, sk_binary(y, s))
    m = res["metrics"]
    assert v["roc_auc"] is None and "one class" in m["roc_auc"]["note"]
    assert m["roc_auc"]["ci"] is None
    if label == 0:
        assert v["sensitivity"] is None and v["average_precision"] is None
    else:
        assert v["specificity"] is None and v["average_precision"] == 1.0
    assert v["mcc"] == 0.0  # scikit-learn's convention


def test_single_class_everywhere_kappa_undefined(metrics, tmp_path):
    y = np.zeros(8, int)
    s = np.full(8, 0.1)
    pred, lab = binary_files(tmp_path, y, s)
    v = values(run_json(metrics, pred, lab, "--bootstrap", "0"))
    assert v["cohen_kappa"] is None and math.isnan(skm.cohen_kappa_score(y, np.zeros(8, int)))
    assert v["f1"] is None and v["accuracy"] == 1.0 and v["balanced_accuracy"] == 1.0


def test_multiclass_kappa_undefined_note(metrics, tmp_path):
    """Kappa is one number over all classes: its note says why, not "for every class"."""
    y = np.zeros(9, int)
    P = np.tile([0.8, 0.1, 0.1], (9, 1))
    pred, lab, _ = multi_files(tmp_path, y, P)
    res = run_json(metrics, pred, lab, "--bootstrap", "0", "--classes", "c0,c1,c2")
    kappa = res["metrics"]["cohen_kappa"]
    assert kappa["value"] is None and math.isnan(skm.cohen_kappa_score(y, np.zeros(9, int)))
    assert "all the same one class" in kappa["note"], kappa


@pytest.mark.parametrize("inverted", [False, True])
def test_perfect_and_inverted(metrics, tmp_path, inverted):
    y = np.array([0] * 20 + [1] * 15)
    s = np.linspace(0.0, 1.0, 35)
    if inverted:
        s = s[::-1].copy()
    thr = 0.43 if inverted else 0.57  # between the classes
    pred, lab = binary_files(tmp_path, y, s)
    res = run_json(metrics, pred, lab, "--bootstrap", "0", "--threshold", str(thr))
    v = values(res)
    check_all(v, sk_binary(y, s, thr))
    assert v["roc_auc"] == (0.0 if inverted else 1.0)
    assert v["mcc"] == (-1.0 if inverted else 1.0)
    lo, hi = res["metrics"]["roc_auc"]["ci"]
    assert lo == hi == v["roc_auc"]  # DeLong variance 0


def test_threshold_and_raw_scores(metrics, tmp_path):
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, 300)
    s = rng.normal(y * 1.0, 1.5)  # logits: any real number
    pred, lab = binary_files(tmp_path, y, s)
    res = run_json(metrics, pred, lab, "--bootstrap", "0", "--score-type", "score",
                   "--threshold", "0.25")
    assert "brier" not in res["metrics"] and res["score_type"] == "score"
    check_all(values(res), sk_binary(y, s, thr=0.25, probabilities=False))


@pytest.mark.parametrize("bins", [1, 5, 10, 15])
def test_ece_bins(metrics, tmp_path, bins):
    rng = np.random.default_rng(bins)
    y = rng.integers(0, 2, 250)
    s = np.round(rng.random(250), 2)  # some scores on bin edges
    pred, lab = binary_files(tmp_path, y, s)
    res = run_json(metrics, pred, lab, "--bootstrap", "0", "--metrics", "ece",
                   "--ece-bins", str(bins))
    assert res["metrics"]["ece"]["bins"] == bins
    assert close(res["metrics"]["ece"]["value"], ece_ref(s, y, bins))


def test_positive_class_and_string_labels(metrics, tmp_path):
    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, 100)
    s = rng.random(100)
    ids = [f"p{i}" for i in range(100)]
    pred = write_csv(tmp_path / "p.csv", ["id", "score"], zip(ids, s))
    lab = write_csv(tmp_path / "l.csv", ["id", "label"],
                    [(i, "malignant" if v else "benign") for i, v in zip(ids, y)])
    res = run_json(metrics, pred, lab, "--bootstrap", "0", "--positive-class", "malignant")
    assert res["classes"] == ["benign", "malignant"] and res["positive_class"] == "malignant"
    check_all(values(res), sk_binary(y, s))


def test_two_score_columns_are_binary(metrics, tmp_path):
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 80)
    p1 = rng.random(80)
    ids = [f"x{i}" for i in range(80)]
    pred = write_csv(tmp_path / "p.csv", ["id", "benign", "malignant"],
                     [(i, repr(1 - a), repr(a)) for i, a in zip(ids, p1)])
    lab = write_csv(tmp_path / "l.csv", ["id", "label"],
                    [(i, ["benign", "malignant"][v]) for i, v in zip(ids, y)])
    res = run_json(metrics, pred, lab, "--bootstrap", "0", "--positive-class", "malignant")
    assert res["task"] == "binary"
    check_all(values(res), sk_binary(y, p1))


# ---------------------------------------------------------------------------
# multi-class

def sk_multi(y, P, k):
    classes = list(range(k))
    Y = label_binarize(y, classes=classes)
    pred = P.argmax(axis=1)
    ref = {"accuracy": skm.accuracy_score(y, pred),
           "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
           "mcc": skm.matthews_corrcoef(y, pred),
           "cohen_kappa": skm.cohen_kappa_score(y, pred, labels=classes),
           "log_loss": skm.log_loss(y, P, labels=classes),
           "brier": float(np.mean(np.sum((P - Y) ** 2, axis=1))),
           "ece": ece_ref(P.max(axis=1), pred == y, 10)}
    mcm = skm.multilabel_confusion_matrix(y, pred, labels=classes)
    tn, fp, fn, tp = (mcm[:, i, j].astype(float) for i, j in ((0, 0), (0, 1), (1, 0), (1, 1)))
    support = tp + fn
    for avg in ("macro", "weighted", "micro"):
        ref[f"roc_auc_{avg}"] = skm.roc_auc_score(y, P, multi_class="ovr", average=avg,
                                                  labels=classes)
        ref[f"average_precision_{avg}"] = skm.average_precision_score(Y, P, average=avg)
        ref[f"sensitivity_{avg}"] = skm.recall_score(y, pred, labels=classes, average=avg,
                                                     zero_division=0)
        ref[f"precision_{avg}"] = skm.precision_score(y, pred, labels=classes, average=avg,
                                                      zero_division=0)
        ref[f"f1_{avg}"] = skm.f1_score(y, pred, labels=classes, average=avg, zero_division=0)
    for name, num, den in (("specificity", tn, tn + fp), ("npv", tn, tn + fn)):
        per = num / den
        ref[f"{name}_macro"] = per.mean()
        ref[f"{name}_weighted"] = np.average(per, weights=support)
        ref[f"{name}_micro"] = num.sum() / den.sum()
    return ref


def random_probabilities(rng, y, k, signal=1.5):
    logits = rng.normal(0, 1, (len(y), k))
    logits[np.arange(len(y)), y] += signal
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("k", [3, 4, 5])
def test_multiclass_matches_sklearn(metrics, tmp_path, k):
    rng = np.random.default_rng(20 + k)
    y = np.concatenate([np.arange(k), rng.integers(0, k, 300)])  # every class present
    P = random_probabilities(rng, y, k)
    pred, lab, classes = multi_files(tmp_path, y, P)
    res = run_json(metrics, pred, lab, "--bootstrap", "0")
    assert res["task"] == "multiclass" and res["classes"] == classes
    check_all(values(res), sk_multi(y, P, k))
    pc = res["per_class"]
    aucs = skm.roc_auc_score(label_binarize(y, classes=range(k)), P, average=None)
    for c in range(k):
        assert close(pc[classes[c]]["roc_auc"], aucs[c])
        assert pc[classes[c]]["support"] == int((y == c).sum())
    cm = skm.confusion_matrix(y, P.argmax(axis=1), labels=list(range(k))).tolist()
    assert res["confusion_matrix"]["matrix"] == cm


def test_multiclass_ties_and_argmax_ties(metrics, tmp_path):
    palette = np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5],
                        [0.4, 0.4, 0.2], [1 / 3, 1 / 3, 1 / 3], [0.2, 0.4, 0.4],
                        [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    rng = np.random.default_rng(31)
    y = np.concatenate([np.arange(3), rng.integers(0, 3, 200)])
    P = palette[rng.integers(0, len(palette), len(y))]
    pred, lab, _ = multi_files(tmp_path, y, P)
    check_all(values(run_json(metrics, pred, lab, "--bootstrap", "0")), sk_multi(y, P, 3))


def test_multiclass_undefined_classes_left_out_of_averages(metrics, tmp_path):
    """Class 2 is never predicted: its precision is 0/0. scikit-learn counts it as 0
    in macro averages (zero_division); we leave it out (docs/metrics.md)."""
    rng = np.random.default_rng(41)
    y = np.concatenate([np.arange(3), rng.integers(0, 3, 150)])
    P = random_probabilities(rng, y, 3)
    P[:, 2] *= 0.01
    P /= P.sum(axis=1, keepdims=True)
    pred, lab, classes = multi_files(tmp_path, y, P)
    res = run_json(metrics, pred, lab, "--bootstrap", "0")
    v = values(res)
    yp = P.argmax(axis=1)
    assert 2 not in set(yp)
    per = skm.precision_score(y, yp, labels=[0, 1, 2], average=None, zero_division=0)
    support = np.bincount(y, minlength=3)
    assert res["per_class"]["c2"]["precision"] is None
    assert close(v["precision_macro"], per[:2].mean())
    assert close(v["precision_weighted"], np.average(per[:2], weights=support[:2]))
    assert close(v["precision_micro"], skm.precision_score(y, yp, average="micro"))
    assert close(v["sensitivity_macro"], skm.recall_score(y, yp, average="macro",
                                                          labels=[0, 1, 2], zero_division=0))


def test_multiclass_averages_and_metrics_options(metrics, tmp_path):
    rng = np.random.default_rng(51)
    y = np.concatenate([np.arange(4), rng.integers(0, 4, 100)])
    P = random_probabilities(rng, y, 4)
    pred, lab, _ = multi_files(tmp_path, y, P)
    res = run_json(metrics, pred, lab, "--bootstrap", "0", "--metrics", "auc,recall,kappa",
                   "--average", "micro")
    assert list(res["metrics"]) == ["roc_auc_micro", "sensitivity_micro", "cohen_kappa"]
    assert "confusion_matrix" not in res


def test_json_inputs_equal_csv(metrics, tmp_path):
    rng = np.random.default_rng(61)
    y = np.concatenate([np.arange(3), rng.integers(0, 3, 60)])
    P = random_probabilities(rng, y, 3)
    pred, lab, classes = multi_files(tmp_path, y, P)
    base = run_json(metrics, pred, lab, "--bootstrap", "50", "--seed", "3")
    ids = [f"case{i}" for i in range(len(y))]
    forms = {
        "list": {i: [float(v) for v in row] for i, row in zip(ids, P)},
        "dict": {i: {c: float(v) for c, v in zip(classes, row)} for i, row in zip(ids, P)},
    }
    labels_json = tmp_path / "labels.json"
    labels_json.write_text(json.dumps({i: classes[c] for i, c in zip(ids, y)}))
    for form, obj in forms.items():
        p = tmp_path / f"pred-{form}.json"
        p.write_text(json.dumps(obj))
        extra = ("--classes", ",".join(classes)) if form == "list" else ()
        got = run_json(metrics, p, labels_json, "--bootstrap", "50", "--seed", "3", *extra)
        assert got == base, form
    # binary: {"case": score} with integer labels
    yb = rng.integers(0, 2, 40)
    sb = rng.random(40)
    pj = tmp_path / "b.json"
    lj = tmp_path / "bl.json"
    pj.write_text(json.dumps({f"k{i}": float(v) for i, v in enumerate(sb)}))
    lj.write_text(json.dumps({f"k{i}": int(v) for i, v in enumerate(yb)}))
    check_all(values(run_json(metrics, pj, lj, "--bootstrap", "0")), sk_binary(yb, sb))


def test_csv_quoting_crlf_bom_and_column_choice(metrics, tmp_path):
    pred = tmp_path / "p.csv"
    pred.write_bytes('\ufeffnote,"Case ID",prob\r\n'
                     'x,"a,1",0.9\r\n'
                     'y,"b ""q""",0.2\r\n'
                     'z,"multi\nline",0.7\r\n'
                     'w,d,0.4\r\n'.encode())
    lab = tmp_path / "l.csv"
    lab.write_text('Case ID,extra,Diagnosis\n"a,1",u,1\n"b ""q""",v,0\n'
                   '"multi\nline",w,0\n\nd,x,1\n')
    res = run_json(metrics, pred, lab, "--bootstrap", "0", "--id-column", "Case ID",
                   "--label-column", "Diagnosis", "--score-column", "prob")
    assert res["cases"] == 4
    assert values(res)["roc_auc"] == skm.roc_auc_score([1, 0, 0, 1], [0.9, 0.2, 0.7, 0.4])


def test_output_file_and_yaml(metrics, tmp_path):
    rng = np.random.default_rng(71)
    y = rng.integers(0, 2, 50)
    s = rng.random(50)
    pred, lab = binary_files(tmp_path, y, s)
    out = tmp_path / "res.yaml"
    r = metrics("classification", "--predictions", pred, "--labels", lab, "--output", out,
                "--bootstrap", "20")
    assert r.returncode == 0 and r.stdout == "", r.stderr
    stdout = metrics("classification", "--predictions", pred, "--labels", lab,
                     "--bootstrap", "20", check=True).stdout
    assert out.read_text() == stdout
    assert yaml.safe_load(stdout) == run_json(metrics, pred, lab, "--bootstrap", "20")
    assert [p.name for p in tmp_path.iterdir() if ".tmp." in p.name] == []


# ---------------------------------------------------------------------------
# confidence intervals

def wilson(x, n, level):
    z = norm.ppf(1 - (1 - level) / 2)
    p = x / n
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, center - half), min(1.0, center + half)


def delong(y, s):
    """DeLong's variance, straight from its definition (O(n^2))."""
    pos, neg = s[y == 1], s[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return psi.mean(), v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)


@pytest.mark.parametrize("level", [0.95, 0.9, 0.5])
def test_wilson_closed_form(metrics, tmp_path, level):
    rng = np.random.default_rng(81)
    y = rng.integers(0, 2, 137)
    s = rng.random(137)
    pred, lab = binary_files(tmp_path, y, s)
    res = run_json(metrics, pred, lab, "--bootstrap", "0", "--ci-level", str(level))
    yp = (s >= 0.5).astype(int)
    tp, tn = int(((y == 1) & (yp == 1)).sum()), int(((y == 0) & (yp == 0)).sum())
    fp, fn = int(((y == 0) & (yp == 1)).sum()), int(((y == 1) & (yp == 0)).sum())
    want = {"accuracy": (tp + tn, len(y)), "sensitivity": (tp, tp + fn),
            "specificity": (tn, tn + fp), "precision": (tp, tp + fp), "npv": (tn, tn + fn)}
    for name, (x, n) in want.items():
        m = res["metrics"][name]
        assert m["ci_method"] == "wilson"
        lo, hi = wilson(x, n, level)
        assert close(m["ci"][0], lo) and close(m["ci"][1], hi), (name, m["ci"], lo, hi)


@pytest.mark.parametrize("decimals", [None, 1])
def test_delong_against_quadratic(metrics, tmp_path, decimals):
    rng = np.random.default_rng(91)
    y = rng.integers(0, 2, 300)
    s = rng.normal(0.6 * y, 1.0)
    if decimals is not None:
        s = np.round(s, decimals)
    pred, lab = binary_files(tmp_path, y, s)
    res = run_json(metrics, pred, lab, "--bootstrap", "0", "--score-type", "score",
                   "--metrics", "roc_auc", "--ci-level", "0.9")
    auc, var = delong(y, s)
    z = norm.ppf(0.95)
    m = res["metrics"]["roc_auc"]
    assert m["ci_method"] == "delong" and close(m["value"], auc)
    assert close(m["ci"][0], max(0, auc - z * math.sqrt(var)))
    assert close(m["ci"][1], min(1, auc + z * math.sqrt(var)))


def test_delong_needs_two_of_each_class(metrics, tmp_path):
    pred, lab = binary_files(tmp_path, [1, 0, 0, 0], [0.9, 0.1, 0.2, 0.3])
    m = run_json(metrics, pred, lab, "--bootstrap", "0")["metrics"]["roc_auc"]
    assert m["value"] == 1.0 and m["ci"] is None


def test_coverage_simulation(metrics, tmp_path):
    """400 seeded draws (binormal scores, 40 + 40 cases): the 95% DeLong interval
    covers the true AUC, and the 95% Wilson interval the true sensitivity, in
    roughly 95% of draws. Bounds 88%..99%: a wrong z (e.g. 1.0: 68%) or a wrong
    variance fails them."""
    d, thr, draws = 1.0, 0.5, 400
    true_auc = norm.cdf(d / math.sqrt(2))
    true_sens = 1 - norm.cdf(thr - d)
    rng = np.random.default_rng(2024)
    jobs = []
    for t in range(draws):
        y = np.array([0] * 40 + [1] * 40)
        s = rng.normal(d * y, 1.0)
        jobs.append(binary_files(tmp_path, y, s, name=f"d{t}"))

    def one(job):
        return run_json(metrics, job[0], job[1], "--bootstrap", "0", "--score-type", "score",
                        "--threshold", str(thr), "--metrics", "roc_auc,sensitivity")["metrics"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        results = list(ex.map(one, jobs))
    auc_in = sum(r["roc_auc"]["ci"][0] <= true_auc <= r["roc_auc"]["ci"][1] for r in results)
    sens_in = sum(r["sensitivity"]["ci"][0] <= true_sens <= r["sensitivity"]["ci"][1]
                  for r in results)
    assert 0.88 * draws <= auc_in <= 0.99 * draws, auc_in
    assert 0.88 * draws <= sens_in <= 0.99 * draws, sens_in


def test_bootstrap_deterministic_and_thread_independent(metrics, tmp_path):
    rng = np.random.default_rng(101)
    y = rng.integers(0, 2, 400)
    s = np.clip(rng.normal(0.4 + 0.2 * y, 0.25), 0, 1)
    pred, lab = binary_files(tmp_path, y, s)
    a = run_json(metrics, pred, lab, "--bootstrap", "300", "--seed", "7", "--threads", "1")
    b = run_json(metrics, pred, lab, "--bootstrap", "300", "--seed", "7", "--threads", "2")
    c = run_json(metrics, pred, lab, "--bootstrap", "300", "--seed", "7")
    d = run_json(metrics, pred, lab, "--bootstrap", "300", "--seed", "8")
    assert a == b == c
    assert a["bootstrap"] == {"resamples": 300, "seed": 7}
    assert a["metrics"]["f1"]["ci"] != d["metrics"]["f1"]["ci"]
    for name in ("average_precision", "balanced_accuracy", "f1", "mcc", "cohen_kappa", "brier",
                 "log_loss", "ece"):
        m = a["metrics"][name]
        assert m["ci_method"] == "bootstrap" and m["ci"][0] <= m["ci"][1]
    assert a["metrics"]["roc_auc"]["ci_method"] == "delong"


def test_bootstrap_interval_is_a_stratified_percentile_interval(metrics, tmp_path):
    """Our bootstrap's Brier interval against a numpy stratified percentile
    bootstrap of the same data (different random draws: within 0.01)."""
    rng = np.random.default_rng(111)
    y = rng.integers(0, 2, 300)
    s = np.clip(rng.normal(0.4 + 0.2 * y, 0.25), 0, 1)
    pred, lab = binary_files(tmp_path, y, s)
    m = run_json(metrics, pred, lab, "--bootstrap", "4000", "--metrics", "brier")
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    b = []
    for _ in range(4000):
        idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        b.append(np.mean((y[idx] - s[idx]) ** 2))
    lo, hi = np.percentile(b, [2.5, 97.5])
    ci = m["metrics"]["brier"]["ci"]
    assert abs(ci[0] - lo) < 0.01 and abs(ci[1] - hi) < 0.01, (ci, lo, hi)


def test_multiclass_intervals(metrics, tmp_path):
    rng = np.random.default_rng(121)
    y = np.concatenate([np.arange(3), rng.integers(0, 3, 120)])
    P = random_probabilities(rng, y, 3)
    pred, lab, _ = multi_files(tmp_path, y, P)
    res = run_json(metrics, pred, lab, "--bootstrap", "200", "--seed", "1")
    m = res["metrics"]
    assert m["accuracy"]["ci_method"] == "wilson"
    lo, hi = wilson(int((P.argmax(axis=1) == y).sum()), len(y), 0.95)
    assert close(m["accuracy"]["ci"][0], lo) and close(m["accuracy"]["ci"][1], hi)
    for name in ("roc_auc_macro", "roc_auc_micro", "f1_weighted", "log_loss"):
        assert m[name]["ci_method"] == "bootstrap"
        assert m[name]["ci"][0] <= m[name]["value"] <= m[name]["ci"][1] or name == "log_loss"


def test_no_intervals(metrics, tmp_path):
    pred, lab = binary_files(tmp_path, [0, 1, 0, 1], [0.1, 0.8, 0.4, 0.3])
    res = run_json(metrics, pred, lab, "--ci-level", "0")
    assert "ci_level" not in res and "bootstrap" not in res
    assert all("ci" not in m for m in res["metrics"].values())


# ---------------------------------------------------------------------------
# refusals

def refuse(metrics, pred, lab, *args, code=1):
    r = metrics("classification", "--predictions", pred, "--labels", lab, "--bootstrap", "0",
                *args)
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    return r.stderr


GOOD_PRED = "id,score\na,0.9\nb,0.2\nc,0.6\n"
GOOD_LAB = "id,label\na,1\nb,0\nc,1\n"

REFUSALS = [
    # (name, predictions text, labels text, extra args, words the message must hold)
    ("no id column", "case,score\na,0.9\n", GOOD_LAB, (), ["pred", "no column 'id'", "case"]),
    ("unknown score column", GOOD_PRED, GOOD_LAB, ("--score-column", "prob"),
     ["pred", "no column 'prob'"]),
    ("unknown label column", GOOD_PRED, GOOD_LAB, ("--label-column", "y"),
     ["lab", "no column 'y'"]),
    ("duplicate id in predictions", GOOD_PRED + "a,0.1\n", GOOD_LAB, (),
     ["pred", ":5:", "duplicate case id 'a'", "line 2"]),
    ("duplicate id in labels", GOOD_PRED, GOOD_LAB + "b,1\n", (),
     ["lab", "duplicate case id 'b'"]),
    ("ids without labels", GOOD_PRED + "d,0.5\ne,0.5\n", GOOD_LAB, (),
     ["lab", "no label for 2 cases", "pred", "'d', 'e'"]),
    ("ids without predictions", GOOD_PRED, GOOD_LAB + "x,0\ny,1\nz,1\nw,0\n", (),
     ["pred", "no prediction for 4 cases", "'x', 'y', 'z' and 1 more"]),
    ("nan score", "id,score\na,nan\nb,0.2\nc,0.6\n", GOOD_LAB, (),
     ["pred", ":2:", "'nan'", "not a finite number"]),
    ("inf score", "id,score\na,inf\nb,0.2\nc,0.6\n", GOOD_LAB, (), ["pred", "not a finite"]),
    ("text score", "id,score\na,high\nb,0.2\nc,0.6\n", GOOD_LAB, (), ["pred", "'high'"]),
    ("empty score", "id,score\na,\nb,0.2\nc,0.6\n", GOOD_LAB, (), ["pred", "not a finite"]),
    ("probability above 1", "id,score\na,1.5\nb,0.2\nc,0.6\n", GOOD_LAB, (),
     ["pred", ":2:", "1.5", "not a probability"]),
    ("negative probability", "id,score\na,0.5\nb,-0.1\nc,0.6\n", GOOD_LAB, (),
     ["pred", ":3:", "not a probability"]),
    ("rows not summing to 1", "id,x,y,z\na,0.5,0.5,0.5\nb,0.2,0.3,0.5\nc,0.1,0.1,0.8\n",
     "id,label\na,x\nb,y\nc,z\n", (), ["pred", "sum to 1.5"]),
    ("non-binary labels", GOOD_PRED, "id,label\na,1\nb,2\nc,0\n", (),
     ["lab", ":3:", "label '2'", "binary labels required"]),
    ("label outside the classes", "id,x,y,z\na,0.2,0.3,0.5\nb,0.2,0.3,0.5\nc,0.1,0.1,0.8\n",
     "id,label\na,x\nb,w\nc,z\n", (), ["lab", "label 'w'", "not one of the classes (x, y, z)"]),
    ("empty predictions", "", GOOD_LAB, (), ["pred", "empty file"]),
    ("header only", "id,score\n", GOOD_LAB, (), ["pred", "no cases"]),
    ("ragged row", "id,score\na,0.9\nb,0.2,7\nc,0.6\n", GOOD_LAB, (),
     ["pred", ":3:", "ragged"]),
    ("unterminated quote", 'id,score\n"a,0.9\nb,0.2\n', GOOD_LAB, (),
     ["pred", "never closed"]),
    ("quote inside a field", 'id,score\na"x,0.9\n', GOOD_LAB, (), ["pred", "quote inside"]),
    ("empty id", "id,score\n,0.9\nb,0.2\n", GOOD_LAB, (), ["pred", "empty case id"]),
    ("empty label", GOOD_PRED, "id,label\na,1\nb,\nc,1\n", (), ["lab", "empty label"]),
    ("nul byte", "id,score\na,0.9\x00\n", GOOD_LAB, (), ["pred", "NUL"]),
    ("two classes and no positive one", "id,benign,malignant\na,0.1,0.9\nb,0.8,0.2\n",
     "id,label\na,malignant\nb,benign\n", (), ["pred", "positive_class"]),
    ("class names and columns disagree", GOOD_PRED, GOOD_LAB, ("--classes", "a,b,c"),
     ["two classes"]),
]


@pytest.mark.parametrize("name,ptext,ltext,args,words", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals(metrics, tmp_path, name, ptext, ltext, args, words):
    pred = tmp_path / "pred.csv"
    lab = tmp_path / "lab.csv"
    pred.write_text(ptext)
    lab.write_text(ltext)
    err = refuse(metrics, pred, lab, *args)
    for w in words:
        assert w in err, (w, err)


JSON_REFUSALS = [
    ("not an object", "[0.1, 0.2]", {"a": 1}, ["pred.json", "not a JSON object"]),
    ("ragged lists", {"a": [0.1, 0.9], "b": [0.2, 0.3, 0.5]}, {"a": 1, "b": 0},
     ["pred.json", "case 'b'", "ragged"]),
    ("mixed kinds", {"a": 0.1, "b": [0.2, 0.8]}, {"a": 1, "b": 0}, ["case 'b'", "ragged"]),
    ("missing class", {"a": {"x": 0.5, "y": 0.5}, "b": {"x": 1.0}}, {"a": "x", "b": "y"},
     ["case 'b'", "class 'y'"]),
    ("duplicate id", '{"a": 0.1, "b": 0.3, "a": 0.2}', {"a": 1, "b": 0},
     ["pred.json:1", "duplicate"]),
    ("NaN literal", '{"a": NaN}', {"a": 1}, ["pred.json", "not valid JSON"]),
    ("boolean score", {"a": True}, {"a": 1}, ["pred.json", "case 'a'"]),
    ("empty object", {}, {"a": 1}, ["pred.json", "no cases"]),
    ("list label", {"a": 0.3}, {"a": [0, 1]}, ["lab.json", "not one value"]),
]


@pytest.mark.parametrize("name,pobj,lobj,words", JSON_REFUSALS, ids=[r[0] for r in JSON_REFUSALS])
def test_json_refusals(metrics, tmp_path, name, pobj, lobj, words):
    pred = tmp_path / "pred.json"
    lab = tmp_path / "lab.json"
    pred.write_text(pobj if isinstance(pobj, str) else json.dumps(pobj))
    lab.write_text(json.dumps(lobj))
    err = refuse(metrics, pred, lab)
    for w in words:
        assert w in err, (w, err)


def test_missing_file_and_folder(metrics, tmp_path):
    lab = tmp_path / "lab.csv"
    lab.write_text(GOOD_LAB)
    assert "cannot open" in refuse(metrics, tmp_path / "nope.csv", lab)
    assert "is a folder" in refuse(metrics, tmp_path, lab)


def test_raw_scores_are_accepted_with_score_type_score(metrics, tmp_path):
    pred = tmp_path / "p.csv"
    lab = tmp_path / "l.csv"
    pred.write_text("id,score\na,3.5\nb,-2\nc,0.1\n")
    lab.write_text(GOOD_LAB)
    refuse(metrics, pred, lab)
    res = run_json(metrics, pred, lab, "--score-type", "score", "--bootstrap", "0")
    assert res["metrics"]["roc_auc"]["value"] == 1.0


USAGE_ERRORS = [
    (("--labels", "x"), "required"),
    (("--threshold", "abc"), "not a number"),
    (("--bootstrap", "1.5"), "integer"),
    (("--metrics", "auc,foo"), "unknown metric 'foo'"),
    (("--average", "mean"), "macro, weighted or micro"),
    (("--format", "xml"), "yaml or json"),
    (("--ci-level", "1.5"), "ci_level"),
    (("--score-type", "score", "--metrics", "brier"), "need probabilities"),
    (("--score-type", "score", "--metrics", "all,brier"), "need probabilities"),
    (("--score-type", "score", "--metrics", "log_loss,all"), "need probabilities"),
    (("--score-column", "s", "--score-columns", "a,b"), "give one of them"),
    (("--ece-bins", "0"), "ece_bins"),
    (("--frobnicate",), ""),
]


@pytest.mark.parametrize("args,words", USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_usage_errors(metrics, tmp_path, args, words):
    base = () if "--labels" in args else ("--predictions", "p.csv", "--labels", "l.csv")
    r = metrics("classification", *base, *args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert words in r.stderr


def test_help(metrics):
    r = metrics("classification", "--help", check=True)
    for word in ("--predictions", "--positive-class", "--bootstrap", "--ece-bins", "exit status",
                 "roc_auc", "confusion_matrix"):
        assert word in r.stdout
    r = metrics("evaluate", "--help", check=True)
    assert "--parameters_file" in r.stdout and "--output_path" in r.stdout


# ---------------------------------------------------------------------------
# the evaluate task

def evaluator_layout(tmp_path, params, nfiles=1):
    rng = np.random.default_rng(131)
    y = rng.integers(0, 2, 90)
    s = np.clip(rng.normal(0.4 + 0.2 * y, 0.25), 0, 1)
    pdir, ldir = tmp_path / "predictions", tmp_path / "labels"
    pdir.mkdir()
    ldir.mkdir()
    ids = [f"img{i:03d}.png" for i in range(90)]
    write_csv(pdir / "predictions.csv", ["image", "p_malignant"],
              [(i, repr(float(v))) for i, v in zip(ids, s)])
    if nfiles > 1:
        (pdir / "other.json").write_text("{}")
    write_csv(ldir / "labels.csv", ["image", "diagnosis"], [(i, int(v)) for i, v in zip(ids, y)])
    pf = tmp_path / "parameters.yaml"
    pf.write_text(params)
    return pdir, ldir, pf, y, s


PARAMS = """\
task: classification
predictions_file: predictions.csv
labels_file: labels.csv
id_column: image
label_column: diagnosis
score_column: p_malignant
positive_class: 1
threshold: 0.4
metrics: [roc_auc, sensitivity, specificity, f1, brier, ece, confusion_matrix]
ci_level: 0.9
bootstrap: 200
seed: 42
ece_bins: 5
"""


@pytest.mark.parametrize("form", ["equals", "spaces"])
def test_evaluate_contract(metrics, tmp_path, form):
    pdir, ldir, pf, y, s = evaluator_layout(tmp_path, PARAMS)
    out = tmp_path / "results" / "results.yaml"
    out.parent.mkdir()
    opts = {"predictions": pdir, "labels": ldir, "parameters_file": pf, "output_path": out,
            "local_outputs_path": tmp_path}
    if form == "equals":
        args = [f"--{k}={v}" for k, v in opts.items()]
    else:
        args = [x for k, v in opts.items() for x in (f"--{k}", v)]
    r = metrics("evaluate", *args)
    assert r.returncode == 0, r.stderr
    res = yaml.safe_load(out.read_text())
    assert res["task"] == "binary" and res["threshold"] == 0.4 and res["ci_level"] == 0.9
    assert list(res["metrics"]) == ["roc_auc", "sensitivity", "specificity", "f1", "brier", "ece"]
    ref = sk_binary(y, s, thr=0.4)
    ref["ece"] = ece_ref(s, y, 5)
    check_all({k: v["value"] for k, v in res["metrics"].items()},
              {k: ref[k] for k in res["metrics"]})
    # the same as the command with the same options
    same = run_json(metrics, pdir / "predictions.csv", ldir / "labels.csv", "--id-column",
                    "image", "--label-column", "diagnosis", "--score-column", "p_malignant",
                    "--threshold", "0.4", "--metrics",
                    "roc_auc,sensitivity,specificity,f1,brier,ece,confusion_matrix",
                    "--ci-level", "0.9", "--bootstrap", "200", "--seed", "42",
                    "--ece-bins", "5")
    assert res == same
    assert sorted(p.name for p in out.parent.iterdir()) == ["results.yaml"]


def test_evaluate_defaults_find_the_only_file(metrics, tmp_path):
    params = "task: classification\nid_column: image\nlabel_column: diagnosis\nbootstrap: 0\n"
    pdir, ldir, pf, y, s = evaluator_layout(tmp_path, params)
    out = tmp_path / "out.yaml"
    r = metrics("evaluate", f"--predictions={pdir}", f"--labels={ldir}",
                f"--parameters_file={pf}", f"--output_path={out}")
    assert r.returncode == 0, r.stderr
    res = yaml.safe_load(out.read_text())
    check_all({k: v["value"] for k, v in res["metrics"].items()}, sk_binary(y, s))


EVALUATE_REFUSALS = [
    ("unknown key", PARAMS + "treshold: 0.3\n", 1, ["parameters.yaml:14", "unknown option",
                                                     "treshold"]),
    ("bad value", PARAMS.replace("bootstrap: 200", "bootstrap: many"), 1,
     ["parameters.yaml:11", "bootstrap"]),
    ("unknown task", PARAMS.replace("task: classification", "task: regression"), 1,
     ["parameters.yaml:1", "regression"]),
    ("not a mapping", "- a\n- b\n", 1, ["parameters.yaml", "mapping"]),
    ("missing file", PARAMS.replace("predictions.csv", "preds.csv"), 1, ["preds.csv"]),
    ("bad YAML", "task: [classification\n", 1, ["parameters.yaml"]),
]


@pytest.mark.parametrize("name,params,code,words", EVALUATE_REFUSALS,
                         ids=[r[0] for r in EVALUATE_REFUSALS])
def test_evaluate_refusals(metrics, tmp_path, name, params, code, words):
    pdir, ldir, pf, _, _ = evaluator_layout(tmp_path, params)
    out = tmp_path / "out.yaml"
    r = metrics("evaluate", "--predictions", pdir, "--labels", ldir, "--parameters_file", pf,
                "--output_path", out)
    assert r.returncode == code, r.stderr
    for w in words:
        assert w in r.stderr, (w, r.stderr)
    assert not out.exists()


def test_evaluate_several_files_need_a_name(metrics, tmp_path):
    params = "task: classification\nid_column: image\nlabel_column: diagnosis\n"
    pdir, ldir, pf, _, _ = evaluator_layout(tmp_path, params, nfiles=2)
    r = metrics("evaluate", "--predictions", pdir, "--labels", ldir, "--parameters_file", pf,
                "--output_path", tmp_path / "o.yaml")
    assert r.returncode == 1
    assert "several .csv or .json files" in r.stderr and "predictions_file" in r.stderr


def test_evaluate_usage(metrics, tmp_path):
    r = metrics("evaluate", "--predictions", tmp_path)
    assert r.returncode == 2 and "required" in r.stderr
    r = metrics("evaluate", "--bogus=1")
    assert r.returncode == 2


def test_evaluate_dispatches_segmentation(metrics, tmp_path):
    """task: segmentation goes to the segmentation options (their own check, at
    their line); without a task, NIfTI predictions mean segmentation."""
    pdir, ldir = tmp_path / "predictions", tmp_path / "labels"
    pdir.mkdir()
    ldir.mkdir()
    (pdir / "case1.nii.gz").write_bytes(b"")
    for params, line in (("task: segmentation\ntolerence_mm: 1\n", 2),
                         ("tolerence_mm: 1\n", 1)):
        pf = tmp_path / "parameters.yaml"
        pf.write_text(params)
        r = metrics("evaluate", "--predictions", pdir, "--labels", ldir, "--parameters_file", pf,
                    "--output_path", tmp_path / "o.yaml")
        assert r.returncode == 1, r.stderr
        assert f"parameters.yaml:{line}:" in r.stderr and "tolerence_mm" in r.stderr


def test_evaluate_detects_analyze_pairs_as_segmentation(metrics, tmp_path):
    """Without a task key, a folder of .hdr/.img predictions is segmentation too."""
    pdir, ldir = tmp_path / "predictions", tmp_path / "labels"
    pdir.mkdir()
    ldir.mkdir()
    (pdir / "case1.hdr").write_bytes(b"")
    (pdir / "case1.img").write_bytes(b"")
    pf = tmp_path / "parameters.yaml"
    pf.write_text("tolerence_mm: 1\n")
    r = metrics("evaluate", "--predictions", pdir, "--labels", ldir, "--parameters_file", pf,
                "--output_path", tmp_path / "o.yaml")
    assert r.returncode == 1, r.stderr
    assert "parameters.yaml:1:" in r.stderr and "tolerence_mm" in r.stderr


def test_evaluate_writes_a_file_mount_in_place(tmp_path):
    """MedPerf mounts output_path as one file in a read-only folder: the results
    are written into that file (no temporary file can be made beside it)."""
    import shutil
    import subprocess
    from conftest import METRICS
    bwrap = shutil.which("bwrap")
    assert bwrap, "bubblewrap is installed by scripts/install-deps"
    pdir, ldir, pf, y, s = evaluator_layout(tmp_path, PARAMS)
    res = tmp_path / "results"
    res.mkdir()
    out = res / "results.yaml"
    out.write_text("")
    r = subprocess.run([bwrap, "--dev-bind", "/", "/", "--ro-bind", res, res, "--bind", out, out,
                        METRICS, "evaluate", "--predictions", pdir, "--labels", ldir,
                        "--parameters_file", pf, "--output_path", out],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(res)) == ["results.yaml"]
    text = out.read_text()
    assert "roc_auc:" in text and "confusion_matrix:" in text
    # the same folder, made read-only, but with no file to write into: refused with the path
    out.unlink()
    r = subprocess.run([bwrap, "--dev-bind", "/", "/", "--ro-bind", res, res,
                        METRICS, "evaluate", "--predictions", pdir, "--labels", ldir,
                        "--parameters_file", pf, "--output_path", out],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "results.yaml" in r.stderr and "Read-only" in r.stderr, r.stderr
