"""test_smoke.py: the server starts over TLS, answers /version without a
token, creates users on first sight, and walks the evaluation flow once."""


def test_version_is_public(anon):
    r = anon.get("/version")
    assert r.status_code == 200
    assert r.text == '{"version":"v0"}'
    assert r.headers["Content-Type"] == "application/json"


def test_me_creates_user(srv):
    c = srv.user("newcomer")
    r = c.get("/me/")
    assert r.status_code == 200
    body = r.json()
    assert list(body) == ["id", "username", "email", "first_name", "last_name", "metadata"]
    assert body["email"] == "newcomer@example.org"
    assert body["first_name"] == "" and body["metadata"] == {}


def test_evaluation_flow(f, bo, mo, do):
    w = f.world(bo, mo, do)
    b, m, d = w["benchmark"], w["model"], w["dataset"]
    r = do.post("/results/", {"benchmark": b["id"], "model": m["id"], "dataset": d["id"],
                              "name": "run", "results": {}, "metadata": {},
                              "model_report": {"execution_status": "pending"}})
    assert r.status_code == 201, r.text
    res = r.json()
    assert res["finalized"] is False and res["finalized_at"] is None
    r = do.put(f"/results/{res['id']}/", {"results": {"AUC": 0.73, "Accuracy": 0.61},
                                          "metadata": {"partial": False}})
    assert r.status_code == 200, r.text
    assert r.json()["finalized"] is True
    assert '"results":{"AUC":0.73,"Accuracy":0.61}' in r.text
    r = bo.get(f"/benchmarks/{b['id']}/results/")
    assert r.status_code == 200 and r.json()["count"] == 1
    assert mo.get(f"/results/{res['id']}/").status_code == 403
