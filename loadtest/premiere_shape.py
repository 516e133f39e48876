"""The premiere as a Locust load shape; loaded by Locust (`-f`) only for `--shape premiere`.

The curve and its parameters are in `loadtest/premiere.py`. Custom shapes:
https://docs.locust.io/en/stable/custom-load-shape.html
"""

from __future__ import annotations

from locust import LoadTestShape

from loadtest.premiere import curve_from_options


class PremiereShape(LoadTestShape):
    """Locust drives the viewer count along `PremiereCurve` (see `curve_from_options`)."""

    use_common_options = True  # -u and -t are the peak and the length, not ignored

    def tick(self) -> tuple[int, float] | None:
        curve = curve_from_options(self.runner.environment.parsed_options)
        if curve is None:  # loaded without --shape premiere: nothing to run
            return None
        return curve.tick(self.get_run_time())
