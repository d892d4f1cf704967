"""A one-node SLURM on localhost for the integration test: installed from Debian's packages when
missing, configured in a private directory (nothing under /etc is touched), started, and stopped.

Partitions `cpu` and `gpu` exist so profiles/slurm runs unmodified; the node advertises one GPU
as a generic resource so that `sbatch --gpus=1` is accepted; /dev/null stands in for its device file
(slurmd marks a GPU without one INVALID).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"]


def unavailable_reason() -> str | None:
    if os.geteuid() != 0:
        return "starting munged, slurmctld and slurmd needs root"
    if not shutil.which("sbatch") and not shutil.which("apt-get"):
        return "SLURM is not installed and there is no apt-get to install it"
    return None


def install() -> None:
    if all(shutil.which(c) for c in ("sbatch", "slurmctld", "slurmd", "munged")):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES], check=True, env=env,
                   capture_output=True)


class LocalSlurm:
    def __init__(self, root: Path):
        self.root = root
        self.conf = root / "slurm.conf"
        self.socket = root / "munge" / "munge.socket"
        self.bin = root / "bin"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf), "PATH": f"{self.bin}:{os.environ['PATH']}"}
        self.pids: list[int] = []

    def start(self) -> None:
        host = socket.gethostname().split(".")[0]
        for d in ("munge", "state", "spool", "log", "bin"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        # Snakemake's job step drops every SLURM_* variable before its nested srun, so srun would
        # look for the cluster's config at the default /etc path, which this private cluster avoids.
        srun = self.bin / "srun"
        srun.write_text(f'#!/bin/sh\nSLURM_CONF={self.conf} exec {shutil.which("srun")} "$@"\n')
        srun.chmod(0o755)
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        munge_pid = self.root / "munge" / "munged.pid"
        subprocess.run(
            ["munged", "--force", f"--key-file={key}", f"--socket={self.socket}", f"--pid-file={munge_pid}",
             f"--log-file={self.root / 'log' / 'munged.log'}", f"--seed-file={self.root / 'munge' / 'seed'}"],
            check=True, capture_output=True,
        )
        self.pids.append(int(munge_pid.read_text()))
        (self.root / "gres.conf").write_text(f"AutoDetect=off\nNodeName={host} Name=gpu File=/dev/null\n")
        self.conf.write_text(
            "\n".join(
                [
                    "ClusterName=ntkrepro-test",
                    f"SlurmctldHost={host}",
                    "SlurmUser=root",
                    "SlurmdUser=root",
                    "AuthType=auth/munge",
                    f"AuthInfo=socket={self.socket}",
                    f"StateSaveLocation={self.root / 'state'}",
                    f"SlurmdSpoolDir={self.root / 'spool'}",
                    f"SlurmctldPidFile={self.root / 'slurmctld.pid'}",
                    f"SlurmdPidFile={self.root / 'slurmd.pid'}",
                    f"SlurmctldLogFile={self.root / 'log' / 'slurmctld.log'}",
                    f"SlurmdLogFile={self.root / 'log' / 'slurmd.log'}",
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "SchedulerType=sched/backfill",
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_Core_Memory",
                    "ReturnToService=2",
                    "GresTypes=gpu",
                    "JobAcctGatherType=jobacct_gather/none",
                    "AccountingStorageType=accounting_storage/none",
                    "JobCompType=jobcomp/none",
                    "MinJobAge=300",
                    f"NodeName={host} CPUs={os.cpu_count()} RealMemory=16000 Gres=gpu:1 State=UNKNOWN",
                    f"PartitionName=cpu Nodes={host} Default=YES MaxTime=INFINITE State=UP",
                    f"PartitionName=gpu Nodes={host} MaxTime=INFINITE State=UP",
                    "",
                ]
            )
        )
        for daemon in ("slurmctld", "slurmd"):
            subprocess.run([daemon, "-f", str(self.conf)], check=True, env=self.env, capture_output=True)
        self.pids += [int((self.root / f"{d}.pid").read_text()) for d in ("slurmctld", "slurmd") if (self.root / f"{d}.pid").exists()]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            out = subprocess.run(["sinfo", "-h", "-o", "%T"], env=self.env, capture_output=True, text=True).stdout
            if "idle" in out:
                return
            time.sleep(1)
        raise RuntimeError(f"SLURM did not come up: sinfo says {out!r}; logs in {self.root / 'log'}")

    def run(self, *cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(list(cmd), env=self.env, capture_output=True, text=True)

    def stop(self) -> None:
        subprocess.run(["scontrol", "shutdown"], env=self.env, capture_output=True)
        time.sleep(2)
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
