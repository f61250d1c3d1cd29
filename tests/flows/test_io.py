"""`dataset export` and `dataset import`: a dataset's local copy moved to
another machine of the same site (the same user, another home), and the
archives import refuses."""
import io
import os
import tarfile

import yaml

from flowkit import failed, folder_hash, ok, raw_site, uniq


def listing(folder):
    out = {}
    for dirpath, _, files in os.walk(folder):
        for n in files:
            p = os.path.join(dirpath, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, folder)] = f.read()
    return out


def prepared_dataset(fed, do, operational):
    data, lab = raw_site(os.path.join(fed.base, "raw", do.name, uniq("s")), (3, 4, 7), (0, 1, 0))
    d = do.json("dataset", "submit", "-p", fed.parts()["prep"], "-d", data, "-l", lab,
                "--name", uniq("io"), "-y")["id"]
    do.run("dataset", "prepare", "-d", d, "-y", check=True)
    if operational:
        do.run("dataset", "set_operational", "-d", d, "-y", check=True)
    return d, data, lab


def test_export_import_in_development(fed, person, base):
    a = person("dio")
    b = person("dio-b", email="dio@example.org")     # the same person on another machine
    d, data, lab = prepared_dataset(fed, a, operational=False)
    out = os.path.join(base, uniq("export"))
    os.makedirs(out)
    r = ok(a.run("dataset", "export", "-d", d, "-o", out))
    archive = os.path.join(out, f"{d}.gz")
    assert archive in r.stdout and os.path.isfile(archive)
    with tarfile.open(archive) as tf:
        top = {n.split("/")[0] for n in tf.getnames()}
    assert top == {str(d), "archive_config.yaml", os.path.basename(data),
                   os.path.basename(lab)}

    failed(b.run("dataset", "import", "-d", d, "-i", archive), 2, "--raw_dataset_path")
    raw = os.path.join(base, uniq("raw-b"))
    ok(b.run("dataset", "import", "-d", d, "-i", archive, "--raw_dataset_path", raw))
    # the same files (the local records are rewritten: raw paths, the server's latest record)
    mine = ("raw.yaml", "registration-info.yaml")
    assert {k: v for k, v in listing(b.local("data", d)).items() if k not in mine} == \
        {k: v for k, v in listing(a.local("data", d)).items() if k not in mine}
    assert {".ready", "statistics.yaml", "report.yaml", "metadata/meta.yaml"} <= \
        set(listing(b.local("data", d)))
    moved = yaml.safe_load(open(os.path.join(b.local("data", d), "raw.yaml")))
    assert moved == {"data_path": os.path.join(raw, os.path.basename(data)),
                     "labels_path": os.path.join(raw, os.path.basename(lab))}
    assert folder_hash(moved["data_path"], moved["labels_path"]) == folder_hash(data, lab)
    # the second machine finishes the job
    got = b.json("dataset", "set_operational", "-d", d, "-y")
    assert got["state"] == "OPERATION"
    assert got["generated_uid"] == folder_hash(os.path.join(a.local("data", d), "data"),
                                               os.path.join(a.local("data", d), "labels"))
    assert got["input_data_hash"] == folder_hash(data, lab)
    # it is there now: a second import is refused
    failed(b.run("dataset", "import", "-d", d, "-i", archive, "--raw_dataset_path",
                 raw + "-again"), 1, "exists on this machine already")


def test_export_import_operational(fed, person, base):
    a = person("dio2")
    b = person("dio2-b", email="dio2@example.org")
    d, _, _ = prepared_dataset(fed, a, operational=True)
    out = os.path.join(base, uniq("export"))
    os.makedirs(out)
    ok(a.run("dataset", "export", "-d", d, "-o", out))
    archive = os.path.join(out, f"{d}.gz")
    with tarfile.open(archive) as tf:
        assert {n.split("/")[0] for n in tf.getnames()} == {str(d), "archive_config.yaml"}
    ok(b.run("dataset", "import", "-d", d, "-i", archive))
    r = ok(b.run("dataset", "check", "-d", d))
    assert "prepared data: unchanged" in " ".join(r.stdout.split())
    # an archive of another dataset, or for another server
    other, _, _ = prepared_dataset(fed, a, operational=True)
    failed(b.run("dataset", "import", "-d", other, "-i", archive), 1,
           f"holds dataset {d}, not dataset {other}")
    assert not os.path.exists(b.local("data", other, "data"))


def test_import_refuses_an_archive_leaving_its_folder(fed, person, base):
    a = person("dio3")
    d, _, _ = prepared_dataset(fed, a, operational=True)
    evil = os.path.join(base, uniq("evil") + ".gz")
    with tarfile.open(evil, "w:gz") as tf:
        for name, data in (("archive_config.yaml", b"dataset: %d\nserver: x\n" % d),
                           (f"{d}/data/x.txt", b"x"), ("../../escaped.txt", b"evil")):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    c = person("dio3-c", email="dio3@example.org")
    failed(c.run("dataset", "import", "-d", d, "-i", evil), 1, "..")
    assert not os.path.exists(c.local("data", d, "data"))
    assert not os.path.exists(os.path.join(c.storage, "escaped.txt"))
    assert not os.path.exists(os.path.join(c.home, "escaped.txt"))
