"""Offline replay of the Pulumi program into moto: `make plan` and its engine.

Each resource's inputs are translated into the AWS API request they stand for,
checked against botocore's own service model, and created in moto where moto
models the API. Problems are collected with the resource and the property path.
"""

from .engine import Engine, ReplayMocks
from .problems import Problem
from .runner import Result, run_program

__all__ = ["Engine", "Problem", "ReplayMocks", "Result", "run_program"]
