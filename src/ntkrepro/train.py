"""The one training loop: SGD with momentum on the logistic loss of ±1 labels, per-step linear
learning-rate decay, checkpoints at chosen epochs, and exact resumption after a kill.

The mini-batch order of epoch e depends only on (seed, e), so a network and its linearization
trained with the same seed see the same batches, and a resumed run sees the batches the killed
one would have seen.
"""

from __future__ import annotations

import hashlib
import logging
import math
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from . import io
from .errors import ConfigError, TrainingDiverged
from .progress import Progress, format_seconds

log = logging.getLogger(__name__)

EVAL_BATCH = 1024


@dataclass
class Settings:
    epochs: int = 100
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    schedule: str = "linear"  # linear: lr decays to 0 at the last step; constant
    weight_decay: float = 0.0
    seed: int = 42
    checkpoints: list[int] = field(default_factory=lambda: [0, 100])

    def __post_init__(self):
        bad = [e for e in self.checkpoints if not 0 <= e <= self.epochs]
        if bad:
            raise ConfigError(f"checkpoint epochs {bad} are outside 0..train.epochs ({self.epochs})")
        if self.schedule not in ("linear", "constant"):
            raise ConfigError(f"unknown train.schedule {self.schedule!r} (linear | constant)")


def logistic_loss(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean log(1 + exp(-y f)) for labels y in {-1, +1}."""
    return F.softplus(-labels * outputs).mean()


def accuracy(outputs: torch.Tensor, labels: torch.Tensor) -> float:
    return float(((outputs >= 0).to(labels.dtype) * 2 - 1 == labels).float().mean())


def learning_rate(s: Settings, step: int, total_steps: int) -> float:
    if s.schedule == "linear":
        return s.lr * (1.0 - step / total_steps)
    return s.lr


def batch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=g)


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device) -> tuple[float, float]:
    was_training = model.training
    model.eval()
    outs = torch.cat([model(x[s : s + EVAL_BATCH].to(device)).float().cpu() for s in range(0, len(x), EVAL_BATCH)])
    model.train(was_training)
    return float(logistic_loss(outs, y)), accuracy(outs, y)


def parameters_flat(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters() if p.requires_grad]).double().cpu()


def distances(theta: torch.Tensor, theta0: torch.Tensor) -> tuple[float, float]:
    """(‖θ − θ0‖₂, 1 − cos(θ, θ0)): the paper's ℓ2 and cosine distances to the initialization."""
    l2 = float((theta - theta0).norm())
    denom = float(theta.norm() * theta0.norm())
    cosine = 1.0 - float(theta @ theta0) / denom if denom > 0 else 0.0
    return l2, cosine


def fingerprint(model: nn.Module, x: torch.Tensor, y: torch.Tensor, s: Settings) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(asdict(s)).encode())
    for t in list(model.state_dict().values()) + [x, y]:
        t = t.detach().cpu().contiguous().reshape(-1)
        h.update(t.view(torch.uint8).numpy().data if t.numel() else b"")
    return h.hexdigest()


def train(
    model: nn.Module,
    save_checkpoint,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    settings: Settings,
    *,
    checkpoint_paths: dict[int, Path],
    resume_dir: Path,
    device=None,
) -> tuple[list[dict], list[dict]]:
    """Train ``model`` in place; returns (per-epoch metrics, per-step metrics).

    ``save_checkpoint(model, path, epoch=, step=)`` writes one checkpoint. Checkpoints are first
    written into ``resume_dir`` (with the full optimizer state after every epoch) and copied to
    ``checkpoint_paths`` at the end, so a killed run restarts from its last finished epoch.
    """
    s = settings
    device = torch.device(device or "cpu")
    y_train, y_test = y_train.to(torch.float32), y_test.to(torch.float32)
    n = len(x_train)
    steps_per_epoch = n // s.batch_size  # the last incomplete batch is dropped, as the authors do
    if steps_per_epoch == 0:
        raise ConfigError(f"train.batch_size ({s.batch_size}) is larger than the training set ({n} samples)")
    total_steps = s.epochs * steps_per_epoch
    digest = fingerprint(model, x_train, y_train, s)
    model.to(device)
    theta0 = parameters_flat(model)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=s.lr, momentum=s.momentum, weight_decay=s.weight_decay)

    resume_dir = Path(resume_dir)
    state_path = resume_dir / "state.pt"
    history, steps, start_epoch = [], [], 0
    state = _load_state(state_path, digest)
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        history, steps, start_epoch = state["history"], state["steps"], state["epoch"]
        log.info(f"resuming after epoch {start_epoch} of {s.epochs} from {state_path}")
    else:
        io.remove_tree(resume_dir)
        resume_dir.mkdir(parents=True)
        if 0 in checkpoint_paths:
            save_checkpoint(model, resume_dir / "epoch0.pt", epoch=0, step=0)

    progress = Progress(s.epochs, "epochs", log, start=start_epoch, interval=0)
    model.train()
    for epoch in range(start_epoch + 1, s.epochs + 1):
        t0 = time.monotonic()
        order = batch_order(n, s.seed, epoch)
        sum_loss, sum_acc = 0.0, 0.0
        for b in range(steps_per_epoch):
            step = (epoch - 1) * steps_per_epoch + b
            lr = learning_rate(s, step, total_steps)
            for group in opt.param_groups:
                group["lr"] = lr
            idx = order[b * s.batch_size : (b + 1) * s.batch_size]
            xb, yb = x_train[idx].to(device), y_train[idx].to(device)
            out = model(xb)
            loss = logistic_loss(out, yb)
            value = float(loss.detach())
            if not math.isfinite(value):
                raise TrainingDiverged(
                    f"training loss became {value} at epoch {epoch}, step {step + 1} (learning rate {lr:.3g}); "
                    "lower train.lr, or check the task's labels and inputs for non-finite values"
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            batch_acc = accuracy(out.detach(), yb)
            sum_loss += value
            sum_acc += batch_acc
            steps.append({"step": step + 1, "epoch": epoch, "lr": lr, "loss": value, "accuracy": batch_acc})
        test_loss, test_acc = evaluate(model, x_test, y_test, device)
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
        if epoch in checkpoint_paths:
            save_checkpoint(model, resume_dir / f"epoch{epoch}.pt", epoch=epoch, step=epoch * steps_per_epoch)
        io.save_torch(
            {"fingerprint": digest, "epoch": epoch, "model": model.state_dict(), "optimizer": opt.state_dict(),
             "history": history, "steps": steps},
            state_path,
        )
        h = history[-1]
        progress.update(
            epoch,
            f"train loss {h['train_loss']:.4f}, test acc {h['test_accuracy']:.3f}, "
            f"‖θ-θ0‖ {h['distance_l2']:.3f} ({format_seconds(h['seconds'])}/epoch)",
        )

    for epoch, path in checkpoint_paths.items():
        _publish(resume_dir / f"epoch{epoch}.pt", Path(path))
    return history, steps


def _load_state(path: Path, digest: str) -> dict | None:
    if not path.exists():
        return None
    try:
        state = io.load_torch(path)
    except Exception as e:
        log.warning(f"ignoring unreadable resume state {path}: {e}")
        return None
    if state.get("fingerprint") != digest:
        log.info(f"ignoring resume state {path}: it belongs to other settings, parameters or data")
        return None
    return state


def _publish(src: Path, dst: Path) -> None:
    """Copy a finished checkpoint to its declared output atomically."""
    with io.atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)
