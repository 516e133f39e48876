"""The local twin: the stack's AWS parts as real processes on loopback (`python -m twin`).

`twin.topology.Twin` starts and stops it; `twin.state` is what a running twin records
(read by the load test and verify without importing the rest of the twin).
"""
