"""Target tracking as EC2 Auto Scaling does it, as a pure decision on the twin's fleet.

Pure: no processes and no clock of its own. The caller records one datapoint per metric
and period (`record`) and asks for a decision (`decide`) with the time `t` (seconds on
the policy's clock, the twin's compressed one included) and the instances as they are.

The rules, from the Amazon EC2 Auto Scaling user guide:
- "Target tracking scaling policies" (as-scaling-target-tracking.html): each policy owns a
  high alarm (scale out) and a low alarm (scale in), see `twin.alarms`; the new capacity is
  proportional, ceil(capacity x metric / target); with several policies the group scales
  out when any policy asks to and scales in only when every policy asks to, to the largest
  capacity any of them wants; the bounds are the group's minimum and maximum size; a
  policy does not scale on insufficient data.
- "Set the default instance warmup" (ec2-auto-scaling-default-instance-warmup.html): an
  instance's usage data joins the aggregated metrics only once its warmup has passed
  (the caller leaves warming instances out of CPU); instances still warming count as
  current capacity when scaling out; and no scale-in happens while any instance warms.
  EC2 Auto Scaling's target tracking has no cooldown: the warmup plays that part.
- Termination: the twin removes the newest instance first (the NewestInstance
  termination policy; the default policy's AZ balancing and launch-template age mean
  nothing in a one-host twin) and never the last healthy instance.

Metrics: ALBRequestCountPerTarget (requests per minute per healthy target, the ALB's
Sum) and ASGAverageCPUUtilization (percent, average over warmed instances).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Literal

from twin.alarms import AlarmState, MetricAlarm, high_alarm, low_alarm

if TYPE_CHECKING:
    from infra.config import StackConfig

REQUESTS_PER_TARGET = "ALBRequestCountPerTarget"
CPU = "ASGAverageCPUUtilization"
Action = Literal["scale-out", "scale-in", "none"]


@dataclass(frozen=True)
class Policy:
    """One target tracking policy: a predefined metric and its target value."""

    name: str
    metric: str
    target: float

    @property
    def high(self) -> MetricAlarm:
        return high_alarm(self.name, self.target)

    @property
    def low(self) -> MetricAlarm:
        return low_alarm(self.name, self.target)


@dataclass(frozen=True)
class GroupLimits:
    """The group's bounds and warmup: sizes in instances, warmup in seconds."""

    min_size: int
    max_size: int
    warmup_s: float

    def __post_init__(self) -> None:
        if not 1 <= self.min_size <= self.max_size:
            raise ValueError(f"need 1 <= min_size <= max_size, got {self.min_size}, "
                             f"{self.max_size}")


def stack_policies(stack: StackConfig) -> tuple[Policy, ...]:
    """The stack's two target tracking policies, as infra/api_fleet.py declares them."""
    return (Policy("requests-per-target", REQUESTS_PER_TARGET, stack.target_requests_per_target),
            Policy("cpu", CPU, stack.target_cpu_percent))


def stack_limits(stack: StackConfig) -> GroupLimits:
    """minSize, maxSize and instanceWarmup of the stack (infra/api_fleet.py's group)."""
    return GroupLimits(stack.min_size, stack.max_size, stack.instance_warmup)


@dataclass(frozen=True)
class InstanceView:
    """One instance as the decision sees it.

    in_service_at: when it passed its health check and joined the load balancer (policy
    clock seconds); None while it is still pending. healthy: the last health check passed.
    """

    id: str
    launched_at: float
    in_service_at: float | None
    healthy: bool = True

    def warmed(self, t: float, warmup_s: float) -> bool:
        return self.in_service_at is not None and t - self.in_service_at >= warmup_s


@dataclass(frozen=True)
class Decision:
    """What one evaluation decided and why: capacities in instances, metric values as
    recorded for the newest period (None: no data), alarm states by alarm name."""

    t: float
    action: Action
    capacity: int
    desired: int
    reason: str
    metrics: dict[str, float | None] = field(default_factory=dict)
    alarms: dict[str, AlarmState] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


class TargetTracking:
    """The policies' alarms over recorded periods, and the capacity they ask for."""

    def __init__(self, policies: Sequence[Policy], limits: GroupLimits) -> None:
        if not policies:
            raise ValueError("at least one policy")
        self.policies = tuple(policies)
        self.limits = limits
        self.history: dict[str, list[float | None]] = {p.metric: [] for p in self.policies}
        self.states: dict[str, AlarmState] = {}

    def record(self, datapoints: Mapping[str, float | None]) -> None:
        """One period's datapoint per metric (a metric left out is missing data)."""
        for metric, series in self.history.items():
            series.append(datapoints.get(metric))
            # The longest alarm looks back 15 periods; keep a little more.
            del series[:-64]

    def _evaluate(self) -> None:
        for policy in self.policies:
            series = self.history[policy.metric]
            for alarm in (policy.high, policy.low):
                self.states[alarm.name] = alarm.evaluate(
                    series, self.states.get(alarm.name, "INSUFFICIENT_DATA"))

    def _latest(self, policy: Policy, alarm: MetricAlarm) -> float | None:
        """The newest datapoint within the alarm's window (the value the policy scales on)."""
        window = self.history[policy.metric][-alarm.evaluation_periods:]
        return next((v for v in reversed(window) if v is not None), None)

    def _wanted(self, policy: Policy, alarm: MetricAlarm, capacity: int) -> int | None:
        value = self._latest(policy, alarm)
        if value is None:
            return None
        return math.ceil(capacity * value / policy.target)

    def decide(self, t: float, capacity: int, instances: Sequence[InstanceView]) -> Decision:
        """The action for the newest recorded period.

        capacity: the group's desired capacity now (pending and warming instances count).
        Raises ValueError when capacity is outside the group's bounds.
        """
        lo, hi = self.limits.min_size, self.limits.max_size
        if not lo <= capacity <= hi:
            raise ValueError(f"capacity {capacity} outside [{lo}, {hi}]")
        self._evaluate()
        metrics = {m: s[-1] if s else None for m, s in self.history.items()}

        def decision(action: Action, desired: int, reason: str) -> Decision:
            return Decision(t, action, capacity, desired, reason, metrics, dict(self.states))

        out = {p.name: self._wanted(p, p.high, capacity) for p in self.policies
               if self.states[p.high.name] == "ALARM"}
        out = {name: n for name, n in out.items() if n is not None and n > capacity}
        if out:
            name = max(out, key=lambda k: out[k])
            desired = min(hi, out[name])
            if desired == capacity:
                return decision("none", capacity, f"{name} asks for {out[name]}; at maxSize {hi}")
            return decision("scale-out", desired, f"{name} high alarm: {out[name]} wanted")

        low = [p for p in self.policies if self.states[p.low.name] == "ALARM"]
        if len(low) < len(self.policies):
            return decision("none", capacity, "not every policy's low alarm is in ALARM"
                            if low else "no alarm in ALARM")
        warming = [i.id for i in instances if not i.warmed(t, self.limits.warmup_s)]
        if warming:
            return decision("none", capacity, f"scale-in blocked: {', '.join(warming)} warming")
        wanted = [self._wanted(p, p.low, capacity) for p in low]
        desired = max([lo, *(n for n in wanted if n is not None)])
        # minSize >= 1; `scale_in_order` picks the victims and spares the last healthy one.
        if desired >= capacity:
            return decision("none", capacity, f"every low alarm in ALARM; {desired} wanted")
        return decision("scale-in", desired, "every policy's low alarm in ALARM")


def scale_in_order(instances: Sequence[InstanceView], count: int) -> list[str]:
    """Which `count` instances to terminate: newest launch first, never the last healthy one.

    Unhealthy instances go before healthy ones. Returns fewer than `count` ids when only
    the last healthy instance would remain.
    """
    ranked = sorted(instances, key=lambda i: (i.healthy, -i.launched_at))
    healthy_left = sum(1 for i in instances if i.healthy)
    chosen: list[str] = []
    for inst in ranked:
        if len(chosen) == count:
            break
        if inst.healthy:
            if healthy_left <= 1:
                continue
            healthy_left -= 1
        chosen.append(inst.id)
    return chosen
