"""The local twin: the stack's AWS parts as real processes on loopback (`python -m twin`)."""

from twin.state import TwinPorts, TwinState
from twin.topology import Twin

__all__ = ["Twin", "TwinPorts", "TwinState"]
