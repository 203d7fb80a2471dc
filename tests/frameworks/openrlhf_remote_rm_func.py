"""Faithful copy of how OpenRLHF 0.11.2 loads and calls a ``--remote_rm_url`` Python file's
``reward_func`` and carries its ``rewards`` / ``scores`` / ``extra_logs`` into training metrics.

Source: openrlhf-0.11.2 wheel (PyPI, ``pip download openrlhf==0.11.2 --no-deps``):

- ``openrlhf/utils/agent.py`` lines 188-325: ``SingleTurnAgentExecutor`` — ``__init__`` (loads
  the file with ``spec_from_file_location("reward_func", path)``), ``execute`` (decodes
  prompt + generation with ``skip_special_tokens=False``, calls the function once per sample,
  catches any exception and logs it at INFO, leaving ``reward`` None) and
  ``_fetch_rewards_via_func`` (``asyncio.to_thread(reward_func, queries[i:i+1], prompts[i:i+1],
  labels[i:i+1])``: lists of length 1, positional, no keywords). Kept as in the package; the
  base class and ``_fetch_rewards_via_http`` are left out. When OpenRLHF is installed the tests
  use the package's own class instead (``openrlhf.utils.agent`` imports without ray or vLLM).
- ``openrlhf/trainer/ppo_utils/samples_generator.py`` lines 243-310:
  ``SamplesGenerator._process_response_into_experience`` (``info["reward"]``, ``info["score"]``,
  each ``extra_logs`` value: a tensor → ``value.flatten()[0].item()`` → ``torch.tensor([value])``;
  anything ``torch.tensor`` cannot take, such as a string, raises there). The module imports
  ray and vLLM, so it is copied; ``Experience(...)`` is built as a SimpleNamespace with the same
  fields.
- ``openrlhf/trainer/ppo_utils/experience_maker.py`` lines 139-142: a first sample without
  rewards means "use a reward model", which raises without one.
- ``openrlhf/trainer/ppo_trainer.py`` lines 416-430: ``BasePPOTrainer._compute_rollout_stats``.
- ``openrlhf/trainer/ray/ppo_actor.py``, ``ActorPPOTrainer``: lines 194-221 and 243-257
  (``ppo_train``: per-step reduction of metrics weighted per sample, then the epoch mean;
  ``strategy.all_reduce`` is the identity on one rank) and 384-407 (``training_step``: every
  ``info`` tensor becomes a metric).
"""

import asyncio
import logging
from copy import deepcopy
from itertools import cycle
from types import SimpleNamespace

import torch

logger = logging.getLogger("openrlhf.utils.agent")

#: Experience fields whose ``tensor_field`` role is "episode" (experience.py lines 57-61)
EPISODE_TENSOR_FIELDS = ("rewards", "scores", "response_length", "truncated", "total_length")


class SingleTurnAgentExecutor:
    """Single-turn agent executor with optional reward post-processing."""

    def __init__(self, remote_rm_url=None):
        reward_endpoints = [remote_rm_url] if isinstance(remote_rm_url, str) else remote_rm_url
        self.reward_endpoints = reward_endpoints or []
        self._reward_endpoint_cycle = cycle(self.reward_endpoints)

        # Optional user-provided reward_func from a Python file.
        self.reward_func = None
        if self.reward_endpoints and self.reward_endpoints[0].endswith(".py"):
            logger.info(f"Loading custom `reward_func(queries, prompts, labels)` from {self.reward_endpoints[0]}")
            import importlib.util

            spec = importlib.util.spec_from_file_location("reward_func", self.reward_endpoints[0])
            reward_module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(reward_module)
            self.reward_func = reward_module.reward_func

    async def execute(self, prompt, label, sampling_params, max_length: int, hf_tokenizer, llm_engine, images=None):
        # Tokenize — for VLM the processor inserts image tokens and returns pixel tensors.
        pil_images = []
        mm_train_inputs = None
        if images and hasattr(hf_tokenizer, "image_processor"):
            from openrlhf.utils.vlm_utils import process_prompt_with_images

            prompt_token_ids, mm_train_inputs, pil_images = process_prompt_with_images(hf_tokenizer, prompt, images)
        else:
            prompt_token_ids = hf_tokenizer(text=prompt, add_special_tokens=False, return_tensors="pt")["input_ids"][
                0
            ].tolist()

        # Compute dynamic max_tokens when not explicitly set (prompt + response share max_length budget)
        effective_params = sampling_params
        if sampling_params.max_tokens is None:
            effective_params = deepcopy(sampling_params)
            effective_params.max_tokens = max(1, max_length - len(prompt_token_ids))

        # Truncate prompt if it's too long to leave room for generation
        max_prompt_length = max_length - effective_params.max_tokens
        if len(prompt_token_ids) > max_prompt_length:
            if pil_images:
                raise ValueError(
                    f"VLM prompt length ({len(prompt_token_ids)}) exceeds max_prompt_length ({max_prompt_length}). "
                    f"Truncating VLM prompts would break image token alignment with pixel_values. "
                    f"Please increase --max_len or decrease --max_new_tokens."
                )
            logger.warning(
                f"Prompt length ({len(prompt_token_ids)}) exceeds max_prompt_length ({max_prompt_length}). "
                f"Truncating to fit within max_length ({max_length}) with max_tokens ({effective_params.max_tokens})."
            )
            prompt_token_ids = prompt_token_ids[-max_prompt_length:]

        # Reuse already-loaded PIL images for vLLM generation.
        mm_data = {"image": pil_images} if pil_images else None

        # Generate one continuation from the engine.
        request_output = await llm_engine.generate(
            prompt_token_ids, deepcopy(effective_params), multi_modal_data=mm_data
        )
        generation_output = request_output.outputs[0]
        action_token_ids = generation_output.token_ids

        # Check if response was truncated (hit max_tokens length limit)
        is_truncated = generation_output.finish_reason == "length"

        # Stitch prompt + action together for downstream consumers.
        observation_token_ids = prompt_token_ids + action_token_ids
        action_ranges = [(len(prompt_token_ids), len(observation_token_ids))]

        # Calculate rollout log probs.
        rollout_log_probs = None
        if sampling_params.logprobs is not None and generation_output.logprobs is not None:
            rollout_log_probs = [0.0] * len(prompt_token_ids)
            for token_id, logprob_dict in zip(action_token_ids, generation_output.logprobs):
                token_logprob = logprob_dict.get(token_id)
                rollout_log_probs.append(token_logprob.logprob if token_logprob is not None else 0.0)

        # Store the final response.
        output = {
            # Original prompt/label/images are echoed for convenience.
            "prompt": prompt,
            "label": label,
            "images": images,
            "mm_train_inputs": mm_train_inputs,
            # Token/text observations and action span.
            "observation_tokens": observation_token_ids,
            "action_ranges": action_ranges,
            "rollout_log_probs": rollout_log_probs,
            # Truncation flag (finish_reason == "length")
            "truncated": is_truncated,
            # Reward-related fields (filled by reward/agent variants).
            "reward": None,
            "scores": None,
            "extra_logs": {},
        }

        # Compute reward/score after generation.
        if self.reward_endpoints:
            try:
                query = hf_tokenizer.decode(output["observation_tokens"], skip_special_tokens=False)
                if self.reward_func:
                    rewards_info_list = await self._fetch_rewards_via_func([query], [prompt], [label])
                else:
                    rewards_info_list = await self._fetch_rewards_via_http([query], [prompt], [label])
                rewards_info = rewards_info_list[0] if rewards_info_list else None
                if rewards_info:
                    score_value = rewards_info.get("scores")
                    if score_value is None:
                        score_value = rewards_info.get("rewards")
                    output.update(
                        reward=rewards_info.get("rewards"),
                        scores=score_value,
                        extra_logs=rewards_info.get("extra_logs") or {},
                    )
            except Exception as e:
                logger.info(f"[SingleTurnExecutor] Failed to fetch reward from remote RM: {e}")

        return output

    async def _fetch_rewards_via_func(self, queries_list, prompts_list, labels_list):
        """Compute rewards via user-provided Python function (thread offload)."""
        batch_size = 1
        num_chunks = (len(queries_list) + batch_size - 1) // batch_size

        tasks = []
        for i in range(num_chunks):
            start_idx = i * batch_size
            end_idx = min((i + 1) * batch_size, len(queries_list))
            tasks.append(
                asyncio.to_thread(
                    self.reward_func,
                    queries_list[start_idx:end_idx],
                    prompts_list[start_idx:end_idx],
                    labels_list[start_idx:end_idx],
                )
            )
        return await asyncio.gather(*tasks)


def process_response_into_experience(response, **generate_kwargs):
    """``SamplesGenerator._process_response_into_experience`` (samples_generator.py 243-310)."""
    truncate_length = generate_kwargs.get("max_len", 2048)

    # Base rollout fields from the output.
    tokenized_observation = response["observation_tokens"].copy()
    tokenized_ranges = response["action_ranges"]
    reward_val = response.get("reward", None)
    score_val = response.get("scores", None)

    sequences = torch.tensor(tokenized_observation, dtype=torch.long)
    attention_mask = torch.ones(len(tokenized_observation), dtype=torch.long)
    # Mark the action span within the concatenated tokens.
    action_mask = torch.zeros_like(attention_mask)
    for start, end in tokenized_ranges:
        action_mask[start:end] = 1

    # Truncate everything to the configured context window.
    sequences = sequences[:truncate_length].to("cpu")
    attention_mask = attention_mask[:truncate_length].to("cpu")
    action_mask = action_mask[1:truncate_length].to("cpu")

    # Align rollout logprobs with the truncated action span.
    if response["rollout_log_probs"] is not None:
        rollout_log_probs = torch.tensor(response["rollout_log_probs"][1:truncate_length]).to("cpu")
    else:
        rollout_log_probs = None

    # Collect simple stats about lengths and clipping.
    ones_indices = torch.where(action_mask)[0]
    response_length = (ones_indices[-1] - ones_indices[0] + 1).item() if len(ones_indices) else 0
    total_length = attention_mask.float().sum()
    is_clipped = total_length >= truncate_length

    # Check if response was truncated (hit max_tokens limit, finish_reason == "length")
    is_truncated = response.get("truncated", False)

    info = {
        "response_clip_ratio": torch.tensor([is_clipped]),
    }
    if reward_val is not None:
        info["reward"] = torch.tensor([reward_val])
    if score_val is not None:
        info["score"] = torch.tensor([score_val])

    # Convert extra logs to tensors for downstream consumers.
    extra_logs = response.get("extra_logs", {})
    for key, value in extra_logs.items():
        if isinstance(value, torch.Tensor):
            value = value.flatten()[0].item()
        info[key] = torch.tensor([value])

    return SimpleNamespace(  # Experience(...)
        sequences=sequences.unsqueeze(0),
        attention_mask=attention_mask.unsqueeze(0),
        action_mask=action_mask.unsqueeze(0),
        rollout_log_probs=rollout_log_probs.unsqueeze(0) if rollout_log_probs is not None else None,
        prompts=[response["prompt"]],
        labels=[response["label"]],
        images=[response.get("images")],
        mm_train_inputs=[response.get("mm_train_inputs")],
        rewards=torch.tensor([reward_val]) if reward_val is not None else None,
        scores=torch.tensor([score_val]) if score_val is not None else None,
        response_length=torch.tensor([response_length]),
        truncated=torch.tensor([is_truncated]),
        total_length=torch.tensor([total_length]),
        info=info,
    )


def check_rewards_precomputed(samples_list, reward_model_group=None):
    """The reward-model check of ``make_experience`` (experience_maker.py 139-142)."""
    use_reward_model = samples_list[0].rewards is None
    if use_reward_model:
        if reward_model_group is None:
            raise ValueError("reward_model_group is required when rewards are not precomputed")


def compute_rollout_stats(experiences):
    """``BasePPOTrainer._compute_rollout_stats`` (ppo_trainer.py 416-430)."""
    all_rewards = torch.cat([exp.info["reward"] for exp in experiences if "reward" in exp.info])
    all_response_lengths = torch.cat(
        [exp.response_length for exp in experiences if exp.response_length is not None]
    )
    all_truncated = torch.cat([exp.truncated for exp in experiences if exp.truncated is not None])

    stats = {
        "rollout/reward_mean": all_rewards.float().mean().item(),
        "rollout/reward_std": all_rewards.float().std().item() if len(all_rewards) > 1 else 0.0,
        "rollout/response_length_mean": all_response_lengths.float().mean().item(),
        "rollout/truncated_rate": all_truncated.float().mean().item(),
        "rollout/num_samples": float(len(all_rewards)),
    }
    return stats


def training_step_metrics(experience):
    """The metrics part of ``ActorPPOTrainer.training_step`` (ppo_actor.py 384-407); the loss,
    learning-rate and grad-norm metrics it adds first are left out."""
    metrics, weights = {}, {}
    # Merge all loggable tensors.
    # `info` keeps algorithm metrics; episode tensor fields are added explicitly below.
    for k, v in experience.info.items():
        if isinstance(v, torch.Tensor):
            metrics[k] = v
            weights[k] = "token" if v.dim() == 0 else "sample"
        elif isinstance(v, list):
            metrics[k] = torch.tensor(v, dtype=torch.float)
            weights[k] = "sample"

    for name in EPISODE_TENSOR_FIELDS:  # for f in fields(Experience): ... is_episode_tensor_field
        if name in {"rewards", "scores"}:
            continue
        value = getattr(experience, name)
        if isinstance(value, torch.Tensor) and name not in metrics:
            metrics[name] = value
            weights[name] = "sample"

    return {
        "metrics": metrics,
        "weights": weights,
        "num_samples": float(experience.action_mask.shape[0]),
        "num_action_tokens": float(experience.action_mask.sum().item()),
    }


def ppo_train_status_mean(experiences):
    """``ActorPPOTrainer.ppo_train``'s reduction (ppo_actor.py 194-221, 243-257): each experience is one
    micro-batch; returns the epoch's ``status_mean`` (what is logged)."""
    status_list = []
    for experience in experiences:
        status = training_step_metrics(experience)

        metrics = status["metrics"]
        weights = status["weights"]
        n_tokens = status["num_action_tokens"]
        n_samples = status["num_samples"]

        reduced_status = {"_num_action_tokens": n_tokens, "_num_samples": n_samples}
        last_metrics = {}
        for k, value in metrics.items():
            weight = weights[k]
            if weight is None:
                last_metrics[k] = value
                continue
            scale = n_tokens if weight == "token" else n_samples
            reduced_status[k] = (
                value.float().mean().item() * scale if isinstance(value, torch.Tensor) else value * scale
            )

        n_tokens = reduced_status.pop("_num_action_tokens")
        n_samples = reduced_status.pop("_num_samples")
        merged_status = {}
        for k, value in reduced_status.items():
            denom = n_tokens if weights[k] == "token" else n_samples
            merged_status[k] = value / denom

        merged_status.update(last_metrics)
        merged_status["_num_samples"] = n_samples
        merged_status["_num_action_tokens"] = n_tokens
        merged_status["_weights"] = weights
        status_list.append(merged_status)

    status_mean = {}
    if status_list:
        total_tokens = sum(s["_num_action_tokens"] for s in status_list)
        total_samples = sum(s["_num_samples"] for s in status_list)
        for k in set().union(*(s.keys() for s in status_list)):
            if k in ("_num_samples", "_num_action_tokens", "_weights"):
                continue
            if k in ("actor_grad_norm", "actor_lr"):
                vals = [s[k] for s in status_list if k in s]
                status_mean[k] = vals[-1] if vals else 0.0
            elif status_list[0].get("_weights", {}).get(k) == "token":
                status_mean[k] = sum(s.get(k, 0) * s["_num_action_tokens"] for s in status_list) / total_tokens
            else:
                status_mean[k] = sum(s.get(k, 0) * s["_num_samples"] for s in status_list) / total_samples
    return status_mean
