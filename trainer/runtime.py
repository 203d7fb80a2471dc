"""Process-wide settings for CPU training, shared by SFT, RL and evaluation.

Call :func:`configure_cpu` before torch is imported. Why: with two cores and
another busy process, OpenMP's default spin-waiting made a training step ~5×
slower (1.7k vs 7.5k tokens/s measured on the 2-core box); passive waiting
keeps the uncontended speed and degrades gracefully.
"""

from __future__ import annotations

import os
import sys


def configure_cpu(threads: int | None = None) -> None:
    """Passive OpenMP waits (before torch loads) and, optionally, a thread count."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    if threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(threads)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)


def common_training_args(out_dir: str, seed: int, logging_steps: int,
                         gradient_checkpointing: bool | None = None) -> dict:
    """Arguments every ``transformers``/TRL trainer here shares: CPU, no checkpoints, no
    external loggers; the stock progress printing is replaced (see ``trainer.progress``).
    ``gradient_checkpointing=None`` keeps TRL's default (on, in SFT and GRPO alike)."""
    import torch
    extra = {} if gradient_checkpointing is None else {
        "gradient_checkpointing": gradient_checkpointing}
    return dict(**extra, output_dir=out_dir, use_cpu=not torch.cuda.is_available(), seed=seed,
                data_seed=seed, save_strategy="no", report_to="none",
                logging_steps=logging_steps, disable_tqdm=True,
                dataloader_num_workers=0, bf16=False, fp16=False)


def quiet_transformers() -> None:
    """Keep the console to progress bars and our own lines."""
    import warnings
    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # "Loading weights" / "Writing model shards" bars
    import datasets
    datasets.disable_progress_bars()  # per-map bars on small in-memory sets are noise
    warnings.filterwarnings("ignore", category=UserWarning, module="trl")
    warnings.filterwarnings("ignore", category=FutureWarning)
