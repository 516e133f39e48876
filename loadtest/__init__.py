"""Locust viewer load test, its report, and the post-deploy `verify` checks."""
