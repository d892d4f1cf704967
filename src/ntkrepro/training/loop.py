"""The one training loop, for every recipe, for networks and their linearizations alike:
mini-batch training with checkpoints at chosen epochs, per-epoch and per-step metrics, and exact
resumption after a kill.

The mini-batch order of epoch e and the augmentation of each step depend only on (seed, e, step),
so a network and its linearization trained with the same seed see the same batches, and a resumed
run sees the batches the killed one would have seen.
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from .. import io, provenance, resume
from ..devices import resolve_device
from ..errors import ConfigError, TrainingDiverged
from ..progress import Progress, format_seconds
from .augment import shift_rotate
from .recipe import Recipe, correct

log = logging.getLogger(__name__)

EVAL_BATCH = 1024
FINAL = "final"


def checkpoint_name(epoch) -> str:
    """The file name of a run's checkpoint: epoch<e>.pt, or final.pt for the epoch the run ended at."""
    return "final.pt" if epoch == FINAL else f"epoch{epoch}.pt"


@dataclass
class Result:
    """What a call of :func:`train` did: the metrics, and how much of the run this process trained."""

    history: list[dict]  # per epoch
    steps: list[dict]  # per step
    resumed_from: int  # the last finished epoch found in the resume state (0: started from scratch)
    epochs_trained: int  # epochs this call trained itself
    final_epoch: int  # the epoch the run ended at (before recipe.epochs when a loss target stopped it)


def batch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The permutation of the n training samples for an epoch, the same for a seed and epoch on any machine."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=g)


def step_generator(seed: int, step: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed * 7_000_003 + step + 1)


@torch.no_grad()
def evaluate(model: nn.Module, recipe: Recipe, x: torch.Tensor, y: torch.Tensor, device) -> tuple[float, float]:
    was_training = model.training
    model.eval()
    outs = torch.cat([model(x[s : s + EVAL_BATCH].to(device)).float().cpu() for s in range(0, len(x), EVAL_BATCH)])
    model.train(was_training)
    return float(recipe.loss_fn(outs, y)), float(correct(outs, y).float().mean())


def parameters_flat(model: nn.Module) -> torch.Tensor:
    """The trainable parameters as one float64 CPU vector, in ``model.parameters()`` order."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters() if p.requires_grad]).double().cpu()


def distances(theta: torch.Tensor, theta0: torch.Tensor) -> tuple[float, float]:
    """(‖θ − θ0‖₂, 1 − cos(θ, θ0)): the paper's ℓ2 and cosine distances to the initialization."""
    l2 = float((theta - theta0).norm())
    denom = float(theta.norm() * theta0.norm())
    cosine = 1.0 - float(theta @ theta0) / denom if denom > 0 else 0.0
    return l2, cosine


def fingerprint(model: nn.Module, splits: list[torch.Tensor], recipe: Recipe, device: torch.device) -> str:
    """A digest of everything a run's numbers depend on, so that a resume state is only ever resumed
    by its own run: θ0, every split's inputs and labels (the test split's accuracies are in the
    metrics), the recipe, the code of the loop and of the network, the device, and on the CPU the
    thread count (floating-point reductions depend on it)."""
    code = provenance.code_digest(__name__, type(model).__module__)
    threads = torch.get_num_threads() if device.type == "cpu" else None
    header = f"{asdict(recipe)!r}|code {code}|{provenance.device_identity(device)}|threads {threads}"
    return io.tensor_digest(list(model.state_dict().values()) + list(splits), header)


def train(
    model: nn.Module,
    save_checkpoint,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    recipe: Recipe,
    *,
    checkpoint_paths: dict,
    resume_dir: Path,
    device=None,
) -> Result:
    """Train ``model`` in place with ``recipe``.

    ``checkpoint_paths`` maps epochs (and ``"final"``, the epoch the run ends at) to the files the
    checkpoints are published to at the end; ``save_checkpoint(model, path, epoch=, step=)`` writes
    one. Checkpoints are first written into ``resume_dir`` (with the full optimizer state after every
    epoch), so a killed run restarts from its last finished epoch. The run holds ``resume_dir``
    (:func:`ntkrepro.resume.exclusive`): a second run on it stops with
    :class:`~ntkrepro.errors.FolderInUse`.
    """
    with resume.exclusive(resume_dir):
        return _train(model, save_checkpoint, x_train, y_train, x_test, y_test, recipe,
                      checkpoint_paths=checkpoint_paths, resume_dir=Path(resume_dir), device=device)


def _train(model, save_checkpoint, x_train, y_train, x_test, y_test, recipe, *, checkpoint_paths, resume_dir,
           device) -> Result:
    r = recipe
    device = resolve_device(device)
    n = len(x_train)
    steps_per_epoch = n // r.batch_size  # the last incomplete batch is dropped, as the authors do
    if steps_per_epoch == 0:
        raise ConfigError(f"the batch size ({r.batch_size}) is larger than the training set ({n} samples)")
    total_steps = r.epochs * steps_per_epoch
    digest = fingerprint(model, [x_train, y_train, x_test, y_test], r, device)
    model.to(device)
    theta0 = parameters_flat(model)
    trainable = [p for p in model.parameters() if p.requires_grad]
    # a linearization (a model with a center θc) whose weight decay acts on θ − θc: the optimizer
    # gets none and each step adds weight_decay·(θ − θ_start) to the gradient, as SGD adds weight_decay·θ
    anchors = None
    if r.linearized_decay == "displacement" and hasattr(model, "center") and r.weight_decay > 0:
        anchors = [p.detach().clone() for p in trainable]
    opt = r.optimizer_for(trainable, decay=anchors is None)

    state_path = resume_dir / "state.pt"
    history, steps, start_epoch, stopped, saved = [], [], 0, False, []
    state = _load_state(state_path, digest)
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        history, steps, start_epoch, stopped = state["history"], state["steps"], state["epoch"], state["stopped"]
        saved = state["files"]
        log.info(f"resuming after epoch {start_epoch} of {r.epochs} from {state_path}")
        for torn in resume_dir.glob(".*.tmp"):  # a write the kill interrupted
            torn.unlink()
    else:
        resume.clear(resume_dir)
        if 0 in checkpoint_paths:
            save_checkpoint(model, resume_dir / "epoch0.pt", epoch=0, step=0)
            saved.append("epoch0.pt")

    progress = Progress(r.epochs, "epochs", log, start=start_epoch, interval=0)
    model.train()
    epoch = start_epoch
    while epoch < r.epochs and not stopped:
        epoch += 1
        t0 = time.monotonic()
        order = batch_order(n, r.seed, epoch)
        sum_loss, sum_acc = 0.0, 0.0
        for b in range(steps_per_epoch):
            step = (epoch - 1) * steps_per_epoch + b
            lr = r.learning_rate(step, total_steps, epoch)
            for group in opt.param_groups:
                group["lr"] = lr
            idx = order[b * r.batch_size : (b + 1) * r.batch_size]
            xb, yb = x_train[idx], y_train[idx]
            if r.augmentation == "shift-rotate":
                xb = shift_rotate(xb, step_generator(r.seed, step), degrees=r.rotation_degrees, pixels=r.shift_pixels)
            xb, yb = xb.to(device), yb.to(device)
            out = model(xb)
            loss = r.loss_fn(out, yb)
            value = float(loss.detach())
            if not math.isfinite(value):
                raise TrainingDiverged(
                    f"training loss became {value} at epoch {epoch}, step {step + 1} (learning rate {lr:.3g}); "
                    "lower the recipe's lr, or check the task's labels and inputs for non-finite values"
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if anchors is not None:
                with torch.no_grad():
                    for p, p0 in zip(trainable, anchors):
                        p.grad.add_(p - p0, alpha=r.weight_decay)
            opt.step()
            batch_acc = float(correct(out.detach(), yb).float().mean())
            sum_loss += value
            sum_acc += batch_acc
            steps.append({"step": step + 1, "epoch": epoch, "lr": lr, "loss": value, "accuracy": batch_acc})
        test_loss, test_acc = evaluate(model, r, x_test, y_test, device)
        l2, cosine = distances(parameters_flat(model), theta0)
        history.append(
            {
                "epoch": epoch,
                "step": epoch * steps_per_epoch,
                "train_loss": sum_loss / steps_per_epoch,
                "train_accuracy": sum_acc / steps_per_epoch,
                "test_loss": test_loss,
                "test_accuracy": test_acc,
                "distance_l2": l2,
                "distance_cosine": cosine,
                "seconds": time.monotonic() - t0,
            }
        )
        h = history[-1]
        stopped = r.checks_loss_after(epoch) and h["train_loss"] <= r.until_loss
        if epoch in checkpoint_paths:
            save_checkpoint(model, resume_dir / f"epoch{epoch}.pt", epoch=epoch, step=epoch * steps_per_epoch)
            saved.append(f"epoch{epoch}.pt")
        if FINAL in checkpoint_paths and (stopped or epoch == r.epochs):
            save_checkpoint(model, resume_dir / "final.pt", epoch=epoch, step=epoch * steps_per_epoch)
            saved.append("final.pt")
        io.save_torch(
            {"fingerprint": digest, "epoch": epoch, "stopped": stopped, "model": model.state_dict(),
             "optimizer": opt.state_dict(), "history": history, "steps": steps, "files": saved},
            state_path,
        )
        progress.update(
            epoch,
            f"train loss {h['train_loss']:.4f}, test acc {h['test_accuracy']:.3f}, "
            f"‖θ-θ0‖ {h['distance_l2']:.3f} ({format_seconds(h['seconds'])}/epoch)",
        )
        if stopped:
            log.info(f"training loss {h['train_loss']:.4g} <= {r.until_loss} after epoch {epoch}: stopping")

    final_epoch = history[-1]["epoch"] if history else 0
    if r.until_loss is not None and not stopped:
        log.warning(f"the training loss never reached {r.until_loss} within {r.epochs} epochs")
    for key, path in checkpoint_paths.items():
        src = resume_dir / ("final.pt" if key == FINAL else f"epoch{key}.pt")
        if key == FINAL or key <= final_epoch:
            _publish(src, Path(path))
    return Result(history, steps, start_epoch, final_epoch - start_epoch, final_epoch)


def _load_state(path: Path, digest: str) -> dict | None:
    """The resume state at ``path`` if it is this run's and complete; otherwise None, with one log line."""
    if not path.exists():
        return None
    try:
        state = io.load_torch(path)
    except Exception as e:
        log.warning(f"ignoring unreadable resume state {path}: {e}")
        return None
    if state.get("fingerprint") != digest:
        log.info(f"ignoring resume state {path}: it belongs to other settings, parameters, data or code")
        return None
    problem = missing_files(path.parent, state)
    if problem:
        log.warning(f"ignoring resume state {path}: {problem}")
        return None
    return state


def missing_files(resume_dir: Path, state: dict) -> str | None:
    """Why a training resume state cannot be trusted (a file it names is missing), or None."""
    if not isinstance(state, dict) or not isinstance(state.get("files"), list):
        return "it lists no checkpoint files (written by an older version)"
    for name in state["files"]:
        if not (resume_dir / name).is_file():
            return f"{name}, which it names, is missing"
    return None


def resume_problem(resume_dir: Path) -> str | None:
    """Why the training resume folder ``resume_dir`` is unusable (unreadable or incomplete), or None."""
    try:
        state = io.load_torch(Path(resume_dir) / "state.pt")
    except FileNotFoundError:
        return "it holds no state.pt"
    except Exception as e:
        return str(e)
    return missing_files(Path(resume_dir), state)


def _publish(src: Path, dst: Path) -> None:
    """Copy a finished checkpoint to its declared output atomically."""
    with io.atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)
