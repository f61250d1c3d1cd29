"""factory.py: builds valid entities through the API, for test set-up.

Every create asserts its status, so a broken set-up fails loudly where it
breaks. Names and hashes are unique per call.
"""
import itertools
import uuid

_seq = itertools.count(1)


def uniq(prefix):
    return f"{prefix}-{next(_seq)}-{uuid.uuid4().hex[:8]}"


def sha():
    return uuid.uuid4().hex + uuid.uuid4().hex


class Factory:
    def __init__(self, srv, admin):
        self.srv = srv
        self.admin = admin

    # ---- bodies (no request) ----
    def mlcube_body(self, **kw):
        body = {
            "name": uniq("cube"),
            "container_config": {"image": f"example/{uniq('img')}:1", "tasks": {"infer": {}}},
            "parameters_config": {"batch": 1},
            "image_hash": "sha256:" + sha(),
            "additional_files_tarball_url": "",
            "additional_files_tarball_hash": "",
            "state": "OPERATION",
        }
        body.update(kw)
        return body

    def asset_body(self, **kw):
        body = {"name": uniq("asset"), "asset_hash": sha(), "asset_url": "local",
                "state": "OPERATION"}
        body.update(kw)
        return body

    def model_body(self, type="CONTAINER", state="OPERATION", **kw):
        body = {"name": uniq("model"), "type": type, "state": state}
        if type == "CONTAINER":
            body["container"] = self.mlcube_body(state=state)
        else:
            body["asset"] = self.asset_body(state=state)
        body.update(kw)
        return body

    def benchmark_body(self, prep, ref, evaluator, **kw):
        body = {
            "name": uniq("bench"),
            "description": "a benchmark",
            "docs_url": "",
            "demo_dataset_tarball_url": "https://example.org/demo.tar.gz",
            "demo_dataset_tarball_hash": sha(),
            "demo_dataset_generated_uid": sha(),
            "data_preparation_mlcube": prep,
            "reference_model": ref,
            "data_evaluator_mlcube": evaluator,
            "state": "OPERATION",
        }
        body.update(kw)
        return body

    def dataset_body(self, prep, **kw):
        body = {
            "name": uniq("data"),
            "description": "a dataset",
            "location": "here",
            "input_data_hash": sha(),
            "generated_uid": sha(),
            "split_seed": 0,
            "data_preparation_mlcube": prep,
            "submitted_as_prepared": False,
            "generated_metadata": {"n": 1},
            "report": {"progress": 100},
        }
        body.update(kw)
        return body

    # ---- entities ----
    @staticmethod
    def _created(r):
        assert r.status_code == 201, f"{r.status_code} {r.text}"
        return r.json()

    def mlcube(self, client, **kw):
        return self._created(client.post("/mlcubes/", self.mlcube_body(**kw)))

    def model(self, client, **kw):
        return self._created(client.post("/models/", self.model_body(**kw)))

    def benchmark(self, owner, prep=None, ref=None, evaluator=None, approve=True, **kw):
        """A benchmark of owner with operational components (made for owner when
        not given), approved by the admin unless approve=False."""
        prep = prep or self.mlcube(owner)["id"]
        ref = ref or self.model(owner)["id"]
        evaluator = evaluator or self.mlcube(owner)["id"]
        b = self._created(owner.post("/benchmarks/",
                                     self.benchmark_body(prep, ref, evaluator, **kw)))
        if approve and b["approval_status"] != "APPROVED":
            r = self.admin.put(f"/benchmarks/{b['id']}/", {"approval_status": "APPROVED"})
            assert r.status_code == 200, r.text
            b = r.json()
        return b

    def dataset(self, client, prep, operational=True, **kw):
        d = self._created(client.post("/datasets/", self.dataset_body(prep, **kw)))
        if operational:
            r = client.put(f"/datasets/{d['id']}/", {"state": "OPERATION"})
            assert r.status_code == 200, r.text
            d = r.json()
        return d

    def dataset_assoc(self, client, dataset, benchmark, **kw):
        body = {"dataset": dataset, "benchmark": benchmark, "metadata": {"test_result": {}}}
        body.update(kw)
        return self._created(client.post("/datasets/benchmarks/", body))

    def model_assoc(self, client, model, benchmark, **kw):
        body = {"model": model, "benchmark": benchmark, "metadata": {}}
        body.update(kw)
        return self._created(client.post("/models/benchmarks/", body))

    def world(self, bo, mo, do):
        """A benchmark of bo with an approved model of mo and an approved
        dataset of do: the state in which results can be created."""
        b = self.benchmark(bo)
        m = self.model(mo)
        self.model_assoc(mo, m["id"], b["id"])
        r = bo.put(f"/models/{m['id']}/benchmarks/{b['id']}/", {"approval_status": "APPROVED"})
        assert r.status_code == 200, r.text
        d = self.dataset(do, b["data_preparation_mlcube"])
        self.dataset_assoc(do, d["id"], b["id"])
        r = bo.put(f"/datasets/{d['id']}/benchmarks/{b['id']}/", {"approval_status": "APPROVED"})
        assert r.status_code == 200, r.text
        return {"benchmark": b, "model": m, "dataset": d}
