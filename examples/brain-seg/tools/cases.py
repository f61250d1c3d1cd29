"""cases.py: how the brain segmentation example's cases are made from one real
volume, the T1 brain MRI and its tissue label map of Debian's
insighttoolkit5-examples (copies in tests/data/nifti, see PROVENANCE.md there).

Every case is a documented, deterministic transform of that pair (README.md,
"Cases"): a crop (a slab of slices and an in-plane window, shifted per case),
for one hospital thicker slices (linear interpolation of the image, nearest
slice for the labels), for another a left-right flip, then a scanner gain, a
smooth multiplicative bias field, Rician noise from a seeded generator, skull
stripping (voxels outside the labelled tissue set to 0) and quantisation to the
hospital's datatype. The affine of each file follows the crop, flip and
resampling, so that world coordinates stay those of the source.

Raw labels keep the source's codes (4 CSF, 5 grey matter, 6 white matter, 0
elsewhere); the data preparator maps them to the benchmark's 1, 2, 3.
This module is imported by ../derive, ../train and tests/ex_brain_seg.
"""
import hashlib
import os

import numpy as np

import niftiio

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SOURCE_DIR = os.path.join(ROOT, "tests", "data", "nifti")
T1 = "KmeansTest_T1UCharRaw.nii.gz"
LABELS = "KmeansTest_T1KmeansPrelimSegmentation.nii.gz"

# source label code -> tissue (the codes the hospitals' raw labels keep)
RAW_CODES = {4: "CSF", 5: "GM", 6: "WM"}
TISSUE = {"CSF": 1, "GM": 2, "WM": 3}

# in-plane window (voxels of the 128x128 source grid) around the brain
WINDOW = (72, 76)
CENTRE = (61, 59)


def case(name, z0, nz, shift=(0, 0), gain=1.0, bias=(0.0, 0.0, 0.0), sigma=0.0, seed=0,
         flip=False, zstep=1.0, dtype="int16"):
    """One case's recipe. z0, nz: the slab of source slices; shift: of the window
    (voxels); gain: scanner scale; bias: (ax, ay, q), the field is
    exp(ax u + ay v + q (u^2 + v^2 - 1/2)) on the window's coordinates u, v in [-1, 1];
    sigma: Rician noise on the source scale (0-255); zstep: source slices per output
    slice (1.5: 3 mm slices become 4.5 mm)."""
    return dict(name=name, z0=z0, nz=nz, shift=shift, gain=gain, bias=bias, sigma=sigma,
                seed=seed, flip=flip, zstep=zstep, dtype=dtype)


# The sites. A: reference-like (int16, mild noise). B: 12-bit scale (uint16), bias
# fields, left-right flip. C: scanner units (float32), 4.5 mm slices, stronger noise.
HOSPITALS = {
    "hospital-a": [
        case("a01", 6, 24, (0, 0), 1.00, sigma=2.0, seed=101),
        case("a02", 20, 24, (3, -2), 1.08, sigma=2.0, seed=102),
        case("a03", 34, 24, (-2, 3), 1.15, sigma=2.0, seed=103),
    ],
    "hospital-b": [
        case("b01", 4, 26, (1, 1), 8.0, (0.20, 0.05, 0.0), 3.0, 201, True, dtype="uint16"),
        case("b02", 18, 26, (-3, 0), 7.2, (-0.10, 0.20, 0.08), 3.0, 202, True, dtype="uint16"),
        case("b03", 32, 26, (2, -3), 8.8, (0.15, -0.15, -0.08), 3.0, 203, True, dtype="uint16"),
    ],
    "hospital-c": [
        case("c01", 2, 30, (0, 2), 0.004, (0.05, 0.0, 0.0), 6.0, 301, zstep=1.5, dtype="float32"),
        case("c02", 16, 30, (2, 0), 0.0045, (0.0, 0.05, 0.0), 6.0, 302, zstep=1.5,
             dtype="float32"),
        case("c03", 30, 30, (-1, -1), 0.0038, (-0.05, 0.0, 0.0), 6.0, 303, zstep=1.5,
             dtype="float32"),
    ],
}
DEMO = [
    case("demo01", 14, 16, (0, 0), 1.0, sigma=2.0, seed=11),
    case("demo02", 32, 16, (2, 2), 1.1, sigma=2.0, seed=12),
]
# the training case of ../train: the whole source, untransformed (no noise, no crop
# of slices), in the hospitals' window
TRAIN = case("train", 0, 62)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load_source(source_dir=SOURCE_DIR):
    """(header, T1 as float64, raw label codes as uint8 with only 0, 4, 5, 6). The
    files' digests must be the ones in SHA256SUMS beside them."""
    sums = {}
    with open(os.path.join(source_dir, "SHA256SUMS")) as f:
        for line in f:
            digest, name = line.split()
            sums[name.lstrip("*")] = digest
    for name in (T1, LABELS):
        got = sha256(os.path.join(source_dir, name))
        if sums.get(name) != got:
            raise SystemExit(f"{name}: sha256 {got} is not the one in SHA256SUMS")
    h, t1 = niftiio.read(os.path.join(source_dir, T1))
    _, lab = niftiio.read(os.path.join(source_dir, LABELS))
    codes = np.where(np.isin(lab, list(RAW_CODES)), lab, 0).astype(np.uint8)
    return h, t1.astype(np.float64), codes


def make(spec, h, t1, codes):
    """(image array, raw label array, spacing, affine) of one case: the transforms in
    the order of the module's description."""
    nx, ny = WINDOW
    x0 = CENTRE[0] - nx // 2 + spec["shift"][0]
    y0 = CENTRE[1] - ny // 2 + spec["shift"][1]
    z0, nz = spec["z0"], spec["nz"]
    img = t1[x0:x0 + nx, y0:y0 + ny, z0:z0 + nz]
    lab = codes[x0:x0 + nx, y0:y0 + ny, z0:z0 + nz]
    aff = h.affine.copy()
    aff[:, 3] = aff[:, :3] @ np.array([x0, y0, z0], dtype=np.float64) + aff[:, 3]
    spacing = list(h.pixdim)
    if spec["zstep"] != 1.0:
        step = spec["zstep"]
        pos = np.arange(0.0, nz - 1 + 1e-9, step)  # source slice positions
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, nz - 1)
        w = (pos - lo)[None, None, :]
        img = img[:, :, lo] * (1.0 - w) + img[:, :, hi] * w
        lab = lab[:, :, np.floor(pos + 0.5).astype(int)]
        aff[:, 2] *= step
        spacing[2] *= step
    if spec["flip"]:
        img = img[::-1]
        lab = lab[::-1]
        aff[:, 3] += aff[:, 0] * (img.shape[0] - 1)
        aff[:, 0] = -aff[:, 0]
    ax, ay, q = spec["bias"]
    u = np.linspace(-1.0, 1.0, img.shape[0])[:, None, None]
    v = np.linspace(-1.0, 1.0, img.shape[1])[None, :, None]
    field = np.exp(ax * u + ay * v + q * (u * u + v * v - 0.5))
    s = img * field
    if spec["sigma"] > 0:
        rng = np.random.default_rng(spec["seed"])
        n1 = rng.standard_normal(s.shape)
        n2 = rng.standard_normal(s.shape)
        s = np.sqrt((s + spec["sigma"] * n1) ** 2 + (spec["sigma"] * n2) ** 2)
    s = s * spec["gain"]
    brain = lab > 0
    if spec["dtype"] == "float32":
        floor = np.float64(spec["gain"])
        out = np.where(brain, np.maximum(s, floor), 0.0).astype(np.float32)
    else:
        top = 32767 if spec["dtype"] == "int16" else 65535
        out = np.where(brain, np.clip(np.rint(s), 1, top), 0).astype(spec["dtype"])
    return out, np.ascontiguousarray(lab), spacing, aff


def write_case(spec, h, t1, codes, data_dir, labels_dir):
    img, lab, spacing, aff = make(spec, h, t1, codes)
    os.makedirs(data_dir, exist_ok=True)
    os.makedirs(labels_dir, exist_ok=True)
    niftiio.write(os.path.join(data_dir, spec["name"] + ".nii.gz"), img, spacing, aff,
                  b"brain-seg example: T1, skull-stripped")
    niftiio.write(os.path.join(labels_dir, spec["name"] + ".nii.gz"), lab, spacing, aff,
                  b"brain-seg example: 4 CSF, 5 GM, 6 WM")
