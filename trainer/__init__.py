"""The ANCHOR trainer: GRPO with gold trajectories in every rollout group, on TRL.

Where things are (each module opens with what it is for):

- ``config``     one dataclass per component, checked on construction
- ``tokenizer``  word-level tokenizer built offline from the task vocabulary
- ``model``      the embedded tiny model; loading/saving any causal LM policy
- ``pretrained`` what ``--model`` names: HF directory, hub id, GGUF file, bundled model
                 (``smollm2-135m``, converted once to a HF directory in the model cache)
- ``prompts``    prompt variants for evaluation (zero-shot, few-shot) through the chat template
- ``context``    prompt lengths as the model reads them; refuses what cannot fit
- ``data``       generated JSONL items → TRL datasets (prompt styles)
- rewards      come from ``clients.trl.VerifierReward`` and ``clients.scoring`` (the one road
                 to the verifier: a service, one started for the run, or in-process)
- ``anchor``     ``AnchorGRPOTrainer``: the injection hook on TRL's GRPOTrainer
- ``sft``, ``rl`` warm-up and GRPO/ANCHOR runs; ``evaluate``, ``plots`` reports
- ``jobs``, ``demo``, ``cli``  ``honest train`` / ``honest eval`` / ``honest demo``

Importing this package imports no torch: the ``honest`` CLI stays fast.
"""
