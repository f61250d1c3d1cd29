"""test_associations.py: dataset-benchmark and model-benchmark associations.

Spec: reference 1.7 (Models/Datasets tables), 1.8 (association request rules,
auto-approval, priority), Appendix A 4.3/4.4/4.5; facts 7 (serializers, POST
validate() order, creation table 7.3, PUT rules 7.4, history lists 7.5),
9.2 (/me/*/associations/), 8.2 (results need the latest rows approved),
10 (missing objects).

Where a rule is shared, tests are parametrized over both kinds.
"""
import re

import pytest

from factory import uniq

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
UNAUTH = {"detail": "Authentication credentials were not provided."}
NOT_APPROVED_BENCH = "Association requests can be made only on an approved benchmark"
WRONG_PREP = ("Dataset association request can be made only if the dataset was prepared "
              "with benchmark's data preparation MLCube")
NO_PRIOR = "User can approve or reject association request only if there are prior requests"
ONLY_IF_REJECTED = "User can create a new request only if prior request is rejected"
NO_APPROVED = "User cannot create an approved association request"
REJECT_ONLY_APPROVED = "User can reject request only if prior request is approved"
ONLY_PENDING = "User can approve or reject only a pending request"
SAME_USER = "Same user cannot approve the association request"


class Kind:
    """What differs between dataset and model associations."""

    def __init__(self, name, f, owner):
        self.name = name
        self.f = f
        self.owner = owner            # the usual component owner (do / mo)
        self.field = name
        self.coll = f"/{name}s/benchmarks/"
        self.me = f"/me/{name}s/associations/"
        self.mode = f"{name}_auto_approval_mode"
        self.allow = f"{name}_auto_approval_allow_list"
        self.other_mode = ("model" if name == "dataset" else "dataset") + "_auto_approval_mode"
        self.not_operational = f"Association requests can be made only on an operational {name}"
        self.not_found = f"No {name} association found"
        self.approval_keys = ["approval_status", "initiated_by", "approved_at", "created_at",
                              "modified_at"] + (["priority"] if name == "model" else [])
        if name == "dataset":
            self.row_keys = ["id", "metadata", "approval_status", "approved_at", "created_at",
                             "modified_at", "dataset", "benchmark", "initiated_by"]
        else:
            self.row_keys = ["id", "metadata", "approval_status", "approved_at", "created_at",
                             "modified_at", "priority", "model", "benchmark", "initiated_by"]

    def comp(self, bench, owner=None, operational=True):
        """A component of owner (default: the kind's owner) that fits bench."""
        owner = owner or self.owner
        if self.name == "dataset":
            return self.f.dataset(owner, bench["data_preparation_mlcube"], operational=operational)
        return self.f.model(owner, state="OPERATION" if operational else "DEVELOPMENT")

    def body(self, cid, bid, **kw):
        b = {self.field: cid, "benchmark": bid, "metadata": {"test_result": {"ok": 1}}}
        b.update(kw)
        return b

    def post(self, client, cid, bid, **kw):
        return client.post(self.coll, self.body(cid, bid, **kw))

    def create(self, client, cid, bid, **kw):
        r = self.post(client, cid, bid, **kw)
        assert r.status_code == 201, r.text
        return r.json()

    def pair(self, cid, bid):
        return f"/{self.name}s/{cid}/benchmarks/{bid}/"

    def history(self, cid):
        return f"/{self.name}s/{cid}/benchmarks/"


@pytest.fixture(params=["dataset", "model"])
def k(request, f, do, mo):
    return Kind(request.param, f, do if request.param == "dataset" else mo)


def set_modes(bo, bench, **kw):
    r = bo.put(f"/benchmarks/{bench['id']}/", kw)
    assert r.status_code == 200, r.text
    return r.json()


def latest_state(k, bo, cid, bid, state):
    """Make the pair's latest row `state` (None: no rows): the component owner
    asks, the benchmark owner bo decides."""
    if state is None:
        return
    k.create(k.owner, cid, bid)
    if state == "PENDING":
        return
    r = bo.put(k.pair(cid, bid), {"approval_status": state})
    assert r.status_code == 200, r.text
    assert r.json()["approval_status"] == state


@pytest.fixture
def bench(f, bo):
    return f.benchmark(bo)


def fresh_user(srv, prefix="u"):
    return srv.user(uniq(prefix))


# ---------------------------------------------------------------- POST: shape

def test_post_returns_full_row(k, bench, bo):
    c = k.comp(bench)
    r = k.post(k.owner, c["id"], bench["id"])
    assert r.status_code == 201, r.text
    row = r.json()
    assert list(row) == k.row_keys
    expected = {"id": row["id"], "metadata": {"test_result": {"ok": 1}},
                "approval_status": "PENDING", "approved_at": None,
                "created_at": row["created_at"], "modified_at": row["modified_at"],
                k.field: c["id"], "benchmark": bench["id"], "initiated_by": k.owner.id}
    if k.name == "model":
        expected["priority"] = 0
    assert row == expected
    assert TS.match(row["created_at"]) and TS.match(row["modified_at"])


def test_post_priority_and_read_only_keys_ignored(k, bench, bo):
    c = k.comp(bench)
    row = k.create(k.owner, c["id"], bench["id"], priority=9, initiated_by=bo.id,
                   approved_at="2020-01-01T00:00:00.000000Z", id=777777, foo="bar")
    assert row["initiated_by"] == k.owner.id
    assert row["approved_at"] is None
    assert row["id"] != 777777
    assert "foo" not in row
    if k.name == "model":
        assert row["priority"] == 0


def test_post_metadata_required(k, bench):
    c = k.comp(bench)
    body = k.body(c["id"], bench["id"])
    del body["metadata"]
    r = k.owner.post(k.coll, body)
    assert r.status_code == 400
    assert r.json() == {"metadata": ["This field is required."]}


def test_post_bad_approval_status_value(k, bench):
    c = k.comp(bench)
    r = k.post(k.owner, c["id"], bench["id"], approval_status="FOO")
    assert r.status_code == 400
    assert r.json() == {"approval_status": ['"FOO" is not a valid choice.']}


def test_post_admin_field_errors(k, bench, admin):
    c = k.comp(bench)
    r = admin.post(k.coll, {k.field: c["id"], "benchmark": 999999, "metadata": {}})
    assert r.status_code == 400
    assert r.json() == {"benchmark": ['Invalid pk "999999" - object does not exist.']}
    r = admin.post(k.coll, {k.field: 999999, "benchmark": bench["id"], "metadata": {}})
    assert r.status_code == 400
    assert r.json() == {k.field: ['Invalid pk "999999" - object does not exist.']}
    r = admin.post(k.coll, {})
    assert r.status_code == 400
    req = ["This field is required."]
    assert r.json() == {"metadata": req, k.field: req, "benchmark": req}
    assert list(r.json()) == ["metadata", k.field, "benchmark"]


# ---------------------------------------------------------------- POST: permissions

def test_post_permission_admin(k, bench, admin):
    c = k.comp(bench)
    row = k.create(admin, c["id"], bench["id"])
    assert row["initiated_by"] == admin.id
    assert row["approval_status"] == "PENDING"


def test_post_permission_benchmark_owner(k, bench, bo):
    c = k.comp(bench)
    row = k.create(bo, c["id"], bench["id"])
    assert row["initiated_by"] == bo.id


def test_post_permission_component_owner(k, bench):
    c = k.comp(bench)
    row = k.create(k.owner, c["id"], bench["id"])
    assert row["initiated_by"] == k.owner.id


def test_post_unrelated_user_forbidden(k, bench, other, anon):
    c = k.comp(bench)
    r = k.post(other, c["id"], bench["id"])
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    r = k.post(anon, c["id"], bench["id"])
    assert r.status_code == 401
    assert r.json() == UNAUTH
    assert k.f.admin.get(k.pair(c["id"], bench["id"])).json() == []


def test_post_missing_benchmark_non_admin_forbidden(k, bench, bo, other):
    c = k.comp(bench)
    # the permission classes read the ids from the body: a missing benchmark
    # gives no benchmark-owner role, so without another role it is 403
    for client in (other, bo):
        r = k.post(client, c["id"] if client is other else 999999, 999999)
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    r = k.post(other, 999999, bench["id"])
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    # permissions are OR-ed: the component owner passes IsDatasetOwner /
    # IsModelOwner, so the missing benchmark is a field error
    r = k.post(k.owner, c["id"], 999999)
    assert r.status_code == 400
    assert r.json() == {"benchmark": ['Invalid pk "999999" - object does not exist.']}
    # likewise the benchmark owner posting a missing component
    r = k.post(bo, 999999, bench["id"])
    assert r.status_code == 400
    assert r.json() == {k.field: ['Invalid pk "999999" - object does not exist.']}


def test_post_permission_checked_before_validation(k, bench, other):
    c = k.comp(bench)
    r = other.post(k.coll, {k.field: c["id"], "benchmark": bench["id"]})
    assert r.status_code == 403
    assert r.json() == FORBIDDEN


# ---------------------------------------------------------------- POST: prerequisites

@pytest.mark.parametrize("bench_status", ["PENDING", "REJECTED"])
def test_post_requires_approved_benchmark(k, srv, f, admin, bench_status):
    owner = fresh_user(srv, "pend")
    b = f.benchmark(owner, approve=False)
    assert b["approval_status"] == "PENDING"
    if bench_status == "REJECTED":
        r = admin.put(f"/benchmarks/{b['id']}/", {"approval_status": "REJECTED"})
        assert r.status_code == 200, r.text
    c = k.comp(b)
    for client in (k.owner, owner, admin):
        r = k.post(client, c["id"], b["id"])
        assert r.status_code == 400
        assert r.json() == {"non_field_errors": [NOT_APPROVED_BENCH]}


def test_post_benchmark_check_comes_first(k, srv, f):
    owner = fresh_user(srv, "pend")
    b = f.benchmark(owner, approve=False)
    c = k.comp(b, operational=False)
    r = k.post(k.owner, c["id"], b["id"])
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": [NOT_APPROVED_BENCH]}


def test_post_requires_operational_component(k, bench, bo, admin):
    c = k.comp(bench, operational=False)
    for client in (k.owner, bo, admin):
        r = k.post(client, c["id"], bench["id"])
        assert r.status_code == 400
        assert r.json() == {"non_field_errors": [k.not_operational]}


def test_dataset_prepared_with_other_container(f, bo, do):
    b = f.benchmark(bo)
    d = f.dataset(do, f.mlcube(do)["id"])
    r = do.post("/datasets/benchmarks/", {"dataset": d["id"], "benchmark": b["id"], "metadata": {}})
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": [WRONG_PREP]}


def test_dataset_operational_check_before_prep_check(f, bo, do):
    b = f.benchmark(bo)
    d = f.dataset(do, f.mlcube(do)["id"], operational=False)
    r = do.post("/datasets/benchmarks/", {"dataset": d["id"], "benchmark": b["id"], "metadata": {}})
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["Association requests can be made only on an "
                                             "operational dataset"]}


def test_prerequisites_before_creation_rules(k, bench, bo):
    """An APPROVED request on an unrelated-prep / dev component reports the prerequisite."""
    c = k.comp(bench, operational=False)
    r = k.post(k.owner, c["id"], bench["id"], approval_status="APPROVED")
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": [k.not_operational]}


# ---------------------------------------------------------------- POST: creation rules (facts 7.3)

CREATION = [
    # latest row, requested, expected error (None: 201)
    (None, "PENDING", None),
    (None, "APPROVED", NO_PRIOR),
    (None, "REJECTED", NO_PRIOR),
    ("REJECTED", "PENDING", None),
    ("REJECTED", "APPROVED", NO_APPROVED),
    ("REJECTED", "REJECTED", REJECT_ONLY_APPROVED),
    ("PENDING", "PENDING", ONLY_IF_REJECTED),
    ("PENDING", "APPROVED", NO_APPROVED),
    ("PENDING", "REJECTED", REJECT_ONLY_APPROVED),
    ("APPROVED", "PENDING", ONLY_IF_REJECTED),
    ("APPROVED", "APPROVED", NO_APPROVED),
    ("APPROVED", "REJECTED", None),
]


@pytest.mark.parametrize("latest,want,error", CREATION,
                         ids=[f"{a}-{b}" for a, b, _ in CREATION])
def test_creation_rules(k, bench, bo, admin, latest, want, error):
    c = k.comp(bench)
    latest_state(k, bo, c["id"], bench["id"], latest)
    before = admin.get(k.pair(c["id"], bench["id"])).json()
    r = k.post(k.owner, c["id"], bench["id"], approval_status=want)
    after = admin.get(k.pair(c["id"], bench["id"])).json()
    if error:
        assert r.status_code == 400, r.text
        assert r.json() == {"non_field_errors": [error]}
        assert after == before
        return
    assert r.status_code == 201, r.text
    row = r.json()
    assert row["approval_status"] == want
    assert len(after) == len(before) + 1
    if want == "REJECTED":
        # revocation of an approved association: approved_at is set
        assert TS.match(row["approved_at"]), row
    else:
        assert row["approved_at"] is None


def test_creation_rules_apply_to_admin_and_benchmark_owner(k, bench, bo, admin):
    c = k.comp(bench)
    k.create(k.owner, c["id"], bench["id"])
    for client in (bo, admin):
        r = k.post(client, c["id"], bench["id"])
        assert r.status_code == 400
        assert r.json() == {"non_field_errors": [ONLY_IF_REJECTED]}
        r = k.post(client, c["id"], bench["id"], approval_status="APPROVED")
        assert r.status_code == 400
        assert r.json() == {"non_field_errors": [NO_APPROVED]}


def test_revocation_by_benchmark_owner(k, bench, bo):
    c = k.comp(bench)
    latest_state(k, bo, c["id"], bench["id"], "APPROVED")
    row = k.create(bo, c["id"], bench["id"], approval_status="REJECTED")
    assert row["approval_status"] == "REJECTED"
    assert row["initiated_by"] == bo.id
    assert TS.match(row["approved_at"])
    # re-request after the revocation
    again = k.create(k.owner, c["id"], bench["id"])
    assert again["approval_status"] == "PENDING"


def test_rules_follow_the_latest_row_only(k, bench, bo, admin):
    """APPROVED then REJECTED (revoked) then PENDING: the latest (PENDING) decides."""
    c = k.comp(bench)
    latest_state(k, bo, c["id"], bench["id"], "APPROVED")
    k.create(k.owner, c["id"], bench["id"], approval_status="REJECTED")
    k.create(k.owner, c["id"], bench["id"])
    r = k.post(k.owner, c["id"], bench["id"], approval_status="REJECTED")
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": [REJECT_ONLY_APPROVED]}
    assert len(admin.get(k.pair(c["id"], bench["id"])).json()) == 3


# ---------------------------------------------------------------- POST: auto-approval

def test_auto_approve_same_owner(k, bench, bo):
    c = k.comp(bench, owner=bo)
    row = k.create(bo, c["id"], bench["id"])
    assert row["approval_status"] == "APPROVED"
    assert TS.match(row["approved_at"])


def test_auto_approve_same_owner_even_when_admin_asks(k, bench, bo, admin):
    c = k.comp(bench, owner=bo)
    row = k.create(admin, c["id"], bench["id"])
    assert row["approval_status"] == "APPROVED"
    assert row["initiated_by"] == admin.id


def test_benchmark_owner_invitation_stays_pending_even_with_always(k, bench, bo):
    set_modes(bo, bench, **{k.mode: "ALWAYS"})
    c = k.comp(bench)
    row = k.create(bo, c["id"], bench["id"])
    assert row["approval_status"] == "PENDING"
    assert row["approved_at"] is None


def test_benchmark_owner_invitation_stays_pending_with_allowlist(k, bench, bo):
    set_modes(bo, bench, **{k.mode: "ALLOWLIST", k.allow: [k.owner.email]})
    c = k.comp(bench)
    row = k.create(bo, c["id"], bench["id"])
    assert row["approval_status"] == "PENDING"


def test_auto_approve_always(k, bench, bo):
    set_modes(bo, bench, **{k.mode: "ALWAYS"})
    c = k.comp(bench)
    row = k.create(k.owner, c["id"], bench["id"])
    assert row["approval_status"] == "APPROVED"
    assert TS.match(row["approved_at"])


def test_auto_approve_always_admin_request(k, bench, bo, admin):
    set_modes(bo, bench, **{k.mode: "ALWAYS"})
    c = k.comp(bench)
    row = k.create(admin, c["id"], bench["id"])
    assert row["approval_status"] == "APPROVED"


def test_auto_approve_allowlist_member(k, bench, bo):
    set_modes(bo, bench, **{k.mode: "ALLOWLIST",
                            k.allow: ["someone@example.org", k.owner.email]})
    c = k.comp(bench)
    row = k.create(k.owner, c["id"], bench["id"])
    assert row["approval_status"] == "APPROVED"
    assert TS.match(row["approved_at"])


def test_auto_approve_allowlist_non_member(k, bench, bo):
    set_modes(bo, bench, **{k.mode: "ALLOWLIST", k.allow: ["someone@example.org"]})
    c = k.comp(bench)
    row = k.create(k.owner, c["id"], bench["id"])
    assert row["approval_status"] == "PENDING"
    assert row["approved_at"] is None


def test_allowlist_without_allowlist_mode_does_nothing(k, bench, bo):
    set_modes(bo, bench, **{k.mode: "NEVER", k.allow: [k.owner.email]})
    c = k.comp(bench)
    assert k.create(k.owner, c["id"], bench["id"])["approval_status"] == "PENDING"


def test_never_stays_pending(k, bench, bo):
    set_modes(bo, bench, **{k.mode: "NEVER"})
    c = k.comp(bench)
    row = k.create(k.owner, c["id"], bench["id"])
    assert row["approval_status"] == "PENDING"


def test_each_kind_uses_its_own_mode(k, bench, bo):
    """The other component's mode set to ALWAYS does not approve this kind."""
    set_modes(bo, bench, **{k.other_mode: "ALWAYS", k.mode: "NEVER"})
    c = k.comp(bench)
    assert k.create(k.owner, c["id"], bench["id"])["approval_status"] == "PENDING"


def test_re_request_after_rejection_is_auto_approved(k, bench, bo):
    c = k.comp(bench)
    latest_state(k, bo, c["id"], bench["id"], "REJECTED")
    set_modes(bo, bench, **{k.mode: "ALWAYS"})
    row = k.create(k.owner, c["id"], bench["id"])
    assert row["approval_status"] == "APPROVED"


def test_revocation_is_not_auto_approved(k, bench, bo):
    set_modes(bo, bench, **{k.mode: "ALWAYS"})
    c = k.comp(bench)
    assert k.create(k.owner, c["id"], bench["id"])["approval_status"] == "APPROVED"
    row = k.create(k.owner, c["id"], bench["id"], approval_status="REJECTED")
    assert row["approval_status"] == "REJECTED"


# ---------------------------------------------------------------- GET pair

def test_get_pair_bare_array_of_all_rows(k, bench, bo, admin):
    c = k.comp(bench)
    first = k.create(k.owner, c["id"], bench["id"])
    r = bo.put(k.pair(c["id"], bench["id"]), {"approval_status": "REJECTED"})
    assert r.status_code == 200, r.text
    second = k.create(k.owner, c["id"], bench["id"])
    for client in (admin, bo, k.owner):
        r = client.get(k.pair(c["id"], bench["id"]))
        assert r.status_code == 200
        rows = r.json()
        assert isinstance(rows, list) and len(rows) == 2
        assert all(list(x) == k.approval_keys for x in rows)
        assert rows[0]["approval_status"] == "REJECTED"
        assert rows[0]["created_at"] == first["created_at"]
        assert TS.match(rows[0]["approved_at"])
        expected = {"approval_status": "PENDING", "initiated_by": k.owner.id,
                    "approved_at": None, "created_at": second["created_at"],
                    "modified_at": second["modified_at"]}
        if k.name == "model":
            expected["priority"] = 0
        assert rows[1] == expected
        assert r.text.startswith('[{"approval_status":')


def test_get_pair_only_this_pair(k, bench, f, bo, admin):
    c = k.comp(bench)
    c2 = k.comp(bench)
    b2 = f.benchmark(bo, prep=bench["data_preparation_mlcube"])
    k.create(k.owner, c["id"], bench["id"])
    k.create(k.owner, c2["id"], bench["id"])
    k.create(k.owner, c["id"], b2["id"])
    assert len(admin.get(k.pair(c["id"], bench["id"])).json()) == 1
    assert admin.get(k.pair(c2["id"], b2["id"])).json() == []


def test_get_pair_permissions(k, bench, other, anon, do2):
    c = k.comp(bench)
    k.create(k.owner, c["id"], bench["id"])
    for client in (other, do2):
        r = client.get(k.pair(c["id"], bench["id"]))
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    r = anon.get(k.pair(c["id"], bench["id"]))
    assert r.status_code == 401
    assert r.json() == UNAUTH


def test_get_pair_missing(k, bench, admin, bo):
    r = admin.get(k.pair(999999, 999999))
    assert r.status_code == 200
    assert r.text == "[]"
    r = admin.get(k.pair(999999, bench["id"]))
    assert r.status_code == 200 and r.json() == []
    # bo owns the benchmark: allowed even when the component is missing
    r = bo.get(k.pair(999999, bench["id"]))
    assert r.status_code == 200 and r.json() == []
    r = k.owner.get(k.pair(999999, 999999))
    assert r.status_code == 403
    assert r.json() == FORBIDDEN


def test_get_pair_without_rows(k, bench):
    c = k.comp(bench)
    r = k.owner.get(k.pair(c["id"], bench["id"]))
    assert r.status_code == 200
    assert r.text == "[]"


# ---------------------------------------------------------------- PUT

def test_put_other_party_approves_data_owner_request(k, bench, bo):
    c = k.comp(bench)
    k.create(k.owner, c["id"], bench["id"])
    r = bo.put(k.pair(c["id"], bench["id"]), {"approval_status": "APPROVED"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == k.approval_keys
    assert body["approval_status"] == "APPROVED"
    assert body["initiated_by"] == k.owner.id
    assert TS.match(body["approved_at"])
    assert body["modified_at"] >= body["created_at"]
    assert bo.get(k.pair(c["id"], bench["id"])).json() == [body]


def test_put_other_party_approves_benchmark_owner_invitation(k, bench, bo):
    c = k.comp(bench)
    k.create(bo, c["id"], bench["id"])
    r = bo.put(k.pair(c["id"], bench["id"]), {"approval_status": "APPROVED"})
    assert r.status_code == 400
    assert r.json() == {"approval_status": [SAME_USER]}
    r = k.owner.put(k.pair(c["id"], bench["id"]), {"approval_status": "APPROVED"})
    assert r.status_code == 200, r.text
    assert r.json()["approval_status"] == "APPROVED"
    assert r.json()["initiated_by"] == bo.id


def test_put_initiator_cannot_approve(k, bench, admin):
    c = k.comp(bench)
    k.create(k.owner, c["id"], bench["id"])
    r = k.owner.put(k.pair(c["id"], bench["id"]), {"approval_status": "APPROVED"})
    assert r.status_code == 400
    assert r.json() == {"approval_status": [SAME_USER]}
    assert admin.get(k.pair(c["id"], bench["id"])).json()[0]["approval_status"] == "PENDING"


def test_put_admin_initiator_cannot_approve(k, bench, admin):
    c = k.comp(bench)
    k.create(admin, c["id"], bench["id"])
    r = admin.put(k.pair(c["id"], bench["id"]), {"approval_status": "APPROVED"})
    assert r.status_code == 400
    assert r.json() == {"approval_status": [SAME_USER]}


def test_put_admin_approves_others_request(k, bench, admin):
    c = k.comp(bench)
    k.create(k.owner, c["id"], bench["id"])
    r = admin.put(k.pair(c["id"], bench["id"]), {"approval_status": "APPROVED"})
    assert r.status_code == 200, r.text
    assert r.json()["approval_status"] == "APPROVED"


def test_put_initiator_may_withdraw(k, bench, admin):
    c = k.comp(bench)
    k.create(k.owner, c["id"], bench["id"])
    r = k.owner.put(k.pair(c["id"], bench["id"]), {"approval_status": "REJECTED"})
    assert r.status_code == 200, r.text
    assert list(r.json()) == k.approval_keys
    assert r.json()["approval_status"] == "REJECTED"
    assert TS.match(r.json()["approved_at"])


def test_put_other_party_rejects(k, bench, bo):
    c = k.comp(bench)
    k.create(k.owner, c["id"], bench["id"])
    r = bo.put(k.pair(c["id"], bench["id"]), {"approval_status": "REJECTED"})
    assert r.status_code == 200, r.text
    assert r.json()["approval_status"] == "REJECTED"


def test_put_pending_to_pending_allowed(k, bench, bo):
    c = k.comp(bench)
    k.create(k.owner, c["id"], bench["id"])
    r = k.owner.put(k.pair(c["id"], bench["id"]), {"approval_status": "PENDING"})
    assert r.status_code == 200, r.text
    assert r.json()["approval_status"] == "PENDING"
    assert r.json()["approved_at"] is None


@pytest.mark.parametrize("decided", ["APPROVED", "REJECTED"])
@pytest.mark.parametrize("want", ["APPROVED", "REJECTED", "PENDING"])
def test_put_only_pending_can_be_decided(k, bench, bo, admin, decided, want):
    c = k.comp(bench)
    latest_state(k, bo, c["id"], bench["id"], decided)
    before = admin.get(k.pair(c["id"], bench["id"])).json()
    for client in (bo, k.owner, admin):
        r = client.put(k.pair(c["id"], bench["id"]), {"approval_status": want})
        assert r.status_code == 400
        assert r.json() == {"approval_status": [ONLY_PENDING]}
    assert admin.get(k.pair(c["id"], bench["id"])).json() == before


def test_put_acts_on_latest_row_only(k, bench, bo, admin):
    c = k.comp(bench)
    latest_state(k, bo, c["id"], bench["id"], "REJECTED")
    k.create(k.owner, c["id"], bench["id"])
    r = bo.put(k.pair(c["id"], bench["id"]), {"approval_status": "APPROVED"})
    assert r.status_code == 200, r.text
    rows = admin.get(k.pair(c["id"], bench["id"])).json()
    assert [x["approval_status"] for x in rows] == ["REJECTED", "APPROVED"]


def test_put_bad_approval_status(k, bench, bo):
    c = k.comp(bench)
    k.create(k.owner, c["id"], bench["id"])
    r = bo.put(k.pair(c["id"], bench["id"]), {"approval_status": "FOO"})
    assert r.status_code == 400
    assert r.json() == {"approval_status": ['"FOO" is not a valid choice.']}


def test_put_no_rows(k, bench, admin, bo):
    c = k.comp(bench)
    for client in (k.owner, bo, admin):
        r = client.put(k.pair(c["id"], bench["id"]), {})
        assert r.status_code == 400
        assert r.json() == {"non_field_errors": [k.not_found]}
    r = admin.put(k.pair(999999, 999999), {})
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": [k.not_found]}


def test_put_no_rows_with_approval_status(k, bench, bo):
    c = k.comp(bench)
    # the original crashes (500) when approval_status is in the body and the
    # pair has no rows; our server answers the clean 400 of validate()
    r = bo.put(k.pair(c["id"], bench["id"]), {"approval_status": "APPROVED"})
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": [k.not_found]}


def test_put_empty_body_keeps_status(k, bench, bo):
    c = k.comp(bench)
    row = k.create(k.owner, c["id"], bench["id"])
    r = bo.put(k.pair(c["id"], bench["id"]), {})
    assert r.status_code == 200, r.text
    assert r.json()["approval_status"] == "PENDING"
    assert r.json()["created_at"] == row["created_at"]


def test_put_permissions(k, bench, other, anon, do2):
    c = k.comp(bench)
    k.create(k.owner, c["id"], bench["id"])
    for client in (other, do2):
        r = client.put(k.pair(c["id"], bench["id"]), {"approval_status": "REJECTED"})
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    r = anon.put(k.pair(c["id"], bench["id"]), {"approval_status": "REJECTED"})
    assert r.status_code == 401
    r = k.owner.put(k.pair(999999, 999999), {})
    assert r.status_code == 403
    assert r.json() == FORBIDDEN


# ---------------------------------------------------------------- priority (models only)

@pytest.mark.parametrize("status", ["PENDING", "APPROVED", "REJECTED"])
def test_priority_by_admin_and_benchmark_owner_any_status(f, bo, mo, admin, status):
    b = f.benchmark(bo)
    m = f.model(mo)
    f.model_assoc(mo, m["id"], b["id"])
    url = f"/models/{m['id']}/benchmarks/{b['id']}/"
    if status != "PENDING":
        assert bo.put(url, {"approval_status": status}).status_code == 200
    r = bo.put(url, {"priority": 5})
    assert r.status_code == 200, r.text
    assert list(r.json()) == ["approval_status", "initiated_by", "approved_at", "created_at",
                              "modified_at", "priority"]
    assert r.json()["priority"] == 5
    assert r.json()["approval_status"] == status
    r = admin.put(url, {"priority": -3})
    assert r.status_code == 200, r.text
    assert r.json()["priority"] == -3
    assert admin.get(url).json()[-1]["priority"] == -3
    rows = mo.get(f"/models/{m['id']}/benchmarks/").json()["results"]
    assert [x["priority"] for x in rows] == [-3]


def test_priority_forbidden_for_model_owner(f, bo, mo, admin):
    b = f.benchmark(bo)
    m = f.model(mo)
    f.model_assoc(mo, m["id"], b["id"])
    url = f"/models/{m['id']}/benchmarks/{b['id']}/"
    for body in ({"priority": 1}, {"approval_status": "REJECTED", "priority": 1},
                 {"priority": None}):
        r = mo.put(url, body)
        assert r.status_code == 403, body
        assert r.json() == FORBIDDEN
    assert admin.get(url).json()[0]["priority"] == 0
    assert admin.get(url).json()[0]["approval_status"] == "PENDING"


def test_priority_with_approval_by_benchmark_owner(f, bo, mo):
    b = f.benchmark(bo)
    m = f.model(mo)
    f.model_assoc(mo, m["id"], b["id"])
    r = bo.put(f"/models/{m['id']}/benchmarks/{b['id']}/",
               {"approval_status": "APPROVED", "priority": 2})
    assert r.status_code == 200, r.text
    assert (r.json()["approval_status"], r.json()["priority"]) == ("APPROVED", 2)


def test_priority_must_be_integer(f, bo, mo):
    b = f.benchmark(bo)
    m = f.model(mo)
    f.model_assoc(mo, m["id"], b["id"])
    r = bo.put(f"/models/{m['id']}/benchmarks/{b['id']}/", {"priority": "high"})
    assert r.status_code == 400
    assert r.json() == {"priority": ["A valid integer is required."]}


def test_priority_orders_pair_rows(f, bo, mo, admin):
    b = f.benchmark(bo)
    m = f.model(mo)
    url = f"/models/{m['id']}/benchmarks/{b['id']}/"
    f.model_assoc(mo, m["id"], b["id"])
    assert bo.put(url, {"approval_status": "REJECTED"}).status_code == 200
    f.model_assoc(mo, m["id"], b["id"])
    assert bo.put(url, {"priority": 7}).status_code == 200  # the latest row
    rows = admin.get(url).json()
    assert [(x["approval_status"], x["priority"]) for x in rows] == [("PENDING", 7),
                                                                      ("REJECTED", 0)]


def test_priority_no_rows(f, bo, mo):
    b = f.benchmark(bo)
    m = f.model(mo)
    r = bo.put(f"/models/{m['id']}/benchmarks/{b['id']}/", {"priority": 1})
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["No model association found"]}


# ---------------------------------------------------------------- DELETE

def test_delete_removes_all_rows(k, bench, bo, admin):
    c = k.comp(bench)
    latest_state(k, bo, c["id"], bench["id"], "REJECTED")
    k.create(k.owner, c["id"], bench["id"])
    other_bench = k.f.benchmark(bo, prep=bench["data_preparation_mlcube"])
    k.create(k.owner, c["id"], other_bench["id"])
    assert len(admin.get(k.pair(c["id"], bench["id"])).json()) == 2
    r = admin.delete(k.pair(c["id"], bench["id"]))
    assert r.status_code == 204
    assert r.content == b""
    assert admin.get(k.pair(c["id"], bench["id"])).json() == []
    # only this pair is gone
    assert len(admin.get(k.pair(c["id"], other_bench["id"])).json()) == 1
    # with no rows, a fresh PENDING request is the only legal creation again
    r = k.post(k.owner, c["id"], bench["id"], approval_status="REJECTED")
    assert r.json() == {"non_field_errors": [NO_PRIOR]}
    assert k.create(k.owner, c["id"], bench["id"])["approval_status"] == "PENDING"


def test_delete_without_rows(k, bench, admin):
    c = k.comp(bench)
    r = admin.delete(k.pair(c["id"], bench["id"]))
    assert r.status_code == 204
    r = admin.delete(k.pair(999999, 999999))
    assert r.status_code == 204


def test_delete_admin_only(k, bench, bo, other, anon, admin):
    c = k.comp(bench)
    k.create(k.owner, c["id"], bench["id"])
    for client in (bo, k.owner, other):
        r = client.delete(k.pair(c["id"], bench["id"]))
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    r = anon.delete(k.pair(c["id"], bench["id"]))
    assert r.status_code == 401
    assert len(admin.get(k.pair(c["id"], bench["id"])).json()) == 1


# ---------------------------------------------------------------- collection route

def test_collection_get_forbidden_or_405(k, bo, admin):
    r = bo.get(k.coll)
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    r = admin.get(k.coll)
    assert r.status_code == 405
    assert r.json() == {"detail": 'Method "GET" not allowed.'}


# ---------------------------------------------------------------- history

def test_history_paginated_full_rows(k, bench, f, bo, admin):
    c = k.comp(bench)
    b2 = f.benchmark(bo, prep=bench["data_preparation_mlcube"])
    r1 = k.create(k.owner, c["id"], bench["id"])
    r2 = k.create(k.owner, c["id"], b2["id"])
    unrelated = k.comp(bench)
    k.create(k.owner, unrelated["id"], bench["id"])
    for client in (k.owner, admin):
        r = client.get(k.history(c["id"]))
        assert r.status_code == 200, r.text
        page = r.json()
        assert list(page) == ["count", "next", "previous", "results"]
        assert page["count"] == 2 and page["next"] is None and page["previous"] is None
        assert all(list(x) == k.row_keys for x in page["results"])
        assert sorted(page["results"], key=lambda x: x["id"]) == [r1, r2]


def test_history_pagination(k, bench, f, bo):
    c = k.comp(bench)
    for _ in range(3):
        b = f.benchmark(bo, prep=bench["data_preparation_mlcube"])
        k.create(k.owner, c["id"], b["id"])
    r = k.owner.get(k.history(c["id"]) + "?limit=2")
    assert r.status_code == 200
    page = r.json()
    assert page["count"] == 3 and len(page["results"]) == 2
    assert page["next"].endswith("/api/v0" + k.history(c["id"]) + "?limit=2&offset=2")
    assert page["previous"] is None


def test_history_permissions(k, bench, bo, other, anon):
    c = k.comp(bench)
    k.create(k.owner, c["id"], bench["id"])
    # the benchmark owner is not the component owner
    for client in (bo, other):
        r = client.get(k.history(c["id"]))
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    r = anon.get(k.history(c["id"]))
    assert r.status_code == 401


def test_history_missing_component(k, admin):
    r = admin.get(k.history(999999))
    assert r.status_code == 200
    assert r.json() == {"count": 0, "next": None, "previous": None, "results": []}
    r = k.owner.get(k.history(999999))
    assert r.status_code == 403
    assert r.json() == FORBIDDEN


def test_me_associations(k, bench, bo, do2, other, srv):
    c = k.comp(bench)
    row = k.create(k.owner, c["id"], bench["id"])
    # bo's own component on bo's benchmark, seen by bo only
    own = k.comp(bench, owner=bo)
    own_row = k.create(bo, own["id"], bench["id"])

    def ids(client):
        r = client.get(k.me + "?limit=100000")
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["count"] == len(page["results"])
        assert all(list(x) == k.row_keys for x in page["results"])
        return {x["id"]: x for x in page["results"]}

    mine = ids(k.owner)
    assert mine[row["id"]] == row
    assert own_row["id"] not in mine
    bos = ids(bo)
    assert bos[row["id"]] == row
    assert own_row["id"] in bos
    for client in (do2, other):
        seen = ids(client)
        assert row["id"] not in seen and own_row["id"] not in seen
    newbie = fresh_user(srv, "nobody")
    r = newbie.get(k.me)
    assert r.status_code == 200
    assert r.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_me_associations_include_history_rows(k, bench, bo):
    c = k.comp(bench)
    latest_state(k, bo, c["id"], bench["id"], "REJECTED")
    k.create(k.owner, c["id"], bench["id"])
    rows = [x for x in k.owner.get(k.me + "?limit=100000").json()["results"]
            if x[k.field] == c["id"]]
    assert sorted(x["approval_status"] for x in rows) == ["PENDING", "REJECTED"]


def test_me_associations_anonymous(k, anon):
    assert anon.get(k.me).status_code == 401


# ---------------------------------------------------------------- results depend on the latest row

def result_body(w, **kw):
    body = {"benchmark": w["benchmark"]["id"], "model": w["model"]["id"],
            "dataset": w["dataset"]["id"], "name": "run", "results": {}, "metadata": {},
            "model_report": {"execution_status": "pending"}}
    body.update(kw)
    return body


def test_result_needs_latest_model_association_approved(f, bo, mo, do):
    w = f.world(bo, mo, do)
    m, b = w["model"], w["benchmark"]
    r = do.post("/results/", result_body(w))
    assert r.status_code == 201, r.text
    # the model owner revokes: a REJECTED row becomes the latest
    f.model_assoc(mo, m["id"], b["id"], approval_status="REJECTED")
    r = do.post("/results/", result_body(w))
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["Model-Benchmark association must be approved"]}
    # a re-request is PENDING: still refused
    f.model_assoc(mo, m["id"], b["id"])
    r = do.post("/results/", result_body(w))
    assert r.json() == {"non_field_errors": ["Model-Benchmark association must be approved"]}
    # approved again: accepted
    r = bo.put(f"/models/{m['id']}/benchmarks/{b['id']}/", {"approval_status": "APPROVED"})
    assert r.status_code == 200, r.text
    r = do.post("/results/", result_body(w))
    assert r.status_code == 201, r.text


def test_result_needs_latest_dataset_association_approved(f, bo, mo, do):
    w = f.world(bo, mo, do)
    d, b = w["dataset"], w["benchmark"]
    f.dataset_assoc(bo, d["id"], b["id"], approval_status="REJECTED")
    r = do.post("/results/", result_body(w))
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["Dataset-Benchmark association must be approved"]}


def test_result_after_association_deleted(f, bo, mo, do, admin):
    w = f.world(bo, mo, do)
    m, b = w["model"], w["benchmark"]
    assert admin.delete(f"/models/{m['id']}/benchmarks/{b['id']}/").status_code == 204
    r = do.post("/results/", result_body(w))
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["Model must be associated to the benchmark"]}
