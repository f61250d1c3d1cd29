"""test_metrics_js.py: the UI's pure modules under node (skipped without it):
metrics read from each results shape, the case-weighted pooled value, the
leaderboard grid, and the latest association row per pair."""
import json
import os
import shutil
import subprocess

import pytest

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def run_js(tmp_path, ui_dir, body):
    """Runs body (an ES module importing ./js/...) over a copy of ui/js; returns its JSON output."""
    shutil.copytree(os.path.join(ui_dir, "js"), tmp_path / "js")
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "t.js").write_text(body)
    r = subprocess.run([NODE, str(tmp_path / "t.js")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_metrics_and_pooled(tmp_path, ui_dir):
    out = run_js(tmp_path, ui_dir, """
import { extractMetrics, caseCount, pooled, grid } from "./js/metrics.js";
const classif = {task: "binary", cases: 40, ci_level: 0.95,
  metrics: {roc_auc: {value: 0.8, ci: [0.7, 0.9], ci_method: "delong"},
            ece: {value: null, note: "undefined"}, odd: {value: "nan"}}};
const seg = {n_cases: 2, tolerance_mm: 1.0,
  summary: {WT: {dice: {mean: 0.9, std: 0.1, median: 0.9}, hd95: {mean: 3.5}}}};
const flat = {AUC: 0.84, Accuracy: 0.79, name: "x"};
const g = grid([
  {model: 1, dataset: 10, result: 100, results: classif},
  {model: 1, dataset: 11, result: 101, results: {cases: 10, metrics: {roc_auc: {value: 0.6, ci: [0.5, 0.7]}}}},
  {model: 2, dataset: 10, result: 102, results: {metrics: {roc_auc: {value: 0.7}}}},
]);
console.log(JSON.stringify({
  classif: extractMetrics(classif), seg: extractMetrics(seg), flat: extractMetrics(flat),
  cases: [caseCount(classif), caseCount(seg), caseCount(flat)],
  pooled: [pooled([{value: 0.8, cases: 40}, {value: 0.6, cases: 10}]),
           pooled([{value: 0.8, cases: 40}, {value: 0.6, cases: null}]), pooled([])],
  grid: {models: g.models, datasets: g.datasets, metrics: g.metrics,
         cell: g.cell(1, 11, "roc_auc"), missing: g.cell(2, 11, "roc_auc"),
         p1: g.pooled(1, "roc_auc"), p2: g.pooled(2, "roc_auc")},
}));
""")
    assert out["classif"] == {"roc_auc": {"value": 0.8, "ci": [0.7, 0.9]},
                              "ece": {"value": None, "ci": None},
                              "odd": {"value": None, "ci": None}}
    assert out["seg"] == {"WT dice": {"value": 0.9, "ci": None},
                          "WT hd95": {"value": 3.5, "ci": None}}
    assert out["flat"] == {"AUC": {"value": 0.84, "ci": None},
                           "Accuracy": {"value": 0.79, "ci": None}}
    assert out["cases"] == [40, 2, None]
    assert out["pooled"][0] == pytest.approx((0.8 * 40 + 0.6 * 10) / 50)
    assert out["pooled"][1:] == [None, None]
    g = out["grid"]
    assert (g["models"], g["datasets"]) == ([1, 2], [10, 11])
    assert g["metrics"] == ["roc_auc", "ece", "odd"]
    assert g["cell"] == {"value": 0.6, "ci": [0.5, 0.7], "cases": 10, "result": 101}
    assert g["missing"] is None
    assert g["p1"] == pytest.approx(0.76)
    assert g["p2"] is None          # no case count: no pooled value


def test_latest_association_per_pair(tmp_path, ui_dir):
    out = run_js(tmp_path, ui_dir, """
import { latestPerPair } from "./js/associations.js";
const rows = [
  {id: 1, dataset: 5, benchmark: 2, created_at: "2026-01-01T00:00:00.000001Z", approval_status: "REJECTED"},
  {id: 3, dataset: 5, benchmark: 2, created_at: "2026-01-02T00:00:00.000000Z", approval_status: "PENDING"},
  {id: 2, dataset: 6, benchmark: 2, created_at: "2026-01-01T00:00:00.000000Z", approval_status: "APPROVED"},
  {id: 4, dataset: 6, benchmark: 2, created_at: "2026-01-01T00:00:00.000000Z", approval_status: "PENDING"},
  {id: 5, dataset: 5, benchmark: 1, created_at: "2025-01-01T00:00:00.000000Z", approval_status: "APPROVED"},
];
console.log(JSON.stringify(latestPerPair(rows, "dataset").map((r) => r.id)));
""")
    assert out == [5, 3, 4]
