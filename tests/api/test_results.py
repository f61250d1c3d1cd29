"""test_results.py: /results/ and /me/results/ (facts §8, reference §1.7-1.9).

Results are created by the dataset owner before a run, only with approved
latest associations (the benchmark's reference model excepted), finalized by
the first PUT that carries "results", immutable afterwards; model owners see
nothing, only admins list them all.
"""
import re

from factory import uniq

RESULT_KEYS = ["id", "name", "results", "finalized", "metadata", "user_metadata",
               "approval_status", "is_valid", "model_report", "evaluation_report",
               "finalized_at", "approved_at", "created_at", "modified_at", "owner",
               "benchmark", "model", "dataset"]
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
FINALIZED = {"non_field_errors": ["User cannot update a result object after it's been finalized."]}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$")
MISSING = 999999


def ids(w):
    return w["benchmark"]["id"], w["model"]["id"], w["dataset"]["id"]


def body(w, **kw):
    b, m, d = ids(w)
    out = {"benchmark": b, "model": m, "dataset": d, "name": uniq("run"), "results": {},
           "metadata": {}, "model_report": {"execution_status": "pending"}}
    out.update(kw)
    return out


def create(client, w, **kw):
    r = client.post("/results/", body(w, **kw))
    assert r.status_code == 201, r.text
    return r.json()


def non_field(msg):
    return {"non_field_errors": [msg]}


def partial_world(f, bo, mo, do):
    """A benchmark, a model and a dataset (same prep container), no associations."""
    b = f.benchmark(bo)
    m = f.model(mo)
    d = f.dataset(do, b["data_preparation_mlcube"])
    return {"benchmark": b, "model": m, "dataset": d}


def approve_model(f, bo, mo, w):
    f.model_assoc(mo, w["model"]["id"], w["benchmark"]["id"])
    r = bo.put(f"/models/{w['model']['id']}/benchmarks/{w['benchmark']['id']}/",
               {"approval_status": "APPROVED"})
    assert r.status_code == 200, r.text


def approve_dataset(f, bo, do, w):
    f.dataset_assoc(do, w["dataset"]["id"], w["benchmark"]["id"])
    r = bo.put(f"/datasets/{w['dataset']['id']}/benchmarks/{w['benchmark']['id']}/",
               {"approval_status": "APPROVED"})
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------- POST


def test_create_exact_shape(f, bo, mo, do):
    w = f.world(bo, mo, do)
    b, m, d = ids(w)
    r = do.post("/results/", body(w, name="b1m1d1"))
    assert r.status_code == 201, r.text
    res = r.json()
    assert list(res) == RESULT_KEYS
    assert isinstance(res["id"], int) and res["id"] > 0
    expected = {"name": "b1m1d1", "results": {}, "finalized": False, "metadata": {},
                "user_metadata": {}, "approval_status": "PENDING", "is_valid": True,
                "model_report": {"execution_status": "pending"}, "evaluation_report": {},
                "finalized_at": None, "approved_at": None, "owner": do.id, "benchmark": b,
                "model": m, "dataset": d}
    assert {k: v for k, v in res.items() if k not in ("id", "created_at", "modified_at")} \
        == expected
    assert TIMESTAMP.match(res["created_at"]) and TIMESTAMP.match(res["modified_at"])
    # the wire is compact JSON in this key order
    assert r.text.startswith('{"id":%d,"name":"b1m1d1","results":{},"finalized":false,'
                             '"metadata":{},"user_metadata":{},"approval_status":"PENDING",'
                             '"is_valid":true,"model_report":{"execution_status":"pending"},'
                             '"evaluation_report":{},"finalized_at":null,"approved_at":null,'
                             '"created_at":"' % res["id"])
    assert r.text.endswith(',"owner":%d,"benchmark":%d,"model":%d,"dataset":%d}'
                           % (do.id, b, m, d))
    # the stored row reads back identically
    g = do.get(f"/results/{res['id']}/")
    assert g.status_code == 200 and g.json() == res


def test_post_never_finalizes_and_ignores_read_only_keys(f, bo, mo, do, other):
    w = f.world(bo, mo, do)
    r = do.post("/results/", body(w, results={"AUC": 0.5}, finalized=True,
                                  finalized_at="2020-01-01T00:00:00Z",
                                  approval_status="APPROVED",
                                  approved_at="2020-01-01T00:00:00Z", owner=other.id,
                                  id=12345))
    assert r.status_code == 201, r.text
    res = r.json()
    assert res["results"] == {"AUC": 0.5}
    assert res["finalized"] is False and res["finalized_at"] is None
    assert res["approval_status"] == "PENDING" and res["approved_at"] is None
    assert res["owner"] == do.id and res["id"] != 12345
    # still editable: not finalized
    r = do.put(f"/results/{res['id']}/", {"model_report": {"execution_status": "running"}})
    assert r.status_code == 200, r.text
    assert r.json()["finalized"] is False


def test_reference_model_runs_on_any_dataset_without_association(f, bo, do2):
    b = f.benchmark(bo)
    ref = b["reference_model"]
    # a dataset of another prep container, still in DEVELOPMENT, never associated
    d = f.dataset(do2, f.mlcube(do2)["id"], operational=False)
    r = do2.post("/results/", {"benchmark": b["id"], "model": ref, "dataset": d["id"],
                               "name": "compat", "results": {}, "metadata": {}})
    assert r.status_code == 201, r.text
    res = r.json()
    assert (res["benchmark"], res["model"], res["dataset"], res["owner"]) == \
        (b["id"], ref, d["id"], do2.id)
    # also a dataset prepared with the benchmark's container, not associated
    d2 = f.dataset(do2, b["data_preparation_mlcube"])
    r = do2.post("/results/", {"benchmark": b["id"], "model": ref, "dataset": d2["id"]})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "" and r.json()["results"] == {}


def test_model_not_associated(f, bo, mo, do):
    w = partial_world(f, bo, mo, do)
    # the model check comes first, even with no dataset association either
    r = do.post("/results/", body(w))
    assert r.status_code == 400
    assert r.json() == non_field("Model must be associated to the benchmark")
    approve_dataset(f, bo, do, w)
    r = do.post("/results/", body(w))
    assert r.status_code == 400
    assert r.json() == non_field("Model must be associated to the benchmark")


def test_model_association_pending(f, bo, mo, do):
    w = partial_world(f, bo, mo, do)
    assoc = f.model_assoc(mo, w["model"]["id"], w["benchmark"]["id"])
    assert assoc["approval_status"] == "PENDING"
    r = do.post("/results/", body(w))
    assert r.status_code == 400
    assert r.json() == non_field("Model-Benchmark association must be approved")


def test_model_association_revoked(f, bo, mo, do):
    w = partial_world(f, bo, mo, do)
    approve_model(f, bo, mo, w)
    approve_dataset(f, bo, do, w)
    create(do, w)
    # a REJECTED row after the APPROVED one: the latest row decides
    f.model_assoc(mo, w["model"]["id"], w["benchmark"]["id"], approval_status="REJECTED")
    r = do.post("/results/", body(w))
    assert r.status_code == 400
    assert r.json() == non_field("Model-Benchmark association must be approved")


def test_dataset_not_associated(f, bo, mo, do):
    w = partial_world(f, bo, mo, do)
    approve_model(f, bo, mo, w)
    r = do.post("/results/", body(w))
    assert r.status_code == 400
    assert r.json() == non_field("Dataset must be associated to the benchmark")


def test_dataset_association_pending(f, bo, mo, do):
    w = partial_world(f, bo, mo, do)
    approve_model(f, bo, mo, w)
    f.dataset_assoc(do, w["dataset"]["id"], w["benchmark"]["id"])
    r = do.post("/results/", body(w))
    assert r.status_code == 400
    assert r.json() == non_field("Dataset-Benchmark association must be approved")


def test_dataset_association_revoked_then_reapproved(f, bo, mo, do):
    w = partial_world(f, bo, mo, do)
    b, m, d = ids(w)
    approve_model(f, bo, mo, w)
    approve_dataset(f, bo, do, w)
    create(do, w)
    f.dataset_assoc(do, d, b, approval_status="REJECTED")
    r = do.post("/results/", body(w))
    assert r.status_code == 400
    assert r.json() == non_field("Dataset-Benchmark association must be approved")
    # a new request after the rejection, approved again: results are allowed again
    approve_dataset(f, bo, do, w)
    create(do, w)


def test_post_permissions(f, bo, mo, do, other, admin, anon):
    w = f.world(bo, mo, do)
    for client in (other, bo, mo):
        r = client.post("/results/", body(w))
        assert r.status_code == 403, (client.email, r.text)
        assert r.json() == FORBIDDEN
    r = anon.post("/results/", body(w))
    assert r.status_code == 401
    assert r.json() == NO_CREDENTIALS
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    # the admin may create a result for anyone's dataset; the admin owns it
    r = admin.post("/results/", body(w))
    assert r.status_code == 201, r.text
    assert r.json()["owner"] == admin.id
    # nothing was created by the refused requests
    r = admin.get(f"/results/?benchmark={w['benchmark']['id']}")
    assert r.status_code == 200 and r.json()["count"] == 1


def test_post_dataset_missing_or_unknown(f, bo, mo, do, admin):
    w = f.world(bo, mo, do)
    no_dataset = body(w)
    del no_dataset["dataset"]
    # non-admins: the permission reads the dataset from the body
    for b in (no_dataset, body(w, dataset=MISSING), body(w, dataset=None)):
        r = do.post("/results/", b)
        assert r.status_code == 403, r.text
        assert r.json() == FORBIDDEN
    # admins pass the permission and get the field errors
    r = admin.post("/results/", no_dataset)
    assert r.status_code == 400
    assert r.json() == {"dataset": ["This field is required."]}
    r = admin.post("/results/", body(w, dataset=MISSING))
    assert r.status_code == 400
    assert r.json() == {"dataset": ['Invalid pk "999999" - object does not exist.']}


def test_post_dataset_id_as_string(f, bo, mo, do):
    # the original's permission does Dataset.objects.get(pk="<id>"), which accepts
    # a numeric string, and the serializer's pk field accepts it too
    w = f.world(bo, mo, do)
    r = do.post("/results/", body(w, dataset=str(w["dataset"]["id"])))
    assert r.status_code == 201, r.text
    assert r.json()["dataset"] == w["dataset"]["id"] and r.json()["owner"] == do.id


def test_post_array_body(do):
    # the original crashes (500: request.data.get on a list) for a non-admin; our
    # server answers a clean 4xx: the permission finds no dataset, so 403
    r = do.post("/results/", [1, 2])
    assert r.status_code == 403
    assert r.json() == FORBIDDEN


def test_post_array_body_admin(admin):
    r = admin.post("/results/", [1, 2])
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_post_body_errors_come_before_authentication(anon):
    # facts §1.1.3 and §12.10: POST /results/ parses the body in the permission
    # phase, so a malformed body is 400 and a wrong media type 415, even anonymous
    r = anon.post("/results/", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400, (r.status_code, r.text)
    r = anon.post("/results/", data="a=1",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415, (r.status_code, r.text)
    assert r.json() == {"detail": 'Unsupported media type '
                                  '"application/x-www-form-urlencoded" in request.'}


def test_post_malformed_json_message(do):
    # Appendix A §4.5: the body of a malformed-JSON POST is Python's json message
    r = do.post("/results/", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json() == {"detail": "JSON parse error - Expecting property name enclosed "
                                  "in double quotes: line 1 column 2 (char 1)"}
    r = do.post("/results/", data="a=1",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    assert r.json() == {"detail": 'Unsupported media type '
                                  '"application/x-www-form-urlencoded" in request.'}


# ---------------------------------------------------------------- GET /results/


def test_list_admin_only(f, bo, mo, do, other, admin, anon):
    w = f.world(bo, mo, do)
    create(do, w)
    for client in (do, bo, mo, other):
        r = client.get("/results/")
        assert r.status_code == 403, client.email
        assert r.json() == FORBIDDEN
    r = anon.get("/results/")
    assert r.status_code == 401 and r.json() == NO_CREDENTIALS
    r = admin.get("/results/")
    assert r.status_code == 200
    page = r.json()
    assert list(page) == ["count", "next", "previous", "results"]
    assert page["count"] >= 1 and page["previous"] is None
    assert all(list(x) == RESULT_KEYS for x in page["results"])
    r = admin.get("/results/?limit=1")
    assert r.status_code == 200
    page = r.json()
    assert len(page["results"]) == 1
    if page["count"] > 1:
        assert page["next"].endswith("/api/v0/results/?limit=1&offset=1")


def test_list_filters(f, bo, mo, do, do2, admin):
    w = f.world(bo, mo, do)
    b, m, d = ids(w)
    r1 = create(do, w, name=uniq("alpha"))
    r2 = create(do, w, name=uniq("beta"))
    # a second dataset (of do2) in the same benchmark
    d2 = f.dataset(do2, w["benchmark"]["data_preparation_mlcube"])
    approve_dataset(f, bo, do2, {"benchmark": w["benchmark"], "dataset": d2})
    r3 = create(do2, w, dataset=d2["id"])
    # a second model in the same benchmark
    m2 = f.model(mo)
    approve_model(f, bo, mo, {"benchmark": w["benchmark"], "model": m2})
    r4 = create(do, w, model=m2["id"])

    def got(query):
        r = admin.get(f"/results/?{query}")
        assert r.status_code == 200, (query, r.text)
        return sorted(x["id"] for x in r.json()["results"])

    assert got(f"benchmark={b}") == sorted([r1["id"], r2["id"], r3["id"], r4["id"]])
    assert got(f"name={r1['name']}") == [r1["id"]]
    assert got(f"benchmark={b}&owner={do2.id}") == [r3["id"]]
    assert got(f"benchmark={b}&owner={do.id}") == sorted([r1["id"], r2["id"], r4["id"]])
    assert got(f"dataset={d2['id']}") == [r3["id"]]
    assert got(f"model={m2['id']}") == [r4["id"]]
    assert got(f"benchmark={b}&model={m}&dataset={d}") == sorted([r1["id"], r2["id"]])
    # is_valid and approval_status are writable by the dataset owner
    r = do.put(f"/results/{r2['id']}/", {"is_valid": False, "approval_status": "APPROVED"})
    assert r.status_code == 200, r.text
    assert got(f"benchmark={b}&is_valid=False") == [r2["id"]]
    assert got(f"benchmark={b}&is_valid=true") == sorted([r1["id"], r3["id"], r4["id"]])
    assert got(f"benchmark={b}&approval_status=APPROVED") == [r2["id"]]
    assert got(f"benchmark={b}&approval_status=PENDING") == \
        sorted([r1["id"], r3["id"], r4["id"]])
    # an invalid boolean is ignored
    assert got(f"benchmark={b}&is_valid=maybe") == \
        sorted([r1["id"], r2["id"], r3["id"], r4["id"]])
    # filter errors
    r = admin.get("/results/?approval_status=FOO")
    assert r.status_code == 400
    assert r.json() == {"approval_status": [
        "Select a valid choice. FOO is not one of the available choices."]}
    r = admin.get(f"/results/?benchmark={MISSING}")
    assert r.status_code == 400
    assert r.json() == {"benchmark": [
        "Select a valid choice. That choice is not one of the available choices."]}


def test_list_ordering(f, bo, mo, do, admin):
    w = f.world(bo, mo, do)
    b = w["benchmark"]["id"]
    first = create(do, w, name="b-" + uniq("x"))
    second = create(do, w, name="a-" + uniq("x"))
    third = create(do, w, name="c-" + uniq("x"))

    def order(query=""):
        r = admin.get(f"/results/?benchmark={b}{query}")
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["results"]]

    # default: modified_at ascending
    assert order() == [first["id"], second["id"], third["id"]]
    assert order("&ordering=name") == [second["id"], first["id"], third["id"]]
    assert order("&ordering=-name") == [third["id"], first["id"], second["id"]]
    assert order("&ordering=-created_at") == [third["id"], second["id"], first["id"]]
    # unknown terms are dropped
    assert order("&ordering=nosuchfield") == [first["id"], second["id"], third["id"]]
    # a PUT moves a result to the end of the default order
    r = do.put(f"/results/{first['id']}/", {"user_metadata": {"touched": True}})
    assert r.status_code == 200, r.text
    assert order() == [second["id"], third["id"], first["id"]]


# ---------------------------------------------------------------- GET detail


def test_get_detail_permissions(f, bo, mo, do, other, admin, anon):
    w = f.world(bo, mo, do)
    res = create(do, w)
    for client in (admin, do, bo):
        r = client.get(f"/results/{res['id']}/")
        assert r.status_code == 200, client.email
        assert r.json() == res
        assert list(r.json()) == RESULT_KEYS
    # model owners see nothing about results, not even for their own model
    for client in (mo, other):
        r = client.get(f"/results/{res['id']}/")
        assert r.status_code == 403, client.email
        assert r.json() == FORBIDDEN
    r = anon.get(f"/results/{res['id']}/")
    assert r.status_code == 401 and r.json() == NO_CREDENTIALS


def test_result_of_admin_visible_to_dataset_and_benchmark_owner(f, bo, mo, do, admin):
    # permission follows the result's dataset and benchmark, not the result's owner
    w = f.world(bo, mo, do)
    res = create(admin, w)
    assert res["owner"] == admin.id
    for client in (do, bo):
        r = client.get(f"/results/{res['id']}/")
        assert r.status_code == 200 and r.json() == res
    r = mo.get(f"/results/{res['id']}/")
    assert r.status_code == 403


def test_missing_result(do, bo, admin):
    for client in (do, bo):
        r = client.get(f"/results/{MISSING}/")
        assert r.status_code == 403 and r.json() == FORBIDDEN
        r = client.put(f"/results/{MISSING}/", {"results": {}})
        assert r.status_code == 403 and r.json() == FORBIDDEN
        r = client.delete(f"/results/{MISSING}/")
        assert r.status_code == 403 and r.json() == FORBIDDEN
    r = admin.get(f"/results/{MISSING}/")
    assert r.status_code == 404 and r.json() == NOT_FOUND
    r = admin.put(f"/results/{MISSING}/", {"results": {}})
    assert r.status_code == 404 and r.json() == NOT_FOUND
    r = admin.delete(f"/results/{MISSING}/")
    assert r.status_code == 404 and r.json() == NOT_FOUND


# ---------------------------------------------------------------- PUT


def test_put_lifecycle(f, bo, mo, do, admin):
    w = f.world(bo, mo, do)
    res = create(do, w)
    url = f"/results/{res['id']}/"
    r = do.put(url, {"model_report": {"execution_status": "running"}})
    assert r.status_code == 200, r.text
    out = r.json()
    assert list(out) == RESULT_KEYS
    assert out["model_report"] == {"execution_status": "running"}
    assert out["finalized"] is False and out["finalized_at"] is None
    r = do.put(url, {"evaluation_report": {"execution_status": "finished"},
                     "model_report": {"execution_status": "finished"}})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["evaluation_report"] == {"execution_status": "finished"}
    assert out["model_report"] == {"execution_status": "finished"}
    assert out["finalized"] is False and out["finalized_at"] is None
    # omitted keys stay unchanged; {} is accepted and changes nothing
    r = do.put(url, {})
    assert r.status_code == 200, r.text
    assert r.json()["finalized"] is False
    assert r.json()["evaluation_report"] == {"execution_status": "finished"}
    # the first PUT with "results" (even {}) finalizes
    r = do.put(url, {"results": {}, "metadata": {"partial": False}})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["finalized"] is True
    assert out["results"] == {} and out["metadata"] == {"partial": False}
    assert TIMESTAMP.match(out["finalized_at"]), out["finalized_at"]
    assert out["finalized_at"] >= out["created_at"]
    assert out["approved_at"] is None
    assert out["model_report"] == {"execution_status": "finished"}
    # afterwards every PUT is refused, for everyone, even {}
    for client, b in ((do, {}), (do, {"results": {"AUC": 1}}),
                      (do, {"model_report": {"x": 1}}), (admin, {}),
                      (admin, {"is_valid": False})):
        r = client.put(url, b)
        assert r.status_code == 400, (b, r.text)
        assert r.json() == FINALIZED
    r = do.get(url)
    assert r.status_code == 200
    assert r.json() == out


def test_put_finalizes_with_results_key_only_value_irrelevant(f, bo, mo, do):
    w = f.world(bo, mo, do)
    res = create(do, w)
    r = do.put(f"/results/{res['id']}/", {"results": {"Accuracy": 0.61, "AUC": 0.73}})
    assert r.status_code == 200, r.text
    assert r.json()["finalized"] is True
    assert '"results":{"Accuracy":0.61,"AUC":0.73}' in r.text
    # a "finalized" key without "results" does not finalize (read-only)
    res = create(do, w)
    r = do.put(f"/results/{res['id']}/", {"finalized": True,
                                         "finalized_at": "2020-01-01T00:00:00Z"})
    assert r.status_code == 200, r.text
    assert r.json()["finalized"] is False and r.json()["finalized_at"] is None


def test_put_results_null_is_refused_and_does_not_finalize(f, bo, mo, do):
    w = f.world(bo, mo, do)
    res = create(do, w)
    r = do.put(f"/results/{res['id']}/", {"results": None})
    assert r.status_code == 400
    assert r.json() == {"results": ["This field may not be null."]}
    r = do.get(f"/results/{res['id']}/")
    assert r.json()["finalized"] is False and r.json()["finalized_at"] is None


def test_put_permissions(f, bo, mo, do, other, admin, anon):
    w = f.world(bo, mo, do)
    res = create(do, w)
    url = f"/results/{res['id']}/"
    # the benchmark owner may read but not write
    for client in (bo, mo, other):
        r = client.put(url, {"model_report": {"x": 1}})
        assert r.status_code == 403, client.email
        assert r.json() == FORBIDDEN
    r = anon.put(url, {"model_report": {"x": 1}})
    assert r.status_code == 401
    r = admin.put(url, {"model_report": {"by": "admin"}})
    assert r.status_code == 200, r.text
    assert r.json()["model_report"] == {"by": "admin"}
    # the refused requests changed nothing
    assert do.get(url).json()["model_report"] == {"by": "admin"}


def test_put_by_dataset_owner_not_result_owner(f, bo, mo, do, admin):
    # PUT is for the owner of the result's dataset, even when another user created it
    w = f.world(bo, mo, do)
    res = create(admin, w)
    r = do.put(f"/results/{res['id']}/", {"results": {"AUC": 0.5}})
    assert r.status_code == 200, r.text
    assert r.json()["finalized"] is True and r.json()["owner"] == admin.id


def test_put_read_only_fields_ignored(f, bo, mo, do, do2, other, admin):
    w = f.world(bo, mo, do)
    w2 = f.world(bo, mo, do2)
    res = create(do, w)
    url = f"/results/{res['id']}/"
    r = do.put(url, {"benchmark": w2["benchmark"]["id"], "model": w2["model"]["id"],
                     "dataset": w2["dataset"]["id"], "owner": other.id, "id": MISSING,
                     "approved_at": "2020-01-01T00:00:00Z",
                     "created_at": "2020-01-01T00:00:00Z", "name": "renamed"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["id"], out["benchmark"], out["model"], out["dataset"], out["owner"]) == \
        (res["id"],) + ids(w) + (do.id,)
    assert out["approved_at"] is None and out["created_at"] == res["created_at"]
    assert out["name"] == "renamed"
    # also invalid values for them are ignored rather than rejected
    r = do.put(url, {"benchmark": "abc", "model": MISSING, "dataset": None})
    assert r.status_code == 200, r.text
    assert (r.json()["benchmark"], r.json()["model"], r.json()["dataset"]) == ids(w)
    assert admin.get(url).json()["dataset"] == w["dataset"]["id"]


def test_put_approval_status_writable_without_approved_at(f, bo, mo, do):
    w = f.world(bo, mo, do)
    res = create(do, w)
    r = do.put(f"/results/{res['id']}/", {"approval_status": "APPROVED"})
    assert r.status_code == 200, r.text
    assert r.json()["approval_status"] == "APPROVED" and r.json()["approved_at"] is None
    r = do.put(f"/results/{res['id']}/", {"approval_status": "BOGUS"})
    assert r.status_code == 400
    assert r.json() == {"approval_status": ['"BOGUS" is not a valid choice.']}


def test_float_formatting_survives(f, bo, mo, do, admin):
    w = f.world(bo, mo, do)
    res = create(do, w)
    url = f"/results/{res['id']}/"
    r = do.put(url, data='{"results": {"AUC": 0.73, "x": 1e-05, "big": 1e16, "one": 1.0}}',
               headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    texts = [r.text]
    for client in (do, bo, admin):
        g = client.get(url)
        assert g.status_code == 200
        texts.append(g.text)
    texts.append(admin.get(f"/results/?benchmark={w['benchmark']['id']}").text)
    texts.append(do.get("/me/results/?limit=1000").text)
    for t in texts:
        assert '"results":{"AUC":0.73,"x":1e-05,"big":1e+16,"one":1.0}' in t, t


def test_nan_strings_stored_as_strings(f, bo, mo, do):
    w = f.world(bo, mo, do)
    res = create(do, w)
    url = f"/results/{res['id']}/"
    vals = {"score": "nan", "upper": "Infinity", "lower": "-Infinity", "n": 3}
    r = do.put(url, {"results": vals})
    assert r.status_code == 200, r.text
    g = do.get(url)
    assert g.json()["results"] == vals
    assert '"results":{"score":"nan","upper":"Infinity","lower":"-Infinity","n":3}' in g.text


def test_rerun_after_finalization_is_a_new_row(f, bo, mo, do):
    w = f.world(bo, mo, do)
    first = create(do, w)
    r = do.put(f"/results/{first['id']}/", {"results": {"AUC": 0.5}})
    assert r.status_code == 200 and r.json()["finalized"] is True
    second = create(do, w)
    assert second["id"] != first["id"]
    assert second["finalized"] is False and second["results"] == {}
    r = do.put(f"/results/{second['id']}/", {"results": {"AUC": 0.6}})
    assert r.status_code == 200 and r.json()["finalized"] is True
    r = bo.get(f"/benchmarks/{w['benchmark']['id']}/results/")
    assert r.status_code == 200
    got = r.json()["results"]
    assert [x["id"] for x in got] == [first["id"], second["id"]]
    assert [x["results"] for x in got] == [{"AUC": 0.5}, {"AUC": 0.6}]


# ---------------------------------------------------------------- DELETE


def test_delete_admin_only(f, bo, mo, do, other, admin, anon):
    w = f.world(bo, mo, do)
    res = create(do, w)
    url = f"/results/{res['id']}/"
    for client in (do, bo, mo, other):
        r = client.delete(url)
        assert r.status_code == 403, client.email
        assert r.json() == FORBIDDEN
    assert anon.delete(url).status_code == 401
    assert do.get(url).status_code == 200
    r = admin.delete(url)
    assert r.status_code == 204
    assert r.content == b""
    assert admin.get(url).status_code == 404
    assert do.get(url).status_code == 403
    # a finalized result can be deleted too
    res = create(do, w)
    assert do.put(f"/results/{res['id']}/", {"results": {}}).status_code == 200
    assert admin.delete(f"/results/{res['id']}/").status_code == 204


# ---------------------------------------------------------------- /me/results/


def test_me_results_only_own(f, bo, mo, srv, admin):
    d1 = srv.user(uniq("me-res-a"))
    d2 = srv.user(uniq("me-res-b"))
    w = f.world(bo, mo, d1)
    mine = [create(d1, w), create(d1, w)]
    # a result on d1's dataset but created by the admin is the admin's
    create(admin, w)
    w2 = f.world(bo, mo, d2)
    theirs = create(d2, w2)
    r = d1.get("/me/results/")
    assert r.status_code == 200
    page = r.json()
    assert page["count"] == 2 and page["next"] is None and page["previous"] is None
    assert [x["id"] for x in page["results"]] == [x["id"] for x in mine]
    assert page["results"] == mine
    assert all(list(x) == RESULT_KEYS for x in page["results"])
    # no filters on /me/ lists: the parameter is ignored
    r = d1.get(f"/me/results/?benchmark={w2['benchmark']['id']}&owner={d2.id}&name=zz")
    assert r.status_code == 200 and r.json()["count"] == 2
    r = d2.get("/me/results/")
    assert [x["id"] for x in r.json()["results"]] == [theirs["id"]]
    # model and benchmark owners do not get others' results in their own list
    r = mo.get("/me/results/")
    assert all(x["owner"] == mo.id for x in r.json()["results"])
    r = bo.get("/me/results/")
    assert all(x["owner"] == bo.id for x in r.json()["results"])
