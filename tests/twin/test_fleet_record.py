"""summary.json's `fleet` object from the autoscaler's record, without processes."""

from __future__ import annotations

from twin.fleet import fleet_summary

START = 1_000.0
RECORD = {
    "time_scale": 12.0, "period_s": 60, "min": 2, "max": 6, "warmup_s": 180,
    "deregistration_delay_s": 30,
    "policies": [{"name": "cpu", "metric": "ASGAverageCPUUtilization", "target": 50}],
    "timeline": [
        {"at": START - 5, "desired": 2, "in_service": 2, "pending": 0, "draining": 0,
         "metrics": {}},
        {"at": START + 5, "desired": 2, "in_service": 2, "pending": 0, "draining": 0,
         "metrics": {"ALBRequestCountPerTarget": 2500.0, "ASGAverageCPUUtilization": 30.0}},
        {"at": START + 10, "desired": 5, "in_service": 2, "pending": 3, "draining": 0,
         "metrics": {"ALBRequestCountPerTarget": 2600.0, "ASGAverageCPUUtilization": 31.0},
         "decision": {"t": 120.0, "action": "scale-out", "capacity": 2, "desired": 5,
                      "reason": "requests-per-target high alarm: 6 wanted",
                      "metrics": {"ALBRequestCountPerTarget": 2600.0},
                      "alarms": {"TargetTracking-requests-per-target-AlarmHigh": "ALARM"}}},
        {"at": START + 15, "desired": 5, "in_service": 5, "pending": 0, "draining": 0,
         "metrics": {"ALBRequestCountPerTarget": None, "ASGAverageCPUUtilization": None}},
        {"at": START + 99, "desired": 6, "in_service": 6, "pending": 0, "draining": 0,
         "metrics": {}},
    ],
    "events": [{"at": START + 12, "t_policy": 144.0, "event": "in-service",
                "instance": "api-3"}],
}  # fmt: skip


def test_fleet_summary_keeps_the_run_window_and_each_decision_with_its_metrics():
    fleet = fleet_summary(RECORD, START, START + 20)
    assert (fleet["min"], fleet["max"], fleet["max_in_service"]) == (2, 6, 5)
    assert fleet["period_wall_s"] == 5.0 and fleet["time_scale"] == 12.0
    assert [p["t_s"] for p in fleet["timeline"]] == [5.0, 10.0, 15.0]
    assert [p["in_service"] for p in fleet["timeline"]] == [2, 2, 5]
    assert fleet["timeline"][0]["requests_per_target"] == 2500.0
    assert fleet["timeline"][2]["cpu_percent"] is None
    decision = fleet["timeline"][1]["decision"]
    assert (decision["action"], decision["from"], decision["to"]) == ("scale-out", 2, 5)
    assert decision["metrics"] == {"ALBRequestCountPerTarget": 2600.0}
    assert "decision" not in fleet["timeline"][0]
    assert fleet["events"] == [{"t_policy": 144.0, "event": "in-service",
                                "instance": "api-3", "t_s": 12.0}]


def test_a_run_without_periods_has_no_max():
    assert fleet_summary(RECORD, START + 200, START + 300)["max_in_service"] is None
