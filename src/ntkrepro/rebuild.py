"""What to delete so that the workflow rebuilds a damaged file: the file itself, or the declared
folder output it lies in (Snakemake rebuilds a job only when one of its outputs is missing, so a
checkpoint deleted from its run's `checkpoints/` folder would be missing for good)."""

from __future__ import annotations

from pathlib import Path

from . import models
from .errors import IntegrityError

CHECKPOINTS = "checkpoints"  # a training job's declared folder output (ntkrepro.pipeline.paths.CHECKPOINTS)


def output_of(path: Path) -> Path:
    """What must be deleted for the workflow to rebuild ``path``: the file itself, or the declared
    folder output it lies in (a run's checkpoints)."""
    return path.parent if path.parent.name == CHECKPOINTS else path


def rebuild_advice(path: Path) -> str:
    """The end of a refusal of ``path``: exactly what to delete to rebuild it."""
    output = output_of(Path(path))
    if output == Path(path):
        return "delete it to rebuild"
    return f"delete the folder {output} (the training job's output) to rebuild it"


def load_checkpoint(path):
    """:func:`ntkrepro.models.load_model`, with a refusal that says what to delete to rebuild it."""
    try:
        return models.load_model(path)
    except IntegrityError as e:
        raise IntegrityError(f"{str(e).removesuffix('; delete it to rebuild')}; {rebuild_advice(path)}") from e
