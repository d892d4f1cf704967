"""The examples of docs/api.md run as written, one after the other (as in a notebook)."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs/api.md"


def test_the_api_examples_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 6
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    out = capsys.readouterr().out
    assert "trace NTK matches the full one: True" in out and "effective rank of J:" in out
    assert float(re.search(r"regression test accuracy ([\d.]+)", out).group(1)) > 0.9
    assert float(re.search(r"SVM test accuracy ([\d.]+)", out).group(1)) > 0.9
    assert re.search(r"refused: .*K\.h5 is not symmetric: K\[3, 5\] != K\[5, 3\]; delete it to rebuild", out)
    assert "Jacobian materialized: True" in out
    # above 0.91, the share of the test digits that are not 3s
    assert float(re.search(r"linearized LeNet test accuracy ([\d.]+)", out).group(1)) > 0.93
