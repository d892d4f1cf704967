"""What the GPU path does that a CPU can check: the GPU check script end to end at toy sizes,
device placement and dtypes, TF32 kept off inside kernel calls, and the memory the GPU path plans
for at paper sizes (against hand computations)."""

import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ntkrepro import memory, ntk, spectra
from ntkrepro.errors import ResourceError
from ntkrepro.fits import hard_margin_svm
from ntkrepro.models import build_model, initialize
from ntkrepro.ntk.engine import choose_tile
from ntkrepro.pipeline import resources

ROOT = Path(__file__).resolve().parents[1]
GPU_CHECK_ITEMS = [
    "gram lenet scalar",
    "gram lenet full (10 outputs)",
    "gram resnet18 width 16 scalar",
    "eigendecompose float64",
    "svm exact (incl. Gram)",
    "svm jst1 float32",
    "snakemake figures/fig7.pdf",
]
# Items whose error column is a float64 comparison (the Snakemake item has none)
COMPARED = GPU_CHECK_ITEMS[:-1]
GiB = 2**30


def lenet(outputs: int = 1):
    options = {"outputs": outputs} if outputs > 1 else {}
    return initialize(build_model("lenet", (1, 12, 12), options), "lecun-normal", 0).eval()


def inputs(m: int, seed: int = 0):
    return torch.randn(m, 1, 12, 12, generator=torch.Generator().manual_seed(seed))


def test_gpu_check_runs_every_item_at_toy_size(tmp_path):
    table = tmp_path / "gpu_check.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--device", "cpu", "--small", "--out", str(table)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.startswith(f"torch {torch.__version__}, CUDA ")
    with open(table, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["item"] for r in rows] == GPU_CHECK_ITEMS
    assert [r["result"] for r in rows] == ["pass"] * len(rows), rows
    assert all(float(r["seconds"]) >= 0 and r["peak GPU memory"] == "-" for r in rows)
    errors = {r["item"]: float(r["error vs float64"]) for r in rows if r["item"] in COMPARED}
    assert max(errors[name] for name in COMPARED[:3]) < 1e-5  # float32 Gram matrices against float64
    assert errors["eigendecompose float64"] < 1e-10
    assert errors["svm exact (incl. Gram)"] <= 1e-2 and 0 <= errors["svm jst1 float32"] <= 1e-2
    assert not table.with_name(table.name + ".tmp").exists()


@pytest.fixture(scope="module")
def gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
    module = sys.modules["gpu_check"] = importlib.util.module_from_spec(spec)  # dataclasses look it up there
    spec.loader.exec_module(module)
    return module


def test_gpu_check_refuses_cuda_without_a_gpu_in_one_line(gpu_check, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    out = tmp_path / "table.md"
    with pytest.raises(SystemExit) as exit:
        gpu_check.main(["--device", "cuda", "--out", str(out)])
    assert exit.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(
        f"--device cuda: torch {torch.__version__} sees no CUDA device (use --device cpu)")
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["--out", "{tmp}/missing/table.md"], "--out {tmp}/missing/table.md: folder {tmp}/missing does not exist"),
    (["--workflow-config", "{tmp}/none.yaml"], "--workflow-config {tmp}/none.yaml: no such file"),
    (["--budget", "0"], "--budget must be positive, got 0.0"),
], ids=["out", "workflow-config", "budget"])
def test_gpu_check_names_the_bad_argument(gpu_check, tmp_path, capsys, args, message):
    # --small and no time: should the check let the argument through, nothing heavy runs
    with pytest.raises(SystemExit) as exit:
        gpu_check.main(["--device", "cpu", "--small", "--budget", "1e-9", *(a.format(tmp=tmp_path) for a in args)])
    assert exit.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(message.format(tmp=tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_gpu_check_skips_the_items_beyond_its_budget(gpu_check, tmp_path):
    out = tmp_path / "table.md"
    assert gpu_check.main(["--device", "cpu", "--small", "--budget", "1e-9", "--out", str(out)]) == 1
    rows = [line.split(" | ") for line in out.read_text().splitlines() if line.startswith("| ") and "---" not in line]
    assert [r[0].lstrip("| ") for r in rows[1:]] == GPU_CHECK_ITEMS
    assert all(r[5] == "skipped" and "the budget of 0 s was spent" in r[6] for r in rows[1:])


def test_device_cpu_results_are_cpu_tensors_of_the_dtype_asked_and_the_model_is_left_alone():
    model, x = lenet(), inputs(6)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    K32 = ntk.gram(model, x, device="cpu")
    K64 = ntk.gram(model, x, device="cpu", dtype=torch.float64)
    assert (K32.device.type, K32.dtype, K64.device.type, K64.dtype) == ("cpu", torch.float32, "cpu", torch.float64)
    assert torch.allclose(K32.double(), K64, rtol=1e-5)
    assert all(p.device.type == "cpu" and p.dtype == torch.float32 for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_numpy_float64_inputs_are_run_in_the_dtype_asked():
    model, x = lenet(), inputs(5)
    from_numpy = ntk.gram(model, x.double().numpy(), device="cpu")
    assert from_numpy.dtype == torch.float32
    assert torch.allclose(from_numpy, ntk.gram(model, x, device="cpu"), rtol=1e-6)


def test_eigendecompose_and_jst1_on_device_cpu_keep_their_dtypes():
    K = ntk.gram(lenet(), inputs(40), dtype=torch.float64).numpy()
    v64, _ = spectra.eigendecompose(K, 5, device="cpu")
    v32, _ = spectra.eigendecompose(K, 5, device="cpu", dtype=np.float32)
    assert (v64.dtype, v32.dtype) == (np.float64, np.float32)
    assert np.allclose(v32, v64, rtol=1e-4)
    y = np.where(np.arange(40) % 2 == 0, 1.0, -1.0)
    fits = [hard_margin_svm(K, y, solver="jst1", device="cpu", dtype=dtype, tol=1e-2)
            for dtype in (torch.float32, torch.float64)]
    assert all(fit.coef.dtype == np.float64 and fit.converged for fit in fits)
    assert fits[0].margin == pytest.approx(fits[1].margin, rel=1e-2)


def tf32_flags():
    return torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32


@pytest.fixture
def tf32_on():
    """TF32 allowed globally, as a notebook might leave it; restored after the test."""
    old = tf32_flags()
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


@pytest.mark.parametrize("call", [
    lambda model, x, **kw: ntk.gram(model, x, **kw),
    lambda model, x, **kw: ntk.kernel(model, x, kind="conjugate", **kw),
    lambda model, x, **kw: ntk.paired(model, x, x, **kw),
    lambda model, x, **kw: ntk.gram_by_layer(model, x, **kw),
], ids=["gram", "kernel", "paired", "gram_by_layer"])
def test_tf32_is_off_inside_kernel_calls_unless_allowed(tf32_on, call):
    seen = []
    model = lenet()
    model.register_forward_hook(lambda *_: seen.append(tf32_flags()))
    call(model, inputs(4), device="cpu")
    assert seen and set(seen) == {(False, False)}
    assert tf32_flags() == (True, True)  # the caller's setting is back
    seen.clear()
    call(model, inputs(4), device="cpu", allow_tf32=True)
    assert seen and set(seen) == {(True, True)}


def test_tf32_flags_are_restored_when_a_kernel_call_fails(tf32_on):
    with pytest.raises(ValueError, match="outputs"):
        ntk.gram(lenet(10), inputs(3), device="cpu")  # a 10-output network with outputs="scalar"
    assert tf32_flags() == (True, True)


# ------------------------------------------------------------------------------------------------
# memory at paper sizes


def fake_square(m: int) -> np.ndarray:
    """An m x m float64 array that takes no memory (a broadcast view): only its shape is read
    before the memory checks."""
    return np.broadcast_to(np.zeros((), dtype=np.float64), (m, m))


def test_gpu_eigendecomposition_of_60000_float64_asks_for_86_gib(monkeypatch):
    # 3.2 · 60,000² · 8 bytes = 92.16e9 bytes = 85.8 GiB: the matrix (28.8 GB), its eigenvectors
    # and cuSOLVER's syevd workspace; more than an H100's 80 GB, less than an H200's 141 GB
    needed = 3.2 * 60_000**2 * 8
    assert needed == pytest.approx(92.16e9)
    monkeypatch.setattr(spectra, "resolve_device", lambda device: torch.device("cuda"))
    monkeypatch.setattr(memory, "available_bytes", lambda device: int(needed) - 1)
    with pytest.raises(ResourceError, match=r"^eigh of a 60000x60000 matrix needs about 85\.8 GiB but only 85\.8 GiB "
                                            r"is available on cuda; pass device='cpu'$"):
        spectra.eigendecompose(fake_square(60_000), 1000, device="cuda")
    # float32: half of it, 10.7 GiB at m = 30,000
    monkeypatch.setattr(memory, "available_bytes", lambda device: 10**9)
    with pytest.raises(ResourceError, match=r"needs about 10\.7 GiB but only 953\.7 MiB"):
        spectra.eigendecompose(fake_square(30_000), 10, device="cuda", dtype=np.float32)


def test_cpu_eigendecomposition_of_60000_float64_asks_for_the_matrix_and_its_eigenvectors(monkeypatch):
    # a float64 copy (60,000² · 8 = 28.8e9 bytes), k = 1,000 eigenvectors (0.48e9) and LAPACK's
    # O(m) work arrays (30 · 60,000 · 8 = 14.4e6): 29.29e9 bytes = 27.3 GiB
    needed = (60_000**2 + 60_000 * 1000 + 30 * 60_000) * 8
    assert needed == 29_294_400_000
    monkeypatch.setattr(memory, "available_bytes", lambda device: needed - 1)
    with pytest.raises(ResourceError, match=r"needs about 27\.3 GiB .* on cpu; use a machine with more memory$"):
        spectra.eigendecompose(fake_square(60_000), 1000, device="cpu")


def test_cluster_memory_of_paper_size_jobs():
    # eigendecompose: 1.15 · (8 · 60,000² + 16 · 60,000 · 1,000) bytes = 34,224,000,000 bytes =
    # 32,638.5 MiB, plus 2,048 MiB for the process
    assert resources.eigendecompose_mb(60_000, 1000) == 32_638 + 2048
    # k above m is capped at m: 1.15 · (8 + 16) · 1,000² bytes = 26.3 MiB
    assert resources.eigendecompose_mb(1000, 5000) == 26 + 2048
    # Gram: the engine's budget (kernel.memory_gb) on top of 4 · 2,048 MiB
    assert resources.gram_mb(None) == 8192
    assert resources.gram_mb(40) == 8192 + 40 * 1024


@pytest.mark.parametrize("m, bytes_per_sample, budget, device, tile", [
    # LeNet on MNIST (15,068 bytes of features per sample, float32 entries), a quarter of an
    # H200's free memory (35 GB): s = (−2b + √(4b² + 48·budget)) / 24 = 52,751 → the CUDA cap 8,192
    (60_000, 15_068, 35 * 10**9, "cuda", 8192),
    # the same budget on a CPU: its cap, 1,024
    (60_000, 15_068, 35 * 10**9, "cpu", 1024),
    # a 100 MB budget: s = (−30,136 + √(9.08e8 + 4.8e9)) / 24 = 1,892.3 → 1,792 (a multiple of 256)
    (60_000, 15_068, 10**8, "cuda", 1792),
    # ResNet18 of width 16 (2,801,220 bytes per sample), 35 GB: s = 6,200.0 → 6,144
    (10_000, 2_801_220, 35 * 10**9, "cuda", 6144),
    # a whole small problem in one tile
    (500, 15_068, 35 * 10**9, "cuda", 500),
])
def test_gram_tiles_on_a_gpu_at_paper_sizes(m, bytes_per_sample, budget, device, tile):
    size = choose_tile(m, bytes_per_sample, 4, budget, None, torch.device(device))
    assert size == tile
    # a row tile, a column tile and three kernel blocks fit in the budget
    assert 2 * size * bytes_per_sample + 3 * 4 * size**2 <= budget


def test_gram_features_of_one_sample_beyond_the_budget_are_refused():
    with pytest.raises(ResourceError, match=r"the smallest tile \(one row and one column sample, 2\.7 MiB of features "
                                            r"each, and its kernel entry\) needs 5\.3 MiB, more than the memory budget of "
                                            r"1\.0 MiB \(memory_bytes=\) allows"):
        choose_tile(10_000, 2_801_220, 4, 2**20, None, torch.device("cuda"))
