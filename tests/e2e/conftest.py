"""End-to-end tests: the `e2e` marker (`pytest -m "not e2e"` leaves them out)."""


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "e2e: end-to-end against real processes or a real AWS account (opt-in parts skip)",
    )
