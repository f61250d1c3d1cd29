"""checks.py: the independent numpy side of the brain segmentation example's tests:
what prepare must write, the statistics, the three models as trained (through the
train script's own feature code), and the Dice of masks."""
import importlib.machinery
import importlib.util
import os

import numpy as np
import yaml

import niftiio
from conftest import EXAMPLE, TISSUES

RAW_TO_TISSUE = {0: 0, 4: 1, 5: 2, 6: 3}


def nifti_files(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".nii.gz") and not n.startswith("."))


def load_train():
    loader = importlib.machinery.SourceFileLoader("brainseg_train", os.path.join(EXAMPLE, "train"))
    spec = importlib.util.spec_from_loader("brainseg_train", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def expected_prepared(raw_image, raw_labels):
    """(image float32, tissue uint8) that prepare must write for one raw case."""
    _, img = niftiio.read(raw_image)
    _, lab = niftiio.read(raw_labels)
    img = img.astype(np.float64)
    p = np.percentile(img[img > 0], 99)
    out = np.where(img > 0, img / p, 0).astype(np.float32)
    tissue = np.vectorize(RAW_TO_TISSUE.get, otypes=[np.uint8])(lab)
    return out, tissue


def read_weights(path):
    w = {}
    with open(path) as f:
        for line in f:
            words = line.split("#")[0].split()
            if not words:
                continue
            if words[0] == "class":
                w.setdefault("class", {})[int(words[1])] = [float(x) for x in
                                                           words[3:4] + words[5:7] + words[8:11]]
            else:
                w[words[0]] = words[1:]
    return w


def predict(kind, image, train):
    """The model's prediction (0 outside the brain, 1..3) of a prepared image, in numpy."""
    w = read_weights(os.path.join(EXAMPLE, "weights", f"{kind}.txt"))
    x = image.astype(np.float64)
    brain = x > 0
    if kind == "thresholds":
        t0, t1 = (float(v) for v in w["thresholds"])
        t = np.where(x < t0, 1, np.where(x < t1, 2, 3))
    elif kind == "nearest-mean":
        m = train.box_mean(x, int(w["radius"][0]))
        centres = np.array([float(v) for v in w["means"]])
        t = np.argmin(np.abs(m[..., None] - centres), axis=-1) + 1
    else:
        m = train.box_mean(x, int(w["radius"][0]))
        scores = []
        for k in (1, 2, 3):
            prior, m0, m1, c11, c12, c22 = w["class"][k]
            cov = np.array([[c11, c12], [c12, c22]])
            ic = np.linalg.inv(cov)
            d0, d1 = x - m0, m - m1
            q = d0 * d0 * ic[0, 0] + 2 * d0 * d1 * ic[0, 1] + d1 * d1 * ic[1, 1]
            scores.append(-0.5 * q - 0.5 * np.log(np.linalg.det(cov)) + np.log(prior))
        t = np.argmax(np.stack(scores, axis=-1), axis=-1) + 1
    return np.where(brain, t, 0).astype(np.uint8)


def dice(pred, ref, label):
    a, b = pred == label, ref == label
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int((a & b).sum()) / total


def dice_table(pred_dir, label_dir):
    """{tissue name: [Dice of each case, in file-name order]}."""
    table = {name: [] for name in TISSUES}
    for name in nifti_files(label_dir):
        _, p = niftiio.read(os.path.join(pred_dir, name))
        _, r = niftiio.read(os.path.join(label_dir, name))
        for tissue, label in TISSUES.items():
            table[tissue].append(dice(p, r, label))
    return table


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)
