"""Capacity and cost on paper (`make capacity`): the model, its dated price table, the CLI."""
