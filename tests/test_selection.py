"""The SLURM test runs only when asked for (NTKREPRO_SLURM_TEST=1, as .ci/run does); otherwise it is
deselected, with the reason in the report (never a skip that reads as a pass)."""

from pathlib import Path
from types import SimpleNamespace

import conftest
import pytest

ROOT = Path(__file__).resolve().parents[1]


class Item:
    def __init__(self, name, *markers):
        self.name, self.markers = name, markers

    def get_closest_marker(self, name):
        return name if name in self.markers else None


def select(monkeypatch, opt_in):
    if opt_in is None:
        monkeypatch.delenv("NTKREPRO_SLURM_TEST", raising=False)
    else:
        monkeypatch.setenv("NTKREPRO_SLURM_TEST", opt_in)
    deselected, lines = [], []
    config = SimpleNamespace(stash=pytest.Stash(), hook=SimpleNamespace(pytest_deselected=lambda items: deselected.extend(items)))
    items = [Item("unit"), Item("cluster", "slurm"), Item("build", "workflow")]
    conftest.pytest_collection_modifyitems(config, items)
    conftest.pytest_terminal_summary(SimpleNamespace(write_line=lines.append), config)
    return [i.name for i in items], [i.name for i in deselected], lines


@pytest.mark.parametrize("opt_in", [None, "0", ""])
def test_the_slurm_test_is_deselected_with_its_reason_unless_asked_for(monkeypatch, opt_in):
    kept, deselected, lines = select(monkeypatch, opt_in)
    assert kept == ["unit", "build"] and deselected == ["cluster"]
    assert len(lines) == 1 and "1 SLURM test(s) deselected" in lines[0] and "NTKREPRO_SLURM_TEST=1" in lines[0]


def test_asked_for_the_slurm_test_is_kept(monkeypatch):
    assert select(monkeypatch, "1") == (["unit", "cluster", "build"], [], [])


def test_ci_asks_for_it():
    assert "NTKREPRO_SLURM_TEST=1 make test" in (ROOT / ".ci/run").read_text()
