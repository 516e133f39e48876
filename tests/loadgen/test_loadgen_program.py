"""The load-generator program under Pulumi mocks: spot, IMDSv2, no inbound but the master
port from the workers, the maximum run time, the target from the stack reference, workers
in every configured region."""

from __future__ import annotations

import json
import re

import pytest
from loadgen_harness import CDN, CONFIG, TARGET_STACK, provider_region, run_loadgen

from loadgen import outputs
from loadgen.config import MASTER_PORT
from loadgen.user_data import deadline_minutes

INSTANCE = "aws:ec2/instance:Instance"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def _role(instance) -> str:
    return instance.inputs["tags"]["edgeflix-loadgen:role"]


def test_instances_are_one_time_spot_by_default(loadgen_stack):
    instances = loadgen_stack.of_type(INSTANCE)
    assert len(instances) == 1 + 5
    for instance in instances:
        market = instance.inputs["instanceMarketOptions"]
        assert market["marketType"] == "spot"
        assert market["spotOptions"] == {"spotInstanceType": "one-time",
                                         "instanceInterruptionBehavior": "terminate"}


def test_spot_false_gives_on_demand_instances():
    stack = run_loadgen({**CONFIG, "edgeflix-loadgen:spot": "false"})
    assert all("instanceMarketOptions" not in i.inputs for i in stack.of_type(INSTANCE))


def test_instances_require_imdsv2_have_no_key_and_terminate_on_shutdown(loadgen_stack):
    for instance in loadgen_stack.of_type(INSTANCE):
        meta = instance.inputs["metadataOptions"]
        assert meta["httpTokens"] == "required" and meta["httpPutResponseHopLimit"] == 1
        assert "keyName" not in instance.inputs
        assert instance.inputs["instanceInitiatedShutdownBehavior"] == "terminate"
        assert instance.inputs["rootBlockDevice"]["encrypted"] is True


def test_no_inbound_but_the_master_port_from_the_workers(loadgen_stack):
    master = loadgen_stack.one(INSTANCE, "master")
    master_sg = master.inputs["vpcSecurityGroupIds"][0]
    worker_ips = {w.outputs.get("publicIp") for w in loadgen_stack.of_type(INSTANCE)
                  if _role(w) == "worker"}
    local_workers_sg = loadgen_stack.one(INSTANCE, "workers-us-east-1-0").inputs[
        "vpcSecurityGroupIds"][0]
    for group in loadgen_stack.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert not group.inputs.get("ingress"), f"{group.name} has inline ingress"
    rules = loadgen_stack.of_type(INGRESS)
    assert rules, "the master admits nobody"
    sources = set()
    for rule in rules:
        assert rule.inputs["securityGroupId"] == master_sg
        assert rule.inputs["ipProtocol"] == "tcp"
        assert rule.inputs["fromPort"] == rule.inputs["toPort"] == MASTER_PORT
        sources.add(rule.inputs.get("referencedSecurityGroupId") or rule.inputs["cidrIpv4"])
    remote = {f"{ip}/32" for ip in worker_ips if ip}
    # Workers in the master's region by security group; the 3 in eu-west-1 by /32 each.
    assert sources == {local_workers_sg, *[f"{w.outputs['publicIp']}/32" for w in
                                           loadgen_stack.of_type(INSTANCE)
                                           if w.name.startswith("workers-eu-west-1")]}
    assert len(sources) == 4 and sources - {local_workers_sg} <= remote


def test_max_run_time_is_enforced_by_locust_and_by_a_shutdown(loadgen_stack):
    master = loadgen_stack.one(INSTANCE, "master").inputs["userData"]
    assert "--run-time 30m" in master
    assert "--expect-workers 5 " in master
    for instance in loadgen_stack.of_type(INSTANCE):
        script = instance.inputs["userData"]
        first_commands = [line for line in script.splitlines()
                          if line and not line.startswith("#")]
        assert first_commands[0] == f"shutdown -h +{deadline_minutes(30)}"
        assert "shutdown -h now" in script


def test_target_url_comes_from_the_target_stacks_cdn_url(loadgen_stack):
    reference = loadgen_stack.one("pulumi:pulumi:StackReference")
    assert reference.inputs["name"] == TARGET_STACK
    assert loadgen_stack.exports[outputs.TARGET_URL] == CDN
    for instance in loadgen_stack.of_type(INSTANCE):
        assert f"-H {CDN} " in instance.inputs["userData"]


def test_a_target_that_is_not_cloudfront_https_is_refused():
    with pytest.raises(Exception, match="not a CloudFront host"):
        run_loadgen(cdn_url="https://example.com")
    with pytest.raises(Exception, match="is not https"):
        run_loadgen(cdn_url="http://d111111abcdef8.cloudfront.net")


def test_allow_any_target_lifts_the_check():
    stack = run_loadgen({**CONFIG, "edgeflix-loadgen:allowAnyTarget": "true"},
                        cdn_url="http://203.0.113.7:8080")
    assert stack.exports[outputs.TARGET_URL] == "http://203.0.113.7:8080"


def test_workers_run_in_each_configured_region(loadgen_stack):
    by_region: dict[str, int] = {}
    for instance in loadgen_stack.of_type(INSTANCE):
        if _role(instance) == "worker":
            region = provider_region(instance)
            by_region[region] = by_region.get(region, 0) + 1
    assert by_region == {"us-east-1": 2, "eu-west-1": 3}
    assert provider_region(loadgen_stack.one(INSTANCE, "master")) == "us-east-1"
    assert sorted(loadgen_stack.exports[outputs.WORKER_PUBLIC_IPS]) == ["eu-west-1",
                                                                        "us-east-1"]


def test_workers_reach_the_master_privately_in_its_region_publicly_elsewhere(loadgen_stack):
    master = loadgen_stack.one(INSTANCE, "master")
    local = loadgen_stack.one(INSTANCE, "workers-us-east-1-0").inputs["userData"]
    remote = loadgen_stack.one(INSTANCE, "workers-eu-west-1-0").inputs["userData"]
    assert f"--master-host {master.outputs['privateIp']} --master-port {MASTER_PORT}" in local
    assert f"--master-host {master.outputs['publicIp']} --master-port {MASTER_PORT}" in remote


def test_instance_role_reads_the_bundle_and_writes_this_run_only(loadgen_stack):
    policy = json.loads(loadgen_stack.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    bucket = loadgen_stack.one("aws:s3/bucket:Bucket").outputs["arn"]
    bundle_key = loadgen_stack.one("aws:s3/bucketObjectv2:BucketObjectv2").inputs["key"]
    grants = {(s["Action"], s["Resource"]) for s in policy["Statement"]}
    assert grants == {("s3:GetObject", f"{bucket}/{bundle_key}"),
                      ("s3:PutObject", f"{bucket}/runs/test-run/*")}
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])


def test_results_bucket_is_private_encrypted_tls_only_and_expires(loadgen_stack):
    block = loadgen_stack.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                  "restrictPublicBuckets"))
    sse = loadgen_stack.one("aws:s3/bucketServerSideEncryptionConfiguration:"
                            "BucketServerSideEncryptionConfiguration").inputs
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    policy = json.loads(loadgen_stack.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    rule = loadgen_stack.one("aws:s3/bucketLifecycleConfiguration:"
                             "BucketLifecycleConfiguration").inputs["rules"][0]
    assert rule["status"] == "Enabled" and rule["expiration"]["days"] == 30


def test_components_are_typed_and_own_their_children(loadgen_stack):
    tokens = {t for t, _ in loadgen_stack.component_outputs}
    assert tokens == {"edgeflix-loadgen:results:ResultsBucket",
                      "edgeflix:media:PrivateBucket",  # the main program's bucket posture
                      "edgeflix-loadgen:identity:InstanceRole",
                      "edgeflix-loadgen:network:GeneratorRegion",
                      "edgeflix-loadgen:fleet:LocustMaster",
                      "edgeflix-loadgen:fleet:LocustWorkers"}
    orphans = [name for (typ, name), parent in loadgen_stack.parents.items()
               if parent is None and typ not in tokens and typ != "pulumi:pulumi:StackReference"]
    assert orphans == []


def test_the_program_tolerates_unknowns_at_preview():
    stack = run_loadgen(preview=True)
    assert len(stack.of_type(INSTANCE)) == 6


def test_exports_name_the_results_and_the_cost(loadgen_stack):
    exports = loadgen_stack.exports
    assert exports[outputs.RESULTS_PREFIX] == "runs/test-run/"
    assert exports[outputs.MAX_RUN_MINUTES] == 30
    assert re.fullmatch(r"\d+\.\d+", str(exports[outputs.ESTIMATED_COST_USD]))
