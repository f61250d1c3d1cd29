"""The breast-cancer data and its split (examples/breast-cancer/make-sites, train): the
split is the same byte for byte on every run and equal to the committed digests; every
source case is in exactly one site; each site has its documented size, case mix and
export format; the committed weights are what train fits.
"""
import collections
import hashlib
import os
import subprocess

from conftest import EXAMPLE, read_csv

SIZES = {"demo": (20, 6), "hospital-a": (120, 24), "hospital-b": (90, 45),
         "hospital-c": (60, 35), "train": (279, 102)}


def make(out):
    r = subprocess.run([os.path.join(EXAMPLE, "make-sites"), out], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def tree_digests(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def test_split_is_reproducible_byte_for_byte(base_dir):
    a, b = os.path.join(base_dir, "split-a"), os.path.join(base_dir, "split-b")
    make(a)
    make(b)
    make(b)  # again over its own output: the folders are replaced, not added to
    da, db = tree_digests(a), tree_digests(b)
    assert da == db
    with open(os.path.join(EXAMPLE, "sites.sha256")) as f:
        committed = {line.split()[1]: line.split()[0] for line in f if line.strip()}
    assert da == committed, "make-sites no longer writes the committed sites.sha256"
    for site in SIZES:
        for sub in ("", "data", "labels"):
            assert os.stat(os.path.join(a, site, sub)).st_mode & 0o777 == 0o755
        assert os.stat(os.path.join(a, site, "data", "cases.csv")).st_mode & 0o777 == 0o644


def test_every_case_in_exactly_one_site(make_sites):
    rows = make_sites.load()
    sites = make_sites.split(rows)
    seen = collections.Counter(i for cases in sites.values() for _, i in cases)
    assert sorted(seen) == list(range(569)) and set(seen.values()) == {1}
    for site, (n, malignant) in SIZES.items():
        cases = sites[site]
        assert len(cases) == n, site
        assert sum(rows[i][1] == "M" for _, i in cases) == malignant, site
        ids = [c for c, _ in cases]
        assert len(set(ids)) == n and ids == sorted(ids)


def test_written_sites_hold_the_source_values(base_dir, make_sites):
    """Reading the written files back gives each source row once, values as text unchanged."""
    out = os.path.join(base_dir, "split-values")
    make(out)
    rows = make_sites.load()
    source = collections.Counter((tuple(f), d) for f, d in rows)
    found = collections.Counter()
    for site in SIZES:
        table = read_csv(os.path.join(out, site, "data", "cases.csv"))
        diag = read_csv(os.path.join(out, site, "labels", "diagnosis.csv"))
        header = table[0]
        dx = {r[diag[0].index("case_id")]: r[diag[0].index("diagnosis")] for r in diag[1:]}
        assert len(dx) == len(table) - 1 == SIZES[site][0]
        for r in table[1:]:
            byname = dict(zip(header, r))
            found[(tuple(byname[n] for n in make_sites.FEATURES),
                   dx[byname["case_id"]])] += 1
    assert found == source


def test_each_hospital_exports_its_own_way(base_dir, make_sites):
    out = os.path.join(base_dir, "split-layout")
    make(out)

    def first(site, sub, name):
        with open(os.path.join(out, site, sub, name), "rb") as fh:
            return fh.readline()
    f = make_sites.FEATURES
    assert first("hospital-a", "data", "cases.csv") == (",".join(["case_id"] + f) + "\n").encode()
    assert first("hospital-b", "data", "cases.csv").startswith(
        b"case_id,mean_radius,radius_error,worst_radius,mean_texture,")
    assert first("hospital-b", "labels", "diagnosis.csv") == b"diagnosis,case_id\n"
    assert first("hospital-c", "data", "cases.csv") == (",".join(f[::-1] + ["case_id"]) +
                                                       "\r\n").encode()
    with open(os.path.join(out, "hospital-c", "labels", "diagnosis.csv"), "rb") as fh:
        text = fh.read()
    assert text.count(b"\r\n") == 61 and text.count(b"\n") == 61
    assert read_csv(os.path.join(out, "hospital-a", "labels", "diagnosis.csv"))[1][0] == "a-0001"


def test_source_file_is_checked(base_dir, make_sites):
    bad = os.path.join(base_dir, "altered.csv")
    with open(make_sites.SOURCE, "rb") as f:
        data = f.read()
    with open(bad, "wb") as f:
        f.write(data.replace(b"17.99", b"17.98", 1))
    try:
        make_sites.load(bad)
    except SystemExit as e:
        assert "not the expected" in str(e)
    else:
        raise AssertionError("an altered source file was accepted")


def test_committed_weights_are_what_train_fits():
    r = subprocess.run([os.path.join(EXAMPLE, "train"), "--check"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("same as") == 3
    # the AUC table the README quotes
    assert "| logreg | 1.0000 | 0.9996 | 0.9990 | 1.0000 | 0.9950 |" in r.stdout, r.stdout
