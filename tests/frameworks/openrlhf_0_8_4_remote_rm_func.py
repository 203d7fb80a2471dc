"""Faithful copy of how OpenRLHF 0.8.4 (the first release with the dict contract) calls a
``--remote_rm_url`` Python file's ``reward_func`` once per micro-batch and merges the results.

Source: openrlhf-0.8.4 wheel (PyPI, ``pip download openrlhf==0.8.4 --no-deps``):

- ``openrlhf/utils/remote_rm_utils.py`` lines 35-83: ``RemoteRewardModel`` (a Ray actor) —
  loads the file with ``spec_from_file_location("reward_func", path)`` and calls
  ``reward_func(queries, prompts, labels)`` on chunks of ``micro_rollout_batch_size`` samples.
  Departure: ``ray.remote(reward_func)`` / ``.remote(...)`` / ``ray.get(refs)`` become plain
  calls and a list (Ray only moves the call to another process).
- ``openrlhf/trainer/ppo_utils/experience_maker.py`` lines 200-235:
  ``update_samples_with_rewards`` — ``torch.cat`` of every chunk's ``rewards``, ``scores`` and
  each ``extra_logs`` value along dim 0 (so each must be a 1-D tensor of the chunk's length),
  ``.chunk(len(samples_list))``, then ``samples.info[key]`` per sample. The queries it is given
  come from ``batch_decode(..., skip_special_tokens=False)`` (lines 386-396): EOS text is kept.
"""

import torch


class RemoteRewardModel:
    def __init__(self, args, remote_rm_url):
        self.args = args
        self.remote_rm_url = [remote_rm_url] if isinstance(remote_rm_url, str) else remote_rm_url
        self.custom_reward_func = None

        if self.remote_rm_url and self.remote_rm_url[0].endswith(".py"):
            print(f"Loading custom `reward_func(queries, prompts, labels)` from {self.remote_rm_url[0]}")
            import importlib.util

            spec = importlib.util.spec_from_file_location("reward_func", self.remote_rm_url[0])
            reward_module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(reward_module)
            self.custom_reward_func = reward_module.reward_func  # ray.remote(reward_module.reward_func)

    def get_rewards(self, queries_list, prompts_list, labels_list):
        if self.custom_reward_func:
            # Let Ray automatically distribute the workload across available resources
            batch_size = self.args.micro_rollout_batch_size
            num_chunks = (len(queries_list) + batch_size - 1) // batch_size
            r_refs = []
            for i in range(num_chunks):
                start_idx = i * batch_size
                end_idx = min((i + 1) * batch_size, len(queries_list))
                r = self.custom_reward_func(  # .remote(
                    queries_list[start_idx:end_idx],
                    prompts_list[start_idx:end_idx],
                    labels_list[start_idx:end_idx],
                )
                r_refs.append(r)
        else:
            raise NotImplementedError("the HTTP branch is not copied")

        return r_refs  # ray.get(r_refs)


def update_samples_with_rewards(rewards_info, samples_list):
    """Process rewards info and update samples with rewards, scores and extra logs.

    Args:
        rewards_info: List of reward information dictionaries
        samples_list: List of Experience objects to update
    """
    # Process rewards and scores
    rewards_list = torch.cat([info["rewards"] for info in rewards_info], dim=0).chunk(len(samples_list))
    if "scores" in rewards_info[0]:
        scores_list = torch.cat([info["scores"] for info in rewards_info], dim=0).chunk(len(samples_list))
    else:
        scores_list = rewards_list

    # Process extra_logs if present
    if "extra_logs" in rewards_info[0]:
        # Merge all extra_logs tensors first
        merged_logs = {
            key: torch.cat([logs[key] for logs in [info["extra_logs"] for info in rewards_info]], dim=0).chunk(
                len(samples_list)
            )
            for key in rewards_info[0]["extra_logs"].keys()
        }

    # Update samples with rewards, scores and extra logs
    for i, samples in enumerate(samples_list):
        samples.rewards = rewards_list[i]
        samples.scores = scores_list[i]
        samples.info["score"] = scores_list[i]
        samples.info["reward"] = rewards_list[i]
        if "extra_logs" in rewards_info[0]:
            for key, values in merged_logs.items():
                samples.info[key] = values[i]

    return samples_list
