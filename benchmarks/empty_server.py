"""Calibration server for bench_service.py: every rpc answers a fixed, valid response
without doing any work. Its throughput is the ceiling gRPC itself allows on this
machine with this client. Usage: python benchmarks/empty_server.py PORT PORT_FILE"""

import asyncio
import sys
from pathlib import Path

import grpc

from honest.v1 import verifier_pb2 as pb
from honest.v1 import verifier_pb2_grpc as pb_grpc

GRADE = pb.Grade(verdict="correct", reward=1.0, answer="1", has_answer=True)
SOLUTION = pb.Solution(status="determined", expected="1", certificate_json="{}", cached=True)


class Empty(pb_grpc.VerifierServicer):
    async def Verify(self, request, context):
        return pb.VerifyResponse(grade=GRADE, solution=SOLUTION)

    async def VerifyGroup(self, request, context):
        return pb.VerifyGroupResponse(solution=SOLUTION, grades=[GRADE] * len(request.completions),
                                      mean_reward=1.0, rewards_tied=True)

    async def VerifyBatch(self, request, context):
        return pb.VerifyBatchResponse(groups=[pb.VerifyGroupResponse(
            solution=SOLUTION, grades=[GRADE] * len(g.completions), mean_reward=1.0,
            rewards_tied=True) for g in request.groups])

    async def Solve(self, request, context):
        return pb.SolveResponse(solution=SOLUTION)


async def main(port: int, port_file: str):
    server = grpc.aio.server()
    pb_grpc.add_VerifierServicer_to_server(Empty(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    Path(port_file).write_text(str(port))
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
