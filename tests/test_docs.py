"""The examples of docs/api.md run as written, one after the other (as in a notebook)."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs/api.md"


def test_the_api_examples_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 10
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    out = capsys.readouterr().out
    assert "trace NTK matches the full one: True" in out and "effective rank of J:" in out
    assert float(re.search(r"regression test accuracy ([\d.]+)", out).group(1)) > 0.9
    assert float(re.search(r"SVM test accuracy ([\d.]+)", out).group(1)) > 0.9
    assert re.search(r"HardMarginSVM\(m=1000, solver='exact', margin=[\d.e-]+, gap=[\d.e+-]+, converged=(True|False), "
                     r"iterations=\d+\)\n", out)
    assert "same predictions: True" in out
    assert re.search(r"refused: .*K\.h5 is not symmetric: K\[3, 5\] != K\[5, 3\]; delete it to rebuild", out)
    assert "Jacobian materialized: True" in out
    # above 0.91, the share of the test digits that are not 3s
    assert float(re.search(r"linearized LeNet test accuracy ([\d.]+)", out).group(1)) > 0.93
    assert float(re.search(r"one-logit test accuracy ([\d.]+)", out).group(1)) > 0.93
    assert "float64 model, kernel dtype: torch.float64 | dtype=float32: torch.float32" in out
    assert "last layer alone: torch.Size([100, 100])" in out and "columns layout: (100, 5) True" in out
    assert "refused: x1 of shape (1, 28, 28): the model fails on these samples" in out
    assert "refused: x1 has non-finite entries (NaN or Inf), first in sample 3" in out
    assert "refused: x1 is a tuple of 2 inputs" in out and "nngp is output / C: True" in out
    assert "serial(Conv(3, W_std=1.4142135623730951, b_std=0.1), Relu(), Flatten(), Dense(" in out
    # the finite-width fluctuation of a 512-channel network (measured 0.06)
    assert float(re.search(r"against the infinite one: relative gap ([\d.]+)", out).group(1)) < 0.15
    low, high = map(float, re.search(r"95% interval \[(-?[\d.]+), (-?[\d.]+)\] over 3 seeds", out).groups())
    assert low < -0.5 < high  # the exponent the example's errors were drawn with
    assert "figure 6 x axis: epoch $t$" in out


README = DOC.parents[1] / "README.md"


def test_the_readme_examples_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert "full NTK: (64, 64, 10, 10)" in capsys.readouterr().out


def test_every_local_link_of_the_docs_resolves():
    pages = [README, *sorted((README.parent / "docs").rglob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)\)", page.read_text()):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(README.parent)}: {target}")
    assert not broken, broken


def test_the_readme_is_a_front_door():
    text = README.read_text()
    assert len(text.splitlines()) <= 200
    assert not re.search(r"\bthis round\b|\bround \d\b|\b[0-9a-f]{7,40}\b", text)
