"""test_leaderboard.py: GET /benchmarks/{id}/leaderboard/ (issue 7).

The latest finalized, valid result of every (model, dataset) pair of one
benchmark, ordered by model then dataset, with the values the results
endpoints give; seen only by the benchmark owner and admins (reference
§1.9), with the 401/403/404 rules of the benchmark's other sublists.
"""
from factory import uniq

FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
MISSING = 999999


def result(client, b, m, d, results=None, partial=False, **kw):
    """A result of (b, m, d) created by client; finalized with results unless None."""
    body = {"benchmark": b, "model": m, "dataset": d, "name": uniq("run"), "results": {},
            "metadata": {}, "model_report": {"execution_status": "started"}}
    body.update(kw)
    r = client.post("/results/", body)
    assert r.status_code == 201, r.text
    res = r.json()
    if results is not None:
        r = client.put(f"/results/{res['id']}/", {"results": results,
                                                   "metadata": {"partial": partial}})
        assert r.status_code == 200, r.text
        res = r.json()
    return res


def approved_dataset(f, bo, owner, b):
    d = f.dataset(owner, b["data_preparation_mlcube"])
    f.dataset_assoc(owner, d["id"], b["id"])
    r = bo.put(f"/datasets/{d['id']}/benchmarks/{b['id']}/", {"approval_status": "APPROVED"})
    assert r.status_code == 200, r.text
    return d


def board(client, b):
    r = client.get(f"/benchmarks/{b}/leaderboard/")
    assert r.status_code == 200, r.text
    return r.json()


def test_latest_finalized_per_pair_with_the_results_endpoints_values(f, bo, mo, do, do2, admin):
    w = f.world(bo, mo, do)
    b, m, d = w["benchmark"]["id"], w["model"]["id"], w["dataset"]["id"]
    ref = w["benchmark"]["reference_model"]
    d2 = approved_dataset(f, bo, do2, w["benchmark"])["id"]
    metrics = {"task": "binary", "cases": 40,
               "metrics": {"roc_auc": {"value": 0.8170426065162907, "ci": [0.66, 0.96]}}}
    result(do, b, m, d, {"AUC": 0.5})                 # replaced by the next one
    newer = result(do, b, m, d, metrics)
    result(do, b, m, d)                               # not finalized: ignored
    on_ref = result(do, b, ref, d, {"AUC": 0.61, "nan": "nan"}, partial=True)
    on_d2 = result(do2, b, m, d2, {"AUC": 0.7})
    result(do2, b, ref, d2)                           # not finalized
    other = f.world(bo, mo, do)                       # another benchmark's results stay out
    result(do, other["benchmark"]["id"], other["model"]["id"], other["dataset"]["id"],
           {"AUC": 0.9})

    lb = board(bo, b)
    assert list(lb) == ["benchmark", "rows"]
    assert lb["benchmark"] == b
    expect = sorted([(m, d, newer), (ref, d, on_ref), (m, d2, on_d2)],
                    key=lambda t: (t[0], t[1]))
    assert [(r["model"], r["dataset"], r["result"]) for r in lb["rows"]] == \
        [(mm, dd, rr["id"]) for mm, dd, rr in expect]
    # every value as /results/{id}/ and /benchmarks/{id}/results/ give it
    listed = {r["id"]: r for r in bo.get(f"/benchmarks/{b}/results/?limit=100").json()["results"]}
    for row in lb["rows"]:
        assert list(row) == ["model", "dataset", "result", "finalized_at", "partial", "results"]
        one = bo.get(f"/results/{row['result']}/").json()
        for src in (one, listed[row["result"]]):
            assert src["finalized"] is True
            assert row["results"] == src["results"]
            assert row["finalized_at"] == src["finalized_at"]
            assert row["partial"] == src["metadata"]["partial"]
    by_id = {r["result"]: r for r in lb["rows"]}
    assert by_id[newer["id"]]["results"] == metrics
    assert by_id[on_ref["id"]]["partial"] is True
    # the exact floats survive, as in the results endpoints
    raw = bo.get(f"/benchmarks/{b}/leaderboard/").text
    assert "0.8170426065162907" in raw
    assert board(admin, b) == lb


def test_empty_and_invalid_results(f, bo, mo, do):
    w = f.world(bo, mo, do)
    b, m, d = w["benchmark"]["id"], w["model"]["id"], w["dataset"]["id"]
    assert board(bo, b) == {"benchmark": b, "rows": []}
    result(do, b, m, d, {"AUC": 0.5}, is_valid=False)   # marked invalid: left out
    assert board(bo, b)["rows"] == []
    valid = result(do, b, m, d, {"AUC": 0.6})
    assert [r["result"] for r in board(bo, b)["rows"]] == [valid["id"]]


def test_permissions_per_role(f, srv, bo, mo, do, other, admin, anon):
    w = f.world(bo, mo, do)
    b, m, d = w["benchmark"]["id"], w["model"]["id"], w["dataset"]["id"]
    result(do, b, m, d, {"AUC": 0.5})
    path = f"/benchmarks/{b}/leaderboard/"
    assert bo.get(path).status_code == 200
    assert admin.get(path).status_code == 200
    # the model owner and the hospital (approved participants) see nothing, as for results
    for client in (mo, do, other):
        r = client.get(path)
        assert (r.status_code, r.json()) == (403, FORBIDDEN)
    r = anon.get(path)
    assert (r.status_code, r.json()) == (401, NO_CREDENTIALS)
    bad = srv.anon()
    bad.session.headers["Authorization"] = "Bearer not.a.token"
    assert bad.get(path).status_code == 401


def test_unknown_benchmark(bo, admin, anon):
    path = f"/benchmarks/{MISSING}/leaderboard/"
    r = admin.get(path)
    assert (r.status_code, r.json()) == (404, NOT_FOUND)
    r = bo.get(path)                    # only admins learn that it does not exist
    assert (r.status_code, r.json()) == (403, FORBIDDEN)
    assert anon.get(path).status_code == 401
    assert admin.get("/benchmarks/0/leaderboard/").status_code == 404
    assert admin.get("/benchmarks/abc/leaderboard/").status_code == 404


def test_path_methods_and_schema(f, bo, mo, do, admin):
    b = f.benchmark(bo)["id"]
    r = bo.get(f"/benchmarks/{b}/leaderboard")          # without the trailing slash
    assert r.status_code == 200 and r.json()["benchmark"] == b
    r = bo.post(f"/benchmarks/{b}/leaderboard/", {})
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"
    schema = admin.get("/api/v0/schema/").json()
    op = schema["paths"]["/api/v0/benchmarks/{id}/leaderboard/"]["get"]
    assert "benchmark owner" in op["description"] and "admin" in op["description"]
    assert set(op["responses"]) >= {"200", "401", "403", "404"}
