"""A long job for the fault-injection tests to kill: `train`, `gram` or `write-and-wait` into a directory."""

import json
import sys
import time
from pathlib import Path

import torch

from ntkrepro import io, ntk, resume, training
from ntkrepro.models import build_model, initialize, save_model


def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(320, 1, 8, 8, generator=g)
    y = torch.where(x[:, 0, :4].sum(dim=(1, 2)) > 0, 1, -1)
    return x, y


def main(what: str, out: Path) -> None:
    resume.exit_on_sigterm()  # as the workflow's scripts do
    torch.set_num_threads(1)
    if what == "write-and-wait":  # a write that a SIGTERM interrupts
        with io.atomic_path(out / "gram.h5") as tmp:
            tmp.write_bytes(b"\0" * 4096)
            print("writing", flush=True)
            time.sleep(60)
        return
    model = initialize(build_model("lenet", (1, 8, 8)), "lecun-normal", 0)
    x, y = data()
    if what == "train":
        recipe = training.Recipe(epochs=40, batch_size=16, lr=0.05, checkpoints=[0, 10, 40])
        result = training.train(
            model, save_model, x[:256], y[:256], x[256:], y[256:], recipe,
            checkpoint_paths={e: out / f"epoch{e}.pt" for e in recipe.checkpoints}, resume_dir=out / "resume",
        )
        torch.save({"params": training.parameters_flat(model), "history": result.history}, out / "final.pt")
        with open(out / "starts.jsonl", "a") as f:  # one line per process that reached the end
            f.write(json.dumps({"resumed_from": result.resumed_from, "epochs_trained": result.epochs_trained}) + "\n")
    else:
        ntk.write_gram(model, x, out / "gram.h5", block_size=16)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
