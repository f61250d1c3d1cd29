"""Bad data through the breast-cancer packages on the native platform: each kind of broken
raw export makes prepare exit 1 with its own message naming the file, line and case, and
write nothing; each kind of broken prepared data makes sanity_check exit 1 with a message
("bc-prep sanity_check: failed: ..."); statistics, infer and evaluate refuse bad inputs too.
"""
import os
import shutil

import pytest

from conftest import read_csv

RAW = "/mlcommons/volumes/raw_data/cases.csv"
DIAG = "/mlcommons/volumes/raw_labels/diagnosis.csv"
FEAT = "/mlcommons/volumes/data/features.csv"
LABELS = "/mlcommons/volumes/labels/labels.csv"


class Site:
    def __init__(self, base, src_data, src_labels):
        self.base = base
        self.n = 0
        self.src_data, self.src_labels = src_data, src_labels

    def folder(self, name):
        self.n += 1
        d = os.path.join(self.base, f"{self.n:02d}-{name}")
        os.makedirs(d)
        os.chmod(d, 0o755)
        return d

    def raw_copy(self):
        d = self.folder("raw")
        data, labels = os.path.join(d, "data"), os.path.join(d, "labels")
        shutil.copytree(self.src_data, data)
        shutil.copytree(self.src_labels, labels)
        return data, labels


@pytest.fixture(scope="module")
def site(base_dir, package_native):
    base = os.path.join(base_dir, "bad")
    os.makedirs(base)
    os.chmod(base, 0o755)
    s = package_native.manifest["sites"]["hospital-a"]
    return Site(base, package_native.path(s["data_path"]), package_native.path(s["labels_path"]))


@pytest.fixture(scope="module")
def prep(medperf, package_native):
    med = medperf("native")
    return lambda task, mounts: med.run(package_native.config("prep"), task, mounts)


def edit(path, fn):
    """Rewrites a CSV's lines (list of str, no line ends) through fn."""
    with open(path, newline="") as f:
        lines = f.read().split("\n")[:-1]
    lines = fn(lines)
    with open(path, "w", newline="") as f:
        f.write("".join(line + "\n" for line in lines))


def set_cell(lines, row, column, value):
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells)
    return lines


def drop_column(lines, column):
    j = lines[0].split(",").index(column)
    return [",".join(c for k, c in enumerate(line.split(",")) if k != j) for line in lines]


RAW_CASES = [
    ("missing column", "data", lambda l: drop_column(l, "worst_area"),
     f"{RAW}:1: no column 'worst_area' (the 30 features are required)"),
    ("unknown column", "data", lambda l: [l[0] + ",age"] + [x + ",52" for x in l[1:]],
     f"{RAW}:1: unknown column 'age'"),
    ("no id column", "data", lambda l: [l[0].replace("case_id", "patient")] + l[1:],
     f"{RAW}:1: no column 'case_id'"),
    ("text value", "data", lambda l: set_cell(l, 2, "mean_area", "abc"),
     f"{RAW}:3: mean_area of case 'a-0002' is 'abc', not a number"),
    ("NaN value", "data", lambda l: set_cell(l, 3, "worst_texture", "nan"),
     f"{RAW}:4: worst_texture of case 'a-0003' is 'nan', not a finite number"),
    ("empty value", "data", lambda l: set_cell(l, 3, "mean_radius", ""),
     f"{RAW}:4: mean_radius of case 'a-0003' is '', not a number"),
    ("negative value", "data", lambda l: set_cell(l, 5, "mean_radius", "-1.5"),
     f"{RAW}:6: mean_radius of case 'a-0005' is -1.5: a measurement cannot be negative"),
    ("duplicate id", "data", lambda l: set_cell(l, 7, "case_id", "a-0002"),
     f"{RAW}:8: case id 'a-0002' appears twice (also on line 3)"),
    ("bad id", "data", lambda l: set_cell(l, 1, "case_id", "a/0001"),
     f"{RAW}:2: case id 'a/0001' is not 1 to 64 of A-Z a-z 0-9 . _ - (not starting with '.')"),
    ("ragged row", "data", lambda l: l[:3] + [l[3].rsplit(",", 1)[0]] + l[4:],
     f"{RAW}:4: 30 fields where the header has 31"),
    ("quoted field", "data", lambda l: set_cell(l, 1, "mean_radius", '"17.99"'),
     f"{RAW}:2: a quote character: quoted fields are not part of this format"),
    ("header only", "data", lambda l: l[:1], f"{RAW}: no cases (only a header row)"),
    ("empty file", "data", lambda l: [],
     f"{RAW}: empty file (a header row and one row per case are expected)"),
    ("unknown diagnosis", "labels", lambda l: set_cell(l, 2, "diagnosis", "X"),
     f"{DIAG}:3: diagnosis of case 'a-0002' is 'X', not M (malignant) or B (benign)"),
    ("missing diagnosis", "labels", lambda l: l[:5] + l[6:],
     f"{RAW}: 1 case without a diagnosis in {DIAG}: 'a-0005'"),
    ("diagnosis of no case", "labels", lambda l: l + ["zz-1,M", "zz-2,B"],
     f"{DIAG}: 2 cases not in {RAW}: 'zz-1', 'zz-2'"),
    ("diagnosis columns", "labels", lambda l: [l[0] + ",note"] + [x + ",-" for x in l[1:]],
     f"{DIAG}:1: 3 columns: only case_id and diagnosis are expected"),
]


@pytest.mark.parametrize("what,folder,change,message", RAW_CASES,
                         ids=[c[0].replace(" ", "-") for c in RAW_CASES])
def test_prepare_refuses_bad_raw_data(site, prep, what, folder, change, message):
    data, labels = site.raw_copy()
    name = "cases.csv" if folder == "data" else "diagnosis.csv"
    edit(os.path.join(data if folder == "data" else labels, name), change)
    out = site.folder("out")
    mounts = {"data_path": data, "labels_path": labels,
              "output_path": os.path.join(out, "data"),
              "output_labels_path": os.path.join(out, "labels"),
              "report_file": os.path.join(out, "report.yaml")}
    run = prep("prepare", mounts).failed(f"bc-prep: {message}\n")
    assert os.listdir(mounts["output_path"]) == [] and os.listdir(
        mounts["output_labels_path"]) == [], "a failed prepare wrote prepared data"


def test_prepare_without_the_raw_file(site, prep):
    data, labels = site.raw_copy()
    os.unlink(os.path.join(data, "cases.csv"))
    out = site.folder("out")
    prep("prepare", {"data_path": data, "labels_path": labels,
                     "output_path": os.path.join(out, "d"),
                     "output_labels_path": os.path.join(out, "l"),
                     "report_file": os.path.join(out, "r.yaml")}).failed(
        "bc-prep: raw data folder '/mlcommons/volumes/raw_data' has no cases.csv")


@pytest.fixture(scope="module")
def good(site, prep):
    """A correctly prepared copy of hospital-a (the source of each broken copy below)."""
    data, labels = site.raw_copy()
    out = site.folder("good")
    mounts = {"data_path": data, "labels_path": labels,
              "output_path": os.path.join(out, "data"),
              "output_labels_path": os.path.join(out, "labels"),
              "report_file": os.path.join(out, "report.yaml")}
    prep("prepare", mounts).ok()
    return mounts["output_path"], mounts["output_labels_path"]


def prepared_copy(site, good):
    d = site.folder("prepared")
    data, labels = os.path.join(d, "data"), os.path.join(d, "labels")
    shutil.copytree(good[0], data)
    shutil.copytree(good[1], labels)
    return data, labels


PREPARED_CASES = [
    ("label missing", "labels", lambda l: l[:-1],
     f"{FEAT}: 1 case without a label in {LABELS}: 'a-0120'"),
    ("label of no case", "labels", lambda l: l + ["a-9999,benign"],
     f"{LABELS}: 1 case not in {FEAT}: 'a-9999'"),
    ("unknown label", "labels", lambda l: set_cell(l, 1, "label", "cancer"),
     f"{LABELS}:2: label of case 'a-0001' is 'cancer', not benign or malignant"),
    ("labels header", "labels", lambda l: ["case,label"] + l[1:],
     f"{LABELS}:1: the header must be 'id,label'"),
    ("text feature", "data", lambda l: set_cell(l, 4, "area_error", "x"),
     f"{FEAT}:5: area_error of case 'a-0004' is 'x', not a number"),
    ("infinite feature", "data", lambda l: set_cell(l, 4, "area_error", "inf"),
     f"{FEAT}:5: area_error of case 'a-0004' is 'inf', not a finite number"),
    ("negative feature", "data", lambda l: set_cell(l, 2, "mean_texture", "-3"),
     f"{FEAT}:3: mean_texture of case 'a-0002' is negative"),
    ("columns out of order", "data",
     lambda l: [l[0].replace("mean_radius,mean_texture", "mean_texture,mean_radius")] + l[1:],
     f"{FEAT}:1: column 2 is 'mean_texture', expected 'mean_radius'"),
    ("repeated case", "data", lambda l: l + [l[1]],
     f"{FEAT}:122: case id 'a-0001' appears twice (also on line 2)"),
]


@pytest.mark.parametrize("what,folder,change,message", PREPARED_CASES,
                         ids=[c[0].replace(" ", "-") for c in PREPARED_CASES])
def test_sanity_check_refuses_bad_prepared_data(site, good, prep, what, folder, change,
                                                message):
    data, labels = prepared_copy(site, good)
    edit(os.path.join(data, "features.csv") if folder == "data"
         else os.path.join(labels, "labels.csv"), change)
    prep("sanity_check", {"data_path": data, "labels_path": labels}).failed(
        f"bc-prep sanity_check: failed: {message}\n")


def test_sanity_check_refuses_extra_and_missing_files(site, good, prep):
    data, labels = prepared_copy(site, good)
    with open(os.path.join(data, "notes.txt"), "w") as f:
        f.write("labels are in the spreadsheet\n")
    prep("sanity_check", {"data_path": data, "labels_path": labels}).failed(
        "failed: '/mlcommons/volumes/data' holds 'notes.txt' besides features.csv")
    data, labels = prepared_copy(site, good)
    os.unlink(os.path.join(labels, "labels.csv"))
    prep("sanity_check", {"data_path": data, "labels_path": labels}).failed(
        "failed: prepared labels folder '/mlcommons/volumes/labels' has no labels.csv")
    prep("sanity_check", {"data_path": site.folder("empty"), "labels_path": labels}).failed(
        "failed: prepared data folder '/mlcommons/volumes/data' has no features.csv "
        "(is it the output of bc-prep prepare?)")


def test_statistics_refuse_bad_prepared_data(site, good, prep):
    data, labels = prepared_copy(site, good)
    edit(os.path.join(labels, "labels.csv"), lambda l: set_cell(l, 1, "label", "2"))
    out = os.path.join(site.folder("stats"), "statistics.yaml")
    prep("statistics", {"data_path": data, "labels_path": labels, "output_path": out}).failed(
        f"bc-prep: {LABELS}:2: label of case 'a-0001' is '2', not benign or malignant")
    assert os.path.getsize(out) == 0


def test_a_model_refuses_bad_prepared_data(site, good, medperf, package_native):
    data, _ = prepared_copy(site, good)
    edit(os.path.join(data, "features.csv"), lambda l: set_cell(l, 9, "worst_radius", "big"))
    out = site.folder("pred")
    run = medperf("native").run(package_native.config("gnb"), "infer",
                                {"data_path": data, "output_path": out})
    run.failed(f"bc-gnb: {FEAT}:10: worst_radius of case 'a-0009' is 'big', not a number")
    assert os.listdir(out) == []


def test_the_evaluator_refuses_missing_predictions(site, good, medperf, package_native):
    """Predictions that leave a case out: medperf-metrics refuses, no results are written."""
    _, labels = prepared_copy(site, good)
    pred = site.folder("pred")
    rows = [["id", "p_malignant"]] + [[r[0], "0.5"] for r in
                                      read_csv(os.path.join(labels, "labels.csv"))[2:]]
    with open(os.path.join(pred, "predictions.csv"), "w") as f:
        f.write("".join(",".join(r) + "\n" for r in rows))
    out = os.path.join(site.folder("results"), "results.yaml")
    run = medperf("native").run(package_native.config("metrics"), "evaluate",
                                {"predictions": pred, "labels": labels, "output_path": out},
                                package_native.params("metrics"))
    run.failed("predictions.csv: no prediction for 1 case")
    assert os.path.getsize(out) == 0
