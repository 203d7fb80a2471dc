"""Faithful copy of how OpenRLHF 0.11.2 calls an HTTP remote reward model and reads its reply.

Source: openrlhf-0.11.2 wheel (PyPI), ``openrlhf/utils/agent.py``
(``SingleTurnAgentExecutor.execute`` reward part and ``_fetch_rewards_via_http``, lines
286-302 and 327-366). Kept as in the package; only the surrounding class, the vLLM
generation and logging are left out. What OpenRLHF does with the reply afterwards is the
copy in ``openrlhf_remote_rm_func.py`` (``process_response_into_experience``).
"""

import asyncio
from itertools import cycle

import aiohttp


class HttpRewardCaller:
    def __init__(self, remote_rm_url):
        reward_endpoints = [remote_rm_url] if isinstance(remote_rm_url, str) else remote_rm_url
        self.reward_endpoints = reward_endpoints or []
        self._reward_endpoint_cycle = cycle(self.reward_endpoints)

    async def reward_for(self, query, prompt, label):
        """The reward part of ``SingleTurnAgentExecutor.execute`` for one sample."""
        output = {"reward": None, "scores": None, "extra_logs": {}}
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
        return output

    async def _fetch_rewards_via_http(self, queries_list, prompts_list, labels_list):
        """HTTP fallback: shard requests across servers."""
        num_servers = len(self.reward_endpoints)
        batch_size = (len(queries_list) + num_servers - 1) // num_servers
        timeout = aiohttp.ClientTimeout(total=180)

        tasks = []
        for i in range(num_servers):
            start_idx = i * batch_size
            if start_idx >= len(queries_list):
                break
            rm = next(self._reward_endpoint_cycle)
            end_idx = min((i + 1) * batch_size, len(queries_list))
            payload = {
                "query": queries_list[start_idx:end_idx],
                "prompts": prompts_list[start_idx:end_idx],
                "labels": labels_list[start_idx:end_idx],
            }

            async def _post_request(url, data, try_max_times=5):
                for _ in range(try_max_times):
                    try:
                        async with aiohttp.ClientSession(timeout=timeout) as session:
                            async with session.post(url, json=data) as response:
                                response.raise_for_status()
                                return await response.json()
                    except aiohttp.ClientError:
                        pass
                    except Exception:  # pragma: no cover - defensive
                        pass
                    await asyncio.sleep(1)

                raise RuntimeError(
                    f"Request error for {try_max_times} times, returning None. Please check the API server."
                )

            tasks.append(asyncio.create_task(_post_request(rm, payload)))
        return await asyncio.gather(*tasks)
