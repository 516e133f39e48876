"""The local twin: the stack's AWS parts as real processes on loopback (`python -m twin`)."""

from twin.topology import Twin, TwinPorts, TwinState

__all__ = ["Twin", "TwinPorts", "TwinState"]
