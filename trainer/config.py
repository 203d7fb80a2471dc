"""Configuration of every trainer component: one frozen dataclass each, checked once.

- :class:`TinyModelConfig`  the embedded model (a small Llama built from a config)
- :class:`SFTConfig`        the supervised warm-up on gold trajectories
- :class:`RLConfig`         GRPO / ANCHOR on TRL's GRPOTrainer
- :class:`EvalConfig`       greedy evaluation
- :class:`LoRAConfig`       low-rank adapters (peft) and memory savers for a pretrained policy

Errors are :class:`~verifier.errors.InvalidInput` (CLI exit code 2) and name
the value and the fix. Defaults are the ``honest demo`` settings, sized for a
2-core CPU; the paper's reported ANCHOR setting is group size 5 and KL
coefficient 0.001, which ``RLConfig`` uses by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from verifier.errors import InvalidInput

METHODS = ("sft", "grpo", "anchor")
INJECT_MODES = ("always", "on_failure")
PROMPT_STYLES = ("full", "compact")
LOSS_TYPES = ("grpo", "dapo", "dr_grpo", "bnpo")
LR_SCHEDULERS = ("cosine", "constant")


def positive_int(text: str) -> int:
    """argparse ``type=`` for counts such as ``--threads``: a whole number >= 1."""
    import argparse
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _positive(name: str, value, fix: str = "") -> None:
    if not value > 0:
        raise InvalidInput(f"{name} must be > 0, got {value!r}{'; ' + fix if fix else ''}")


@dataclass(frozen=True)
class TinyModelConfig:
    """Shape of the embedded model (a ``LlamaConfig``; ~0.6M parameters by default)."""

    hidden_size: int = 128
    layers: int = 2
    heads: int = 4
    intermediate_size: int = 512
    max_positions: int = 512
    seed: int = 0

    def __post_init__(self):
        for name in ("hidden_size", "layers", "heads", "intermediate_size", "max_positions"):
            _positive(name, getattr(self, name))
        if self.hidden_size % self.heads:
            raise InvalidInput(f"hidden_size ({self.hidden_size}) must be a multiple of heads "
                               f"({self.heads}); e.g. hidden_size={self.heads * 32}")
        if (self.hidden_size // self.heads) % 2:
            raise InvalidInput(f"hidden_size / heads = {self.hidden_size // self.heads} must be "
                               "even (rotary embeddings rotate pairs of dimensions)")


@dataclass(frozen=True)
class SFTConfig:
    """Supervised warm-up: next-token loss on the gold trajectory (prompt tokens masked)."""

    steps: int = 300
    batch_size: int = 32
    learning_rate: float = 3e-3
    warmup_steps: int = 20
    max_length: int = 512
    #: ``cosine`` (the warm-up) or ``constant`` (the "SFT continued" control, run like RL)
    lr_scheduler: str = "cosine"
    seed: int = 0

    def __post_init__(self):
        for name in ("steps", "batch_size", "learning_rate", "max_length"):
            _positive(name, getattr(self, name))
        if self.warmup_steps < 0:
            raise InvalidInput(f"warmup_steps must be >= 0, got {self.warmup_steps}")
        if self.lr_scheduler not in LR_SCHEDULERS:
            raise InvalidInput(f"lr_scheduler must be one of {', '.join(LR_SCHEDULERS)}, got "
                               f"{self.lr_scheduler!r}")


@dataclass(frozen=True)
class RLConfig:
    """GRPO or ANCHOR. ``method="grpo"`` is the same trainer with injection off.

    ``inject="always"`` puts ``n_inject`` gold trajectories into every group
    (the paper's ANCHOR); ``"on_failure"`` only into groups where every sampled
    completion was graded wrong. Either way the group still has
    ``group_size`` members: the gold replaces sampled ones.
    """

    method: str = "anchor"
    steps: int = 40
    group_size: int = 5
    prompts_per_step: int = 8
    learning_rate: float = 5e-4
    beta: float = 0.001
    temperature: float = 1.0
    max_completion_length: int = 200
    inject: str = "always"
    n_inject: int = 1
    loss_type: str = "dapo"
    seed: int = 0

    def __post_init__(self):
        if self.method not in ("grpo", "anchor"):
            raise InvalidInput(f"RL method must be grpo or anchor, got {self.method!r} "
                               "(sft is a separate warm-up)")
        for name in ("steps", "prompts_per_step", "learning_rate", "temperature",
                     "max_completion_length"):
            _positive(name, getattr(self, name))
        if self.group_size < 2:
            raise InvalidInput(f"group_size must be >= 2 (advantages compare a group's members), "
                               f"got {self.group_size}")
        if self.beta < 0:
            raise InvalidInput(f"beta (KL coefficient) must be >= 0, got {self.beta}")
        if self.inject not in INJECT_MODES:
            raise InvalidInput(f"inject must be one of {', '.join(INJECT_MODES)}, got "
                               f"{self.inject!r}")
        if not 1 <= self.n_inject <= self.group_size - 1:
            raise InvalidInput(f"n_inject must lie in 1..group_size-1 = 1..{self.group_size - 1} "
                               f"(at least one sampled completion per group), got {self.n_inject}")
        if self.loss_type not in LOSS_TYPES:
            raise InvalidInput(f"loss_type must be one of {', '.join(LOSS_TYPES)}, got "
                               f"{self.loss_type!r}")

    @property
    def injects(self) -> bool:
        return self.method == "anchor"


@dataclass(frozen=True)
class EvalConfig:
    """Greedy decoding of every item, graded by the scorer."""

    batch_size: int = 64
    max_new_tokens: int = 256

    def __post_init__(self):
        _positive("batch_size", self.batch_size)
        _positive("max_new_tokens", self.max_new_tokens)


@dataclass(frozen=True)
class LoRAConfig:
    """How a pretrained policy is trained: LoRA adapters (peft) when ``r > 0``, else every
    weight; gradient checkpointing (TRL's default, on) either way. A policy trained with LoRA is saved with
    its adapters merged into the weights: a plain HF directory that ``--model`` loads.

    ``alpha`` defaults to ``2 * r``; ``target_modules="all-linear"`` adapts every linear
    layer but the output head (peft's shorthand)."""

    r: int = 0
    alpha: int | None = None
    dropout: float = 0.0
    target_modules: str = "all-linear"
    gradient_checkpointing: bool = True

    def __post_init__(self):
        if self.r < 0:
            raise InvalidInput(f"--lora-r must be >= 0 (0 = no LoRA, train every weight), "
                               f"got {self.r}")
        if self.alpha is not None and self.alpha <= 0:
            raise InvalidInput(f"--lora-alpha must be > 0, got {self.alpha}")
        if not 0 <= self.dropout < 1:
            raise InvalidInput(f"--lora-dropout must lie in [0, 1), got {self.dropout}")

    @property
    def enabled(self) -> bool:
        return self.r > 0

    def peft_config(self):
        """peft's ``LoraConfig`` (None without LoRA)."""
        if not self.enabled:
            return None
        try:
            from peft import LoraConfig
        except ImportError:
            raise InvalidInput("--lora-r needs peft: pip install peft (the train extra has "
                               "it)") from None
        targets = (self.target_modules if self.target_modules == "all-linear"
                   else [t.strip() for t in self.target_modules.split(",") if t.strip()])
        return LoraConfig(r=self.r, lora_alpha=self.alpha or 2 * self.r,
                          lora_dropout=self.dropout, target_modules=targets,
                          task_type="CAUSAL_LM")

