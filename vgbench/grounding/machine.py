"""The machine and numerics a training run used, recorded in its summary.json.

Why: the same config and seed gave Mean6 45.1 on one machine and 46.4 on another (issue 21); a run's
figures mean little without the CPU (AMX or not), the torch build, the precision actually used, the
batching and the threads it ran with. `run_record` gathers them once per run; `machine_lines` turns a
record into the few lines the demo's and the study's READMEs print.
"""
from __future__ import annotations

import platform
import re
from pathlib import Path
from typing import Any

CPU_FLAGS = ("amx_bf16", "amx_tile", "avx512_bf16")


def cpu_info(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict[str, Any]:
    """The CPU's model name and whether it has the bf16 features that decide bf16 autocast's speed
    (flags: None where /proc/cpuinfo cannot be read, e.g. not Linux)."""
    name, flags = "", None
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not name:
            name = value.strip()
        elif key in ("flags", "Features") and flags is None:
            flags = set(value.split())
    return {"cpu": name or platform.processor() or platform.machine() or "unknown",
            "cpu_flags": None if flags is None else {f: f in flags for f in CPU_FLAGS}}


def blas_summary(config_text: str) -> str:
    """The BLAS torch was built with, from `torch.__config__.show()` (BLAS_INFO plus the MKL or
    OpenBLAS version line where it names one)."""
    found = re.search(r"BLAS_INFO=([^,\s]+)", config_text)
    blas = found.group(1) if found else "unknown"
    for line in config_text.splitlines():
        line = line.strip(" -")
        if "Math Kernel Library Version" in line or line.lower().startswith("openblas"):
            return f"{blas} ({line.split(' for ')[0]})"
    return blas


def torch_build() -> dict[str, Any]:
    import torch
    capability = getattr(torch.backends.cpu, "get_cpu_capability", lambda: "unknown")()
    return {"torch": torch.__version__, "torch_cuda": torch.version.cuda,
            "mkldnn": bool(torch.backends.mkldnn.is_available()),
            "blas": blas_summary(torch.__config__.show()), "cpu_capability": str(capability)}


def device_name(device) -> str:
    """"cpu", or "cuda:0 (NVIDIA H100 ...)"."""
    import torch
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(device.type)


def run_record(device, amp: bool, bucketed: bool, seed: int) -> dict[str, Any]:
    """Everything about the machine and numerics that can move a run's figures."""
    import torch
    return {**cpu_info(), **torch_build(), "python": platform.python_version(),
            "device": device_name(device), "precision": "bf16 autocast" if amp else "float32",
            "batching": "bucketed by length" if bucketed else "random",
            "threads": int(torch.get_num_threads()), "seed": int(seed)}


def describe_flags(flags: dict[str, bool] | None) -> str:
    if flags is None:
        return "CPU flags unknown"
    amx = "AMX" if flags.get("amx_bf16") or flags.get("amx_tile") else "no AMX"
    return f"{amx}, {'avx512_bf16' if flags.get('avx512_bf16') else 'no avx512_bf16'}"


def machine_lines(records: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown bullets, one per run label: CPU, torch build, device, precision, batching, threads,
    seed (an int, or the seeds of runs that share the rest as a string). Runs trained before runs
    recorded this (no "machine" in summary.json) say so."""
    lines = []
    for label, m in records.items():
        if not m:
            lines.append(f"- {label}: not recorded (trained before runs recorded their machine)")
            continue
        lines.append(
            f"- {label}: {m['cpu']} ({describe_flags(m['cpu_flags'])}; torch CPU capability "
            f"{m['cpu_capability']}), torch {m['torch']} (CUDA {m['torch_cuda'] or 'none'}, BLAS "
            f"{m['blas']}, oneDNN {'yes' if m['mkldnn'] else 'no'}), device {m['device']}, "
            f"{m['precision']}, batches {m['batching']}, {m['threads']} threads, "
            f"{'seed' if isinstance(m['seed'], int) else 'seeds'} {m['seed']}")
    return lines
