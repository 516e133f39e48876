"""CloudWatch metric alarms as target tracking creates them: M of N datapoints, missing data.

Pure (no clock, no I/O): a datapoint is one period's value or None (no data in that
period), newest last; the caller owns the clock. The rules implemented:

- "Evaluating an alarm" (CloudWatch user guide, AlarmThatSendsEmail.html#alarm-evaluation):
  an alarm looks at the last N periods (evaluation periods) and goes to ALARM when at
  least M of them (datapoints to alarm) breach the threshold; OK when it cannot; and
  INSUFFICIENT_DATA when the periods hold no data.
- "Configuring how CloudWatch alarms treat missing data" (alarms-and-missing-data.html):
  `missing` (the default, and what target tracking's alarms use) leaves empty periods
  out, goes to INSUFFICIENT_DATA when every period is empty, and, when fewer datapoints
  than M are there, to ALARM only if all of them breach (the page's "- - X - -" row);
  `breaching` / `notBreaching` count an empty period as one; `ignore` keeps the state.
  Simplification: CloudWatch may look further back than N periods to find datapoints
  (its "evaluation range"); this model looks at exactly N.
- Target tracking's own alarms ("Target tracking scaling policies for Amazon EC2 Auto
  Scaling", as-scaling-target-tracking.html): a high alarm, 3 datapoints of 3 one-minute
  periods above the target, and a low alarm, 15 of 15 below 90 % of the target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

AlarmState = Literal["OK", "ALARM", "INSUFFICIENT_DATA"]
MissingData = Literal["missing", "breaching", "notBreaching", "ignore"]

PERIOD_S = 60  # target tracking's alarms: one-minute periods
HIGH_DATAPOINTS = 3  # scale-out alarm: 3 of 3
LOW_DATAPOINTS = 15  # scale-in alarm: 15 of 15
LOW_THRESHOLD_RATIO = 0.9  # the scale-in alarm's threshold, a fraction of the target


@dataclass(frozen=True)
class MetricAlarm:
    """One CloudWatch metric alarm.

    threshold: in the metric's unit; comparison: "GreaterThanThreshold" or
    "LessThanThreshold"; datapoints_to_alarm (M) <= evaluation_periods (N), both >= 1.
    Raises ValueError on an impossible M of N.
    """

    name: str
    threshold: float
    comparison: Literal["GreaterThanThreshold", "LessThanThreshold"]
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: MissingData = "missing"

    def __post_init__(self) -> None:
        if not 1 <= self.datapoints_to_alarm <= self.evaluation_periods:
            raise ValueError(f"{self.name}: datapoints to alarm {self.datapoints_to_alarm} "
                             f"must be within 1..{self.evaluation_periods}")

    def breaches(self, value: float) -> bool:
        if self.comparison == "GreaterThanThreshold":
            return value > self.threshold
        return value < self.threshold

    def evaluate(self, datapoints: Sequence[float | None],
                 current: AlarmState = "INSUFFICIENT_DATA") -> AlarmState:
        """The state after the newest datapoint (the last of `datapoints`, one per period).

        Only the last N periods count. An alarm younger than N periods keeps `current`
        (a new alarm starts INSUFFICIENT_DATA and has no evaluation range yet).
        """
        if len(datapoints) < self.evaluation_periods:
            return current
        window = list(datapoints[-self.evaluation_periods:])
        breaching = not_breaching = missing = 0
        for value in window:
            if value is None:
                missing += 1
            elif self.breaches(value):
                breaching += 1
            else:
                not_breaching += 1
        if missing:
            if self.treat_missing_data == "breaching":
                breaching += missing
            elif self.treat_missing_data == "notBreaching":
                not_breaching += missing
            elif self.treat_missing_data == "ignore" and window[-1] is None:
                return current
        present = breaching + not_breaching
        if present == 0:
            return current if self.treat_missing_data == "ignore" else "INSUFFICIENT_DATA"
        if self.treat_missing_data == "missing" and present < self.datapoints_to_alarm:
            # Fewer datapoints than M: ALARM only when every one there is breaching.
            return "ALARM" if not_breaching == 0 else "OK"
        return "ALARM" if breaching >= self.datapoints_to_alarm else "OK"


def high_alarm(name: str, target: float) -> MetricAlarm:
    """Target tracking's scale-out alarm: above `target` for 3 of 3 periods."""
    return MetricAlarm(f"TargetTracking-{name}-AlarmHigh", target, "GreaterThanThreshold",
                       HIGH_DATAPOINTS, HIGH_DATAPOINTS)


def low_alarm(name: str, target: float) -> MetricAlarm:
    """Target tracking's scale-in alarm: below 90 % of `target` for 15 of 15 periods."""
    return MetricAlarm(f"TargetTracking-{name}-AlarmLow", LOW_THRESHOLD_RATIO * target,
                       "LessThanThreshold", LOW_DATAPOINTS, LOW_DATAPOINTS)
