"""Stored kernels that cannot be silently wrong: chunks carry Fletcher-32 checksums, so a corrupted
chunk is refused naming the file; every read checks finiteness and symmetry; `verify` reads every
chunk; a new write removes what a killed one left."""

import h5py
import numpy as np
import pytest
import torch

from ntkrepro import ntk, spectra, verify
from ntkrepro.errors import IntegrityError
from ntkrepro.models import build_model, initialize
from ntkrepro.ntk import hdf5


@pytest.fixture
def kernel_file(tmp_path, monkeypatch):
    """A 20x20 NTK in 8x8 chunks (3x3 chunks, the last ones partly filled)."""
    monkeypatch.setattr(hdf5, "CHUNK_EDGE", 8)
    model = initialize(build_model("lenet", (1, 8, 8)), "lecun-normal", 0)
    x = torch.randn(20, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    path = tmp_path / "results" / "k.h5"
    path.parent.mkdir()
    ntk.write_gram(model, x, path, block_size=8)
    return path


def test_read_gram_in_the_stored_dtype_keeps_the_pseudo_inverse_cutoff_of_the_computation(tmp_path):
    # 13 parameters, 60 samples: Θ has rank <= 13; its float32 rounding noise lies above float64's cutoff
    from ntkrepro.fits import kernel_regression

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    x = torch.randn(60, 4, generator=torch.Generator().manual_seed(1))
    y = np.sign(np.random.default_rng(0).standard_normal(60))
    computed = ntk.gram(model, x)
    ntk.write_gram(model, x, tmp_path / "k.h5")
    stored = ntk.read_gram(tmp_path / "k.h5", dtype=None)
    assert stored.dtype == np.float32 and np.array_equal(stored, computed.numpy())
    assert ntk.read_gram(tmp_path / "k.h5").dtype == np.float64  # the default, for float64 solvers
    rank = kernel_regression(computed, y).rank
    assert rank <= 13 and kernel_regression(stored, y).rank == rank
    with ntk.open_gram(tmp_path / "k.h5") as (ds, _):
        assert kernel_regression(ds, y).rank == rank
    cast = ntk.read_gram(tmp_path / "k.h5")
    assert kernel_regression(cast, y).rank > 13  # a float64 copy's cutoff keeps the float32 noise...
    assert kernel_regression(cast, y, rcond=60 * np.finfo(np.float32).eps).rank == rank  # ...unless told


def scale_first_row_of_chunk(path, chunk_origin, factor=2.0):
    """Multiply the first row of a stored chunk by ``factor``, editing the file's raw bytes."""
    with h5py.File(path, "r") as h5:
        ds = h5[hdf5.DATASET]
        info = ds.id.get_chunk_info_by_coord(chunk_origin)
        edge = ds.chunks[1]
    with open(path, "r+b") as f:
        f.seek(info.byte_offset)
        row = np.frombuffer(f.read(edge * 4), dtype=np.float32) * np.float32(factor)
        f.seek(info.byte_offset)
        f.write(row.tobytes())


def test_kernels_are_written_with_checksums(kernel_file):
    with h5py.File(kernel_file, "r") as h5:
        assert h5[hdf5.DATASET].fletcher32 and h5[hdf5.DATASET].chunks == (8, 8)


def test_a_corrupted_chunk_is_refused_naming_the_file(kernel_file):
    clean = ntk.read_gram(kernel_file)
    scale_first_row_of_chunk(kernel_file, (8, 8))
    with pytest.raises(IntegrityError, match=rf"{kernel_file}: .*checksum.*delete it to rebuild"):
        ntk.read_gram(kernel_file)
    with pytest.raises(IntegrityError, match=rf"{kernel_file}: .*checksum"):
        with ntk.open_gram(kernel_file) as (ds, _):  # its sample of blocks holds the damaged chunk
            spectra.alpha(np.ones((1, 20)), ds)
    assert [(p, "checksum" in why) for p, why in verify.scan([kernel_file.parent])] == [(kernel_file, True)]


def tamper(path, edit):
    """Change the stored matrix through HDF5 (checksums stay valid): damage only the checks can see."""
    with h5py.File(path, "r+") as h5:
        edit(h5[hdf5.DATASET])


def test_non_finite_or_asymmetric_kernels_are_refused_on_every_read(kernel_file):
    clean = ntk.read_gram(kernel_file)
    tamper(kernel_file, lambda ds: ds.__setitem__((13, 2), np.nan))
    with pytest.raises(IntegrityError, match=rf"{kernel_file} holds non-finite values"):
        ntk.read_gram(kernel_file)
    with pytest.raises(IntegrityError, match=rf"{kernel_file} holds non-finite values"):
        with ntk.open_gram(kernel_file) as (ds, _):
            spectra.alpha(np.ones((1, 20)), ds, rows=8)
    assert "non-finite" in verify.check(kernel_file)

    tamper(kernel_file, lambda ds: ds.__setitem__((13, 2), clean[13, 2] * 1.5))
    with pytest.raises(IntegrityError, match=rf"{kernel_file} is not symmetric: K\[2, 13\] != K\[13, 2\]"):
        ntk.read_gram(kernel_file)
    assert "not symmetric" in verify.check(kernel_file)
    tamper(kernel_file, lambda ds: ds.__setitem__((13, 2), clean[13, 2]))
    assert np.array_equal(ntk.read_gram(kernel_file), clean) and verify.check(kernel_file) is None


def test_a_file_without_checksums_still_reads(kernel_file, tmp_path):
    """Kernels cached before checksums existed: same data, no fletcher32 filter."""
    old = tmp_path / "old.h5"
    with h5py.File(kernel_file, "r") as src, h5py.File(old, "w") as dst:
        for key, value in src.attrs.items():
            dst.attrs[key] = value
        dst.create_dataset(hdf5.DATASET, data=src[hdf5.DATASET][()], chunks=(8, 8))
        dst.create_dataset("sample_ids", data=src["sample_ids"][()])
    assert np.array_equal(ntk.read_gram(old), ntk.read_gram(kernel_file)) and verify.check(old) is None


def test_a_new_write_removes_the_temporary_file_a_killed_assembly_left(tmp_path):
    stale = tmp_path / ".k.h5.x1y2z3w4.tmp"  # a kill during HDF5 assembly leaves one of the matrix's size
    stale.write_bytes(b"\0" * 4096)
    other = tmp_path / ".j.h5.x1y2z3w4.tmp"  # another output's: not this job's to remove
    other.write_bytes(b"\0")
    model = initialize(build_model("lenet", (1, 8, 8)), "lecun-normal", 0)
    ntk.write_gram(model, torch.randn(6, 1, 8, 8), tmp_path / "k.h5")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".j.h5.x1y2z3w4.tmp", "k.h5"]


def test_verify_reads_every_chunk_beyond_the_sample_a_reader_checks(kernel_file, monkeypatch):
    monkeypatch.setattr(hdf5, "SAMPLED_PAIRS", 0)  # opening checks the diagonal chunk blocks only
    scale_first_row_of_chunk(kernel_file, (0, 16))
    with ntk.open_gram(kernel_file) as (ds, _):
        assert ds.shape == (20, 20)
    assert "checksum" in verify.check(kernel_file)


def test_read_gram_checks_the_symmetry_of_every_entry_beyond_the_sample(kernel_file, monkeypatch):
    monkeypatch.setattr(hdf5, "SAMPLED_PAIRS", 0)  # opening checks the diagonal chunk blocks only
    tamper(kernel_file, lambda ds: ds.__setitem__((17, 1), ds[17, 1] * 1.5))
    with ntk.open_gram(kernel_file) as (ds, _):
        assert ds.shape == (20, 20)
    with pytest.raises(IntegrityError, match=rf"{kernel_file} is not symmetric: K\[1, 17\] != K\[17, 1\]"):
        ntk.read_gram(kernel_file)
