"""Bad data refused by the brain segmentation example's data preparator, through the
real `medperf container run_test` (native): each kind of bad raw data makes prepare
exit 1 with one clear line naming the file and the problem, and leaves no prepared
file behind; tampered prepared data makes sanity_check exit 1; a bad parameters file
is refused at its line. One case (a wrong shape) is also run on podman."""
import os
import shutil

import numpy as np
import pytest

import niftiio
from conftest import fresh

RAW = "/mlcommons/volumes/raw_data"
RAW_LABELS = "/mlcommons/volumes/raw_labels"


def copy_site(src, base):
    """A writable copy of a site's raw data and labels: (data, labels)."""
    top = fresh(base, "bad")
    data, labels = os.path.join(top, "data"), os.path.join(top, "labels")
    shutil.copytree(src[0], data)
    shutil.copytree(src[1], labels)
    for d in (data, labels):
        os.chmod(d, 0o755)
    return top, data, labels


def rewrite(path, fn):
    """Applies fn to the array of a NIfTI file and writes it back (same grid)."""
    h, a = niftiio.read(path)
    niftiio.write(path, fn(a), h.pixdim, h.affine)


def one_slice_less(data, labels):
    rewrite(os.path.join(labels, "a02.nii.gz"), lambda a: a[:, :, :-1])


def text_as_nifti(data, labels):
    with open(os.path.join(data, "a02.nii.gz"), "w") as f:
        f.write("patient notes, not an image\n")


def stray_file(data, labels):
    with open(os.path.join(data, "notes.txt"), "w") as f:
        f.write("hello\n")


def unknown_label(data, labels):
    def fn(a):
        a = a.copy()
        idx = np.argwhere(a == 5)[0]
        a[tuple(idx)] = 9
        return a
    rewrite(os.path.join(labels, "a02.nii.gz"), fn)


def missing_label(data, labels):
    os.unlink(os.path.join(labels, "a03.nii.gz"))


def four_d(data, labels):
    path = os.path.join(data, "a02.nii.gz")
    h, a = niftiio.read(path)
    raw = bytearray(niftiio.encode(np.stack([a, a], axis=-1).reshape(a.shape[0], a.shape[1], -1),
                                   h.pixdim, h.affine))
    raw[40:56] = np.array([4, a.shape[0], a.shape[1], a.shape[2], 2, 1, 1, 1], "<i2").tobytes()
    import gzip
    with open(path, "wb") as f:
        f.write(gzip.compress(bytes(raw), mtime=0))


def labelled_background(data, labels):
    def fn(a):
        a = a.copy()
        a[np.argwhere(a > 0)[0][0], :, :] = 0
        return a
    rewrite(os.path.join(data, "a02.nii.gz"), fn)


def negative_intensity(data, labels):
    def fn(a):
        a = a.astype(np.int16)
        a[tuple(np.argwhere(a > 0)[0])] = -5
        return a
    rewrite(os.path.join(data, "a02.nii.gz"), fn)


BAD_RAW = [
    ("wrong shape", one_slice_less,
     f"'{RAW}/a02.nii.gz' is 72x76x24 voxels but '{RAW_LABELS}/a02.nii.gz' is 72x76x23"),
    ("not a NIfTI file", text_as_nifti, f"'{RAW}/a02.nii.gz': not a NIfTI file"),
    ("stray file", stray_file,
     f"'{RAW}/notes.txt' is not a NIfTI file name (a case is ID.nii.gz or ID.nii)"),
    ("unknown label", unknown_label, "has label 9, not 0 or a tissue code (CSF 4, GM 5, WM 6)"),
    ("missing label", missing_label, f"case 'a03' is in '{RAW}' but not in '{RAW_LABELS}'"),
    ("4-D image", four_d, "is a 4-D image of 72x76x24x2 voxels, not a 3-D volume"),
    ("labelled background", labelled_background, "outside the skull-stripped brain"),
    ("negative intensity", negative_intensity, "has intensity -5 (a magnitude image has none"),
]


def run_prepare(mp, packaged, data, labels, top, params=None):
    out, index = packaged
    entry = index["containers"]["prep"]
    key = "oci_config" if mp.platform == "podman" else "config"
    prepared, prepared_labels = os.path.join(top, "prepared"), os.path.join(top, "prepared-labels")
    run = mp.run(os.path.join(out, entry[key]), "prepare",
                 {"data_path": data, "labels_path": labels, "output_path": prepared,
                  "output_labels_path": prepared_labels},
                 params or os.path.join(out, entry["parameters"]))
    return run, prepared, prepared_labels


def refused(run, message):
    assert run.rc != 0 and run.report is not None, (run.rc, run.stdout, run.stderr)
    assert run.report["stop"] == "exited" and run.report["exit_code"] == 1, run.report
    lines = [l for l in run.log.splitlines() if l.startswith("brainseg-prep")]
    assert len(lines) == 1, run.log
    assert message in lines[0], f"expected {message!r} in:\n{run.log}"


@pytest.mark.parametrize("what,make,message", BAD_RAW, ids=[b[0] for b in BAD_RAW])
def test_prepare_refuses_bad_raw_data(what, make, message, sites, packaged, medperf_native,
                                      base_dir):
    top, data, labels = copy_site(sites["hospital-a"], base_dir)
    make(data, labels)
    run, prepared, prepared_labels = run_prepare(medperf_native, packaged, data, labels, top)
    refused(run, message)
    # all or nothing: a01 was prepared before a02 failed, and is gone again
    assert os.listdir(prepared) == [] and os.listdir(prepared_labels) == []


def test_the_untouched_copy_prepares(sites, packaged, medperf_native, base_dir):
    """The control of the refusals above: the same copy, unchanged, is prepared."""
    top, data, labels = copy_site(sites["hospital-a"], base_dir)
    run, prepared, _ = run_prepare(medperf_native, packaged, data, labels, top)
    run.ok("prepare")
    assert sorted(os.listdir(prepared)) == ["a01.nii.gz", "a02.nii.gz", "a03.nii.gz"]


def test_bad_parameters_are_refused_at_their_line(sites, packaged, medperf_native, base_dir):
    top, data, labels = copy_site(sites["hospital-a"], base_dir)
    params = os.path.join(top, "parameters.yaml")
    with open(params, "w") as f:
        f.write("raw_label_csf: 4\nnormalize_percentile: 99\n")
    run, _, _ = run_prepare(medperf_native, packaged, data, labels, top, params)
    refused(run, ":2: unknown parameter 'normalize_percentile' (known: raw_label_csf, ")


def tamper_label(path):
    def fn(a):
        a = a.copy()
        a[tuple(np.argwhere(a == 2)[0])] = 7
        return a
    rewrite(path, fn)


def raw_image(path, raw):
    shutil.copyfile(raw, path)


@pytest.mark.parametrize("what", ["label 7", "not normalised"])
def test_sanity_check_refuses_tampered_prepared_data(what, pipeline, packaged, medperf_native,
                                                     base_dir):
    p = pipeline("native", "hospital-a")
    p.run("prepare")
    top = fresh(base_dir, "tampered")
    data, labels = os.path.join(top, "data"), os.path.join(top, "labels")
    shutil.copytree(p.data, data)
    shutil.copytree(p.labels, labels)
    if what == "label 7":
        tamper_label(os.path.join(labels, "a03.nii.gz"))
        message = "'/mlcommons/volumes/labels/a03.nii.gz': voxel"
        detail = "has label 7, not 0 or a tissue code (CSF 1, GM 2, WM 3)"
    else:
        raw_image(os.path.join(data, "a03.nii.gz"), os.path.join(p.raw_data, "a03.nii.gz"))
        message = "'/mlcommons/volumes/data/a03.nii.gz' is not normalised"
        detail = "was it written by prepare?"
    out, index = packaged
    entry = index["containers"]["prep"]
    run = medperf_native.run(os.path.join(out, entry["config"]), "sanity_check",
                             {"data_path": data, "labels_path": labels},
                             os.path.join(out, entry["parameters"]))
    assert run.rc != 0 and run.report["exit_code"] == 1, run.report
    assert message in run.log and detail in run.log, run.log
    assert "1 of 3 cases failed" in run.log


def test_wrong_shape_on_podman(sites, oci, client, base_dir):
    from conftest import Medperf
    mp = Medperf(client, fresh(base_dir, "home-podman-bad"), "podman")
    top, data, labels = copy_site(sites["hospital-a"], base_dir)
    one_slice_less(data, labels)
    run, prepared, prepared_labels = run_prepare(mp, oci, data, labels, top)
    refused(run, BAD_RAW[0][2])
    assert os.listdir(prepared) == [] and os.listdir(prepared_labels) == []
