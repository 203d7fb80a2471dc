"""A one-line progress bar for transformers/TRL trainers.

The stock callbacks print every log dict (dozens of keys per GRPO step);
:func:`use_compact_progress` swaps them for a tqdm bar whose postfix shows the
few numbers worth watching. With ``progress=False`` nothing is printed; the
full log is still in ``trainer.state.log_history``.
"""

from __future__ import annotations

from transformers import TrainerCallback
from transformers.trainer_callback import PrinterCallback, ProgressCallback

#: log key → short label shown in the bar
SHOWN = {"loss": "loss", "honest/reward_mean": "reward", "honest/answerable_acc": "ans",
         "honest/unanswerable_acc": "unans", "honest/abstention_rate": "abst",
         "mean_token_accuracy": "tok_acc"}


class CompactProgress(TrainerCallback):
    def __init__(self, desc: str, enabled: bool = True):
        self.desc, self.enabled, self.bar = desc, enabled, None

    def on_train_begin(self, args, state, control, **kwargs):
        if self.enabled:
            from tqdm import tqdm
            self.bar = tqdm(total=state.max_steps, desc=self.desc, unit="step", dynamic_ncols=True)

    def on_step_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.bar is not None and logs:
            self.bar.set_postfix({label: f"{logs[k]:.3g}" for k, label in SHOWN.items()
                                  if isinstance(logs.get(k), (int, float))}, refresh=False)

    def on_train_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def use_compact_progress(trainer, desc: str, enabled: bool) -> None:
    trainer.remove_callback(ProgressCallback)
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(CompactProgress(desc, enabled))
