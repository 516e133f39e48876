"""Offline replay of the Pulumi program into moto: `make plan` and its engine.

Each resource's inputs are translated into the AWS API request they stand for,
checked against botocore's own service model, and created in moto where moto
models the API. Problems are collected with the resource and the property path.

Layout:
  engine.py     the Mocks (new_resource/call), moto's lifecycle, deferred checks
  context.py    Ctx: what a translator sees of one resource and may do; Record; InvokeCtx
  registry.py   the tables of translators and invoke handlers, and their decorators
  schema.py     wire inputs vs the provider SDK's *Args types (misspelt keys, types)
  awsmodel.py   requests vs botocore's model (ParamValidator + enums, lengths, ranges)
  policies.py   IAM/resource policy JSON, actions checked against botocore's operations
  services/     one module per AWS service (plus random, tls, providers, invokes): each
                resource's inputs as its AWS request, and what that request alone tells
  checks/       cross-resource checks: what an input names elsewhere in the stack
  runner.py     runs a program with a stack's config; report.py, __main__.py: `make plan`

Adding a resource type is one function in the module of its service:

    @resource("aws:sqs/queue:Queue")
    def queue(ctx: Ctx) -> dict:
        where = {}
        params = ctx.pick(ctx.inputs, {"QueueName": "name"}, where)   # API <- wire names
        resp = ctx.call("sqs", "CreateQueue", params, where)          # validate + moto
        if resp is None:
            return failed(ctx, id=ctx.fake_id("q-"))                   # no cascade
        return {"id": resp["QueueUrl"], "url": resp["QueueUrl"]}      # Pulumi outputs

`ctx.check(...)` validates without moto (APIs moto lacks); `ctx.problem(path, msg)`
reports what AWS would reject; a rule that reads other resources (`ctx.find`,
`ctx.by_id`, `ctx.defer`) goes in checks/. A type with no translator is itself reported.
"""

from .engine import Engine, ReplayMocks
from .problems import Problem
from .runner import Result, run_program

__all__ = ["Engine", "Problem", "ReplayMocks", "Result", "run_program"]
