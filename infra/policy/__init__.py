"""The edgeflix policy pack: guardrails as plain functions (rules.py)."""
