"""Which library files a rule's script runs, found from its imports."""

from pathlib import Path

from ntkrepro import provenance

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


def names(script):
    return {str(f.relative_to(provenance.ROOT)) for f in provenance.library_files(SCRIPTS / script)}


def test_direct_and_indirect_imports_are_found():
    train = names("train.py")
    assert {"training/loop.py", "training/recipe.py", "models/__init__.py", "models/resnet.py", "linearize.py",
            "workflow.py", "progress.py", "io.py", "errors.py", "__init__.py"} <= train
    # a linearization's materialized Jacobian comes from the kernel engine, so training depends on it
    assert {"ntk/__init__.py", "ntk/engine.py"} <= train
    assert not any(n.startswith(("pipeline/", "papers/")) for n in train) and "plotting.py" not in train
    assert {"ntk/__init__.py", "ntk/engine.py", "ntk/features.py", "ntk/hdf5.py", "memory.py"} <= names("kernel.py")


def test_a_figure_module_imported_by_name_counts_alone():
    fig7 = {str(f.relative_to(provenance.ROOT)) for f in provenance.library_files(
        SCRIPTS / "figure_table.py", "ntkrepro.papers.ortiz2021.fig7")}
    assert {"papers/ortiz2021/fig7.py", "papers/ortiz2021/common.py", "papers/ortiz2021/__init__.py"} <= fig7
    assert "papers/ortiz2021/fig2.py" not in fig7 and "pipeline/plan.py" not in fig7


def test_digest_covers_only_library_imports(tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import os\n")
    assert provenance.library_files(script) == []
    unrelated = provenance.source_digest(script)
    script.write_text("import os\nfrom ntkrepro import plotting\n")
    assert {f.name for f in provenance.library_files(script)} >= {"plotting.py", "__init__.py"}
    assert provenance.source_digest(script) not in (unrelated, provenance.source_digest(SCRIPTS / "train.py"))


def test_comments_docstrings_and_layout_change_no_digest_code_does(tmp_path):
    module = tmp_path / "module.py"
    script = tmp_path / "script.py"
    script.write_text("import os\n")
    base = '"""A module."""\n\n\ndef f(x):\n    """Twice x."""\n    return 2 * x\n'
    digests = {}
    for name, text in {
        "base": base,
        "comment": "# why\n" + base.replace("return 2 * x", "return 2 * x  # doubled"),
        "docstrings": base.replace("A module.", "Another text.").replace("Twice x.", "2x."),
        "layout": base.replace("\n\n\n", "\n\n\n\n").replace("2 * x", "2*x"),
        "no docstrings": base.replace('"""A module."""\n', "").replace('    """Twice x."""\n', ""),
        "code": base.replace("2 * x", "3 * x"),
        "constant string": base.replace("    return 2 * x", '    """Twice x."""\n    return "2 * x"'),
    }.items():
        module.write_text(text)
        digests[name] = provenance._digest([module])
    assert len({digests[n] for n in ("base", "comment", "docstrings", "layout", "no docstrings")}) == 1
    assert digests["code"] != digests["base"] and digests["constant string"] != digests["base"]
