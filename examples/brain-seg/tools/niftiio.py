"""niftiio.py: the small NIfTI-1 reader and writer of the brain segmentation
example's Python scripts (derive, train) and tests. It is not a general NIfTI
library: it reads little- or big-endian single-file NIfTI-1 (.nii, .nii.gz)
with the datatypes the example uses, and writes little-endian NIfTI-1 with an
sform only, gzip-compressed with a zero time stamp, so that the same array
gives the same bytes on every run.

Arrays are indexed [x, y, z] (x fastest in the file, as NIfTI stores them).
"""
import gzip
import struct

import numpy as np

# NIfTI datatype code -> numpy type (little-endian; byte-swapped for big-endian files)
DTYPES = {2: "u1", 4: "i2", 8: "i4", 16: "f4", 64: "f8", 256: "i1", 512: "u2", 768: "u4"}
CODES = {np.dtype(v).newbyteorder("<"): k for k, v in DTYPES.items()}


class Header:
    """The fields the example uses: dims, spacing, affine, scaling."""

    def __init__(self, dim, pixdim, affine, datatype, slope=0.0, inter=0.0,
                 qform_code=0, sform_code=1, descrip=b""):
        self.dim = tuple(int(d) for d in dim)
        self.pixdim = tuple(float(p) for p in pixdim)
        self.affine = np.asarray(affine, dtype=np.float64).reshape(3, 4)
        self.datatype = datatype
        self.slope = slope
        self.inter = inter
        self.qform_code = qform_code
        self.sform_code = sform_code
        self.descrip = descrip


def read(path):
    """(Header, array [x, y, z]) of a 3-D NIfTI-1 file; scaling is applied when the
    slope is non-zero (the array is then float64)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if struct.unpack("<i", raw[:4])[0] == 348:
        e = "<"
    elif struct.unpack(">i", raw[:4])[0] == 348:
        e = ">"
    else:
        raise ValueError(f"{path}: not a NIfTI-1 file")
    if raw[344:347] != b"n+1":
        raise ValueError(f"{path}: not a single-file NIfTI-1 image")
    dim = struct.unpack(e + "8h", raw[40:56])
    datatype = struct.unpack(e + "h", raw[70:72])[0]
    pixdim = struct.unpack(e + "8f", raw[76:108])
    off = int(struct.unpack(e + "f", raw[108:112])[0])
    slope, inter = struct.unpack(e + "2f", raw[112:120])
    qcode, scode = struct.unpack(e + "2h", raw[252:256])
    srow = struct.unpack(e + "12f", raw[280:328])
    if dim[0] > 3 and any(d > 1 for d in dim[4:dim[0] + 1]):
        raise ValueError(f"{path}: not a 3-D image")
    shape = tuple(max(1, dim[i]) if i <= dim[0] else 1 for i in (1, 2, 3))
    dt = np.dtype(DTYPES[datatype]).newbyteorder(e)
    n = shape[0] * shape[1] * shape[2]
    a = np.frombuffer(raw, dtype=dt, count=n, offset=off).reshape(shape[::-1]).transpose(2, 1, 0)
    a = a.astype(dt.newbyteorder("="))
    if slope != 0 and np.isfinite(slope) and (slope, inter) != (1.0, 0.0):
        a = a * np.float64(slope) + np.float64(inter)
    affine = np.array(srow, dtype=np.float64).reshape(3, 4) if scode > 0 else None
    if affine is None:
        affine = np.zeros((3, 4))
        for i in range(3):
            affine[i, i] = pixdim[i + 1]
    h = Header((3,) + shape, pixdim[1:4], affine, datatype, slope, inter, qcode, scode,
               raw[148:228].rstrip(b"\0"))
    return h, a


def encode(a, spacing, affine, descrip=b"", slope=0.0, inter=0.0):
    """The bytes of an uncompressed NIfTI-1 file of array a [x, y, z] (its dtype is
    the file's datatype), with this spacing (3 mm values) and voxel-to-world affine
    (3 x 4) as the sform (code 1, scanner)."""
    a = np.asarray(a)
    dt = a.dtype.newbyteorder("<")
    code = CODES[dt]
    nx, ny, nz = a.shape
    hdr = bytearray(352)
    struct.pack_into("<i", hdr, 0, 348)
    struct.pack_into("<b", hdr, 38, ord("r"))
    struct.pack_into("<8h", hdr, 40, 3, nx, ny, nz, 1, 1, 1, 1)
    struct.pack_into("<2h", hdr, 70, code, dt.itemsize * 8)
    struct.pack_into("<8f", hdr, 76, 1.0, *[float(s) for s in spacing], 0.0, 0.0, 0.0, 0.0)
    struct.pack_into("<3f", hdr, 108, 352.0, slope, inter)
    hdr[123] = 2 | 8  # mm and seconds
    d = descrip[:79]
    hdr[148:148 + len(d)] = d
    struct.pack_into("<2h", hdr, 252, 0, 1)
    struct.pack_into("<12f", hdr, 280, *[float(v) for v in np.asarray(affine).reshape(12)])
    hdr[344:348] = b"n+1\0"
    body = np.ascontiguousarray(a.transpose(2, 1, 0)).astype(dt).tobytes()
    return bytes(hdr) + body


def write(path, a, spacing, affine, descrip=b"", slope=0.0, inter=0.0):
    """Writes encode(...) gzip-compressed (level 6, time stamp 0, no file name):
    the same array gives the same bytes."""
    data = gzip.compress(encode(a, spacing, affine, descrip, slope, inter), compresslevel=6,
                         mtime=0)
    with open(path, "wb") as f:
        f.write(data)
