"""Alarm and target tracking semantics of the twin's autoscaler, without processes.

Each case names the CloudWatch / EC2 Auto Scaling rule it checks (see twin/alarms.py and
twin/target_tracking.py for the pages). Time and metrics are injected.
"""

from __future__ import annotations

import pytest

from infra.config import load_stack
from twin.alarms import MetricAlarm, high_alarm, low_alarm
from twin.target_tracking import (
    CPU,
    REQUESTS_PER_TARGET,
    GroupLimits,
    InstanceView,
    Policy,
    TargetTracking,
    scale_in_order,
    stack_limits,
    stack_policies,
)

T = 1000.0  # requests per minute per target
REQ = Policy("requests-per-target", REQUESTS_PER_TARGET, T)
CPU50 = Policy("cpu", CPU, 50)
LIMITS = GroupLimits(min_size=2, max_size=6, warmup_s=180)


def warmed(n: int, t: float = 10_000.0) -> list[InstanceView]:
    return [InstanceView(f"api-{i}", launched_at=float(i), in_service_at=0.0)
            for i in range(1, n + 1)]


# ---- the alarms target tracking creates -------------------------------------------


def test_high_alarm_needs_three_of_three_periods_above_the_target():
    alarm = high_alarm("req", T)
    assert (alarm.datapoints_to_alarm, alarm.evaluation_periods) == (3, 3)
    assert alarm.evaluate([1500, 1500, 1500]) == "ALARM"
    assert alarm.evaluate([1500, 900, 1500]) == "OK"
    # At the target is not above it.
    assert alarm.evaluate([1500, 1500, T]) == "OK"
    # Only the last three periods count.
    assert alarm.evaluate([10, 10, 1500, 1500, 1500]) == "ALARM"


def test_low_alarm_needs_fifteen_of_fifteen_below_ninety_percent():
    alarm = low_alarm("req", T)
    assert (alarm.datapoints_to_alarm, alarm.evaluation_periods) == (15, 15)
    assert alarm.threshold == pytest.approx(0.9 * T)
    assert alarm.evaluate([800] * 15) == "ALARM"
    assert alarm.evaluate([800] * 14 + [950]) == "OK"  # below target, not below 90 %
    assert alarm.evaluate([800] * 14) == "INSUFFICIENT_DATA"  # younger than 15 periods


def test_missing_data_all_missing_is_insufficient_data():
    alarm = high_alarm("req", T)
    assert alarm.evaluate([None, None, None], current="ALARM") == "INSUFFICIENT_DATA"


def test_missing_data_fewer_datapoints_than_m_alarm_only_if_all_breach():
    alarm = high_alarm("req", T)
    # The documented "- - X - -" row: a lone breaching datapoint is enough.
    assert alarm.evaluate([None, 1500, None]) == "ALARM"
    assert alarm.evaluate([None, 1500, 200]) == "OK"
    # With all three there, a gap-free 3 of 3 is needed.
    assert alarm.evaluate([1500, 200, 1500]) == "OK"


@pytest.mark.parametrize(("treat", "expected"), [
    ("breaching", "ALARM"), ("notBreaching", "OK"), ("ignore", "OK"),
])
def test_missing_data_treatments(treat, expected):
    alarm = MetricAlarm("a", T, "GreaterThanThreshold", 3, 3, treat_missing_data=treat)
    assert alarm.evaluate([1500, 1500, None], current="OK") == expected
    if treat == "ignore":
        assert alarm.evaluate([1500, 1500, None], current="ALARM") == "ALARM"


def test_m_of_n_rejects_impossible_alarm():
    with pytest.raises(ValueError, match="datapoints to alarm"):
        MetricAlarm("a", 1, "GreaterThanThreshold", 3, 4)


# ---- target tracking ---------------------------------------------------------------


def tracker(*policies: Policy, limits: GroupLimits = LIMITS) -> TargetTracking:
    return TargetTracking(policies or (REQ,), limits)


def test_stack_settings_are_the_stack_configs():
    stack = load_stack("dev")
    policies = {p.metric: p.target for p in stack_policies(stack)}
    assert policies == {REQUESTS_PER_TARGET: stack.target_requests_per_target,
                        CPU: stack.target_cpu_percent}
    limits = stack_limits(stack)
    assert (limits.min_size, limits.max_size, limits.warmup_s) == (
        stack.min_size, stack.max_size, stack.instance_warmup)


def test_scale_out_after_three_high_periods_proportionally():
    tt = tracker()
    for n, value in enumerate([2500, 2500, 2500], start=1):
        tt.record({REQUESTS_PER_TARGET: value})
        d = tt.decide(60.0 * n, 2, warmed(2))
        if n < 3:
            assert d.action == "none"
    assert d.action == "scale-out"
    assert d.desired == 5  # ceil(2 x 2500 / 1000)
    assert d.metrics[REQUESTS_PER_TARGET] == 2500
    assert d.alarms["TargetTracking-requests-per-target-AlarmHigh"] == "ALARM"


def test_scale_out_is_bounded_by_max_size():
    tt = tracker()
    for _ in range(3):
        tt.record({REQUESTS_PER_TARGET: 9000})
    assert tt.decide(180, 2, warmed(2)).desired == LIMITS.max_size
    tt.record({REQUESTS_PER_TARGET: 9000})
    at_max = tt.decide(240, 6, warmed(6))
    assert (at_max.action, at_max.desired) == ("none", 6)


def test_scale_out_counts_warming_instances_as_capacity():
    """Two instances still warm up: capacity 4 already, 4 x 1100 / 1000 -> 5, not 2 more."""
    tt = tracker()
    for _ in range(3):
        tt.record({REQUESTS_PER_TARGET: 1100})
    fleet = warmed(2) + [InstanceView("api-3", 50, 170), InstanceView("api-4", 50, 170)]
    d = tt.decide(200, 4, fleet)
    assert (d.action, d.desired) == ("scale-out", 5)


def test_scale_out_when_any_policy_asks_to_the_largest_capacity():
    tt = tracker(REQ, CPU50)
    for _ in range(3):
        tt.record({REQUESTS_PER_TARGET: 200, CPU: 90})
    d = tt.decide(180, 2, warmed(2))
    assert (d.action, d.desired) == ("scale-out", 4)  # ceil(2 x 90 / 50)
    assert "cpu" in d.reason


def test_scale_in_needs_fifteen_low_periods_and_every_policy():
    tt = tracker(REQ, CPU50)
    for n in range(1, 16):
        tt.record({REQUESTS_PER_TARGET: 100, CPU: 20})
        d = tt.decide(60.0 * n, 4, warmed(4))
        if n < 15:
            assert d.action == "none", n
    # requests: ceil(4 x 100 / 1000) = 1; cpu: ceil(4 x 20 / 50) = 2 -> 2
    assert (d.action, d.desired) == ("scale-in", 2)
    # CPU at 47 % is below its target but not below 90 % of it: no scale-in.
    tt = tracker(REQ, CPU50)
    for _ in range(15):
        tt.record({REQUESTS_PER_TARGET: 100, CPU: 47})
    d = tt.decide(900, 4, warmed(4))
    assert d.action == "none"
    assert "not every policy" in d.reason


def test_scale_in_to_the_largest_wanted_capacity_not_below_min():
    tt = tracker(REQ, CPU50)
    for _ in range(15):
        tt.record({REQUESTS_PER_TARGET: 300, CPU: 20})
    d = tt.decide(900, 6, warmed(6))
    # requests: ceil(6 x 300 / 1000) = 2; cpu: ceil(6 x 20 / 50) = 3 -> 3
    assert (d.action, d.desired) == ("scale-in", 3)
    tt = tracker(REQ)
    for _ in range(15):
        tt.record({REQUESTS_PER_TARGET: 1})
    assert tt.decide(900, 4, warmed(4)).desired == LIMITS.min_size


def test_no_scale_in_on_insufficient_data():
    """No requests at all: the ALB reports no datapoint, the low alarm has no data."""
    tt = tracker()
    for _ in range(15):
        tt.record({})
    d = tt.decide(900, 4, warmed(4))
    assert d.action == "none"
    assert d.alarms["TargetTracking-requests-per-target-AlarmLow"] == "INSUFFICIENT_DATA"


def test_scale_in_blocked_while_an_instance_warms_up():
    tt = tracker()
    for _ in range(15):
        tt.record({REQUESTS_PER_TARGET: 100})
    fleet = warmed(3) + [InstanceView("api-4", 700, in_service_at=800)]
    blocked = tt.decide(900, 4, fleet)  # 100 s into a 180 s warmup
    assert blocked.action == "none"
    assert "api-4 warming" in blocked.reason
    assert tt.decide(980, 4, fleet).action == "scale-in"  # 180 s in: warmed


def test_scale_in_never_removes_the_last_healthy_instance():
    limits = GroupLimits(min_size=1, max_size=4, warmup_s=0)
    tt = tracker(limits=limits)
    for _ in range(15):
        tt.record({REQUESTS_PER_TARGET: 1})
    fleet = [InstanceView("api-1", 1, 0, healthy=True),
             InstanceView("api-2", 2, 0, healthy=False),
             InstanceView("api-3", 3, 0, healthy=False)]
    d = tt.decide(900, 3, fleet)
    assert (d.action, d.desired) == ("scale-in", 1)
    assert scale_in_order(fleet, 2) == ["api-3", "api-2"]
    # Asked for every instance, the order still keeps the last healthy one.
    assert scale_in_order(fleet, 3) == ["api-3", "api-2"]


def test_scale_in_order_is_newest_first():
    fleet = [InstanceView("a", 10, 20), InstanceView("b", 30, 40), InstanceView("c", 20, 30)]
    assert scale_in_order(fleet, 2) == ["b", "c"]


def test_capacity_outside_bounds_is_an_error():
    with pytest.raises(ValueError, match="outside"):
        tracker().decide(0, 7, warmed(7))
    with pytest.raises(ValueError, match="min_size"):
        GroupLimits(3, 2, 0)
