"""The premiere as a Locust load shape; loaded by Locust (`-f`) only for `--shape premiere`.

The curve and its parameters are in `loadtest/premiere.py`. Custom shapes:
https://docs.locust.io/en/stable/custom-load-shape.html
"""

from __future__ import annotations

from locust import LoadTestShape

from loadtest.premiere import PremiereCurve


class PremiereShape(LoadTestShape):
    """Locust drives the viewer count along `PremiereCurve` (peak `-u`, length `-t`)."""

    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        opts = self.runner.environment.parsed_options
        curve = PremiereCurve(peak=int(opts.num_users), duration_s=float(opts.run_time))
        return curve.tick(self.get_run_time())
