"""Which BatchNorm statistics the linearization around a trained ResNet18 should run on (Figures 8/9 of
paper 000): the initial ones (the authors' code resets them), the checkpoint's running statistics, or
statistics re-estimated on the training data.

From a default run's results (results/ of `snakemake ortiz2021`), for each setting: the trace of the
NTK of the linearization's center on 500 training samples (the kernel's scale), and the unbiased
linearization around θ* trained with the run's recipe for a few epochs: its training loss after the
first epoch and at the end, and its test accuracy.

    python benchmarks/ortiz2021_batchnorm.py [--results results] [--epochs 5]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch
import yaml

from ntkrepro import io, models, ntk, training
from ntkrepro.errors import TrainingDiverged
from ntkrepro.linearize import Linearized, with_batchnorm_statistics


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--results", default="results")
    p.add_argument("--dataset", default="mnist-5k")
    p.add_argument("--model", default="resnet18")
    p.add_argument("--task", default="eigenfunction33")
    p.add_argument("--epoch", type=int, default=40)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    root = Path(args.results)
    run = root / f"runs/{args.dataset}/{args.model}-seed42/{args.task}/ortiz2021/network"
    data = io.load_torch(root / f"data/{args.dataset}.pt")
    task = io.load_torch(root / f"tasks/{args.dataset}/{args.model}-seed42/{args.task}.pt")
    recipe_spec = yaml.safe_load(Path("config/config.yaml").read_text())["recipes"]["ortiz2021"]
    recipe = training.Recipe(**{**recipe_spec, "epochs": args.epochs, "checkpoints": []})
    print(f"{args.model} after {args.epoch} epochs on {args.task} ({args.dataset}); linearization trained "
          f"{args.epochs} epochs (lr {recipe.lr}, {recipe.schedule} decay over those epochs)\n")
    print("| BatchNorm statistics | trace of Θ on 500 samples | train loss, epoch 1 | train loss, last | test accuracy |")
    print("|---|---|---|---|---|")
    for stats in ("init", "checkpoint", "train"):
        center, _ = models.load_model(run / f"checkpoints/epoch{args.epoch}.pt")
        center = with_batchnorm_statistics(center, stats, data["x_train"])
        trace = float(ntk.paired(center, data["x_train"][:500], data["x_train"][:500]).sum())
        lin = Linearized(center, offset=False)
        with tempfile.TemporaryDirectory() as tmp:
            try:
                result = training.train(lin, models.save_model, data["x_train"], task["y_train"], data["x_test"],
                                        task["y_test"], recipe, checkpoint_paths={}, resume_dir=Path(tmp) / "r")
                h = result.history
                print(f"| {stats} | {trace:.4g} | {h[0]['train_loss']:.4g} | {h[-1]['train_loss']:.4g} | "
                      f"{h[-1]['test_accuracy']:.3f} |", flush=True)
            except TrainingDiverged as e:
                print(f"| {stats} | {trace:.4g} | diverged: {e} | | |", flush=True)


if __name__ == "__main__":
    main()
