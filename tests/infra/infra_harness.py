"""Run the real Pulumi program under mocks and record every resource's inputs.

The invoke table is strict: an invoke the program did not declare here raises,
so a new data source cannot slip in with an empty answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import settings as runtime_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
ELB_ACCOUNT = "127311923021"
CLOUDFRONT_PREFIX_LIST_ID = "pl-3b927c52"
AMI_ID = "ami-0c02fb55956c7d316"

def stack_file_config(stack: str) -> dict[str, str]:
    """A stack file's settings as the engine passes them: strings, lists as JSON."""
    document = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())
    return {key: json.dumps(value) if isinstance(value, list)
            else str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in document["config"].items()}


DEV_CONFIG = {
    "aws:region": "us-east-1",
    "edgeflix:environment": "dev",
    "edgeflix:vpcCidr": "10.20.0.0/16",
    "edgeflix:azCount": "2",
    "edgeflix:publicSubnetCidrs": '["10.20.0.0/24", "10.20.1.0/24"]',
    "edgeflix:privateSubnetCidrs": '["10.20.10.0/24", "10.20.11.0/24"]',
    "edgeflix:natMode": "single",
    "edgeflix:instanceType": "t3.small",
    "edgeflix:minSize": "2",
    "edgeflix:maxSize": "6",
    "edgeflix:desiredCapacity": "2",
    "edgeflix:targetRequestsPerTarget": "1000",
    "edgeflix:targetCpuPercent": "50",
    "edgeflix:apiPort": "8080",
    "edgeflix:albIdleTimeout": "60",
    "edgeflix:signedCookieTtl": "600",
    "edgeflix:priceClass": "PriceClass_100",
    "edgeflix:waitForDeployment": "false",
}

# The production profile, Pulumi.prod.yaml, as `pulumi config` hands it to the program:
# a stack in another region with every optional feature on.
FULL_CONFIG = stack_file_config("prod")


@dataclass
class Resource:
    type: str
    name: str
    inputs: dict[str, Any]  # wire names, secrets unwrapped
    outputs: dict[str, Any]
    provider: str | None
    secret_paths: list[str] = field(default_factory=list)


SECRET_SIG = "4dabf18193072939515e22adb298388d"


def unwrap_secrets(value: Any, path: str, found: list[str]) -> Any:
    """Replace Pulumi's secret envelopes by their values, noting where they were."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            found.append(path)
            return unwrap_secrets(value["value"], path, found)
        return {k: unwrap_secrets(v, f"{path}.{k}" if path else k, found)
                for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


@dataclass
class Stack:
    """What one run of the program declared."""

    resources: list[Resource] = field(default_factory=list)
    # Resource options as the program set them, by (type, name): the engine sees them,
    # the mocks do not, so a stack transformation records them on the way in.
    options: dict[tuple[str, str], pulumi.ResourceOptions] = field(default_factory=dict)
    parents: dict[tuple[str, str], str | None] = field(default_factory=dict)
    component_outputs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    invokes: list[tuple[str, dict]] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Resource:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, found {len(found)}"
        return found[0]

    def by_name(self, name: str) -> Resource:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]


def _suffix(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:16]


class RecordingMocks(pulumi.runtime.Mocks):
    """Realistic outputs per resource type; a strict table of invokes."""

    def __init__(self, region: str, stack: Stack, preview: bool = False,
                 stack_outputs: dict[str, dict[str, Any]] | None = None):
        self.region = region
        self.stack = stack
        self.preview = preview
        # Fully qualified stack name -> its outputs, for pulumi.StackReference reads.
        self.stack_outputs = dict(stack_outputs or {})
        self.provider_regions: dict[str, str] = {}  # explicit provider name -> its region

    # -- invokes -------------------------------------------------------------
    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        token, a = args.token, dict(args.args)
        self.stack.invokes.append((token, a))
        region = self.region
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{region}{z}" for z in "abcd"]
            return {"id": region, "names": names, "zoneIds": [f"use1-az{i}" for i in range(4)],
                    "groupNames": [region] * 4, "state": a.get("state")}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"id": ACCOUNT, "accountId": ACCOUNT, "userId": "AIDAEXAMPLE",
                    "arn": f"arn:aws:iam::{ACCOUNT}:user/ci"}
        if token == "aws:elb/getServiceAccount:getServiceAccount":
            return {"id": ELB_ACCOUNT, "arn": f"arn:aws:iam::{ELB_ACCOUNT}:root"}
        if token == "aws:ec2/getManagedPrefixList:getManagedPrefixList":
            assert a.get("name") == "com.amazonaws.global.cloudfront.origin-facing", a
            return {"id": CLOUDFRONT_PREFIX_LIST_ID, "name": a["name"], "addressFamily": "IPv4",
                    "maxEntries": 55, "ownerId": "AWS", "version": 42,
                    "arn": f"arn:aws:ec2:{region}:aws:prefix-list/{CLOUDFRONT_PREFIX_LIST_ID}",
                    "entries": [{"cidr": "120.52.22.96/27", "description": ""}]}
        if token == "aws:ssm/getParameter:getParameter":
            assert a["name"].startswith("/aws/service/ami-amazon-linux-latest/al2023-ami-"), a
            return {"id": a["name"], "name": a["name"], "type": "String", "value": AMI_ID,
                    "insecureValue": AMI_ID, "version": 97, "withDecryption": True,
                    "arn": f"arn:aws:ssm:{region}::parameter{a['name']}"}
        raise NotImplementedError(f"unexpected invoke {token} {a}")

    # -- resources -----------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        secret_paths: list[str] = []
        typ, name = args.typ, args.name
        inputs = unwrap_secrets(dict(args.inputs), "", secret_paths)
        out = dict(inputs)
        rid = f"{name}-id"
        # A resource lives in its explicit provider's region, else in the stack's.
        provider_name = args.provider.split("::")[-2] if args.provider else ""
        arn_region = self.provider_regions.get(provider_name, self.region)
        sfx = _suffix(name)
        if typ == "pulumi:pulumi:StackReference":
            if inputs["name"] not in self.stack_outputs:
                raise NotImplementedError(f"unexpected stack reference {inputs['name']}")
            rid = inputs["name"]
            out.update(outputs=self.stack_outputs[rid], secretOutputNames=[])
        elif typ.startswith("pulumi:providers:"):
            rid = f"{name}-provider"
            self.provider_regions[name] = inputs.get("region", self.region)
        elif typ == "aws:s3/bucket:Bucket":
            bucket = inputs.get("bucketPrefix", name) + sfx[:8]
            rid = bucket
            out.update(bucket=bucket, arn=f"arn:aws:s3:::{bucket}",
                       bucketDomainName=f"{bucket}.s3.amazonaws.com",
                       bucketRegionalDomainName=f"{bucket}.s3.{arn_region}.amazonaws.com")
        elif typ == "aws:ec2/vpc:Vpc":
            rid = f"vpc-{sfx}"
        elif typ == "aws:ec2/subnet:Subnet":
            rid = f"subnet-{sfx}"
        elif typ == "aws:ec2/securityGroup:SecurityGroup":
            rid = f"sg-{sfx}"
        elif typ == "aws:ec2/instance:Instance":
            rid = f"i-{sfx[:17]}"
            host = int(sfx[:4], 16) % 250 + 4
            out.update(publicIp=f"203.0.113.{host}", privateIp=f"10.60.0.{host}",
                       instanceState="running")
        elif typ == "aws:ec2/eip:Eip":
            rid = f"eipalloc-{sfx}"
            out["allocationId"] = rid
        elif typ == "aws:lb/loadBalancer:LoadBalancer":
            lb_name = inputs.get("name", f"{name}-{sfx[:7]}")
            suffix = f"app/{lb_name}/{sfx}"
            rid = f"arn:aws:elasticloadbalancing:{arn_region}:{ACCOUNT}:loadbalancer/{suffix}"
            out.update(name=lb_name, arn=rid, arnSuffix=suffix,
                       dnsName=f"{lb_name}-1234567890.{arn_region}.elb.amazonaws.com",
                       zoneId="Z35SXDOTRQ7X7K")
        elif typ == "aws:lb/targetGroup:TargetGroup":
            tg_name = inputs.get("name", f"{name}-{sfx[:7]}")
            suffix = f"targetgroup/{tg_name}/{sfx}"
            rid = f"arn:aws:elasticloadbalancing:{arn_region}:{ACCOUNT}:{suffix}"
            out.update(name=tg_name, arn=rid, arnSuffix=suffix)
        elif typ in ("aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule"):
            rid = f"arn:aws:elasticloadbalancing:{arn_region}:{ACCOUNT}:listener/app/x/{sfx}"
            out["arn"] = rid
        elif typ == "aws:ec2/launchTemplate:LaunchTemplate":
            rid = f"lt-{sfx}"
            out.update(latestVersion=3, defaultVersion=3, arn=f"arn:aws:ec2:::{rid}")
        elif typ == "aws:autoscaling/group:Group":
            rid = inputs.get("name", f"{name}-{sfx[:7]}")
            out.update(name=rid, arn=f"arn:aws:autoscaling:{arn_region}:{ACCOUNT}:"
                                    f"autoScalingGroup:{sfx}:autoScalingGroupName/{rid}")
        elif typ == "aws:cloudfront/distribution:Distribution":
            staging = bool(inputs.get("staging"))
            rid = "E3STAGINGEXAMPLE" if staging else "E2QWRUHEXAMPLE"
            out.update(arn=f"arn:aws:cloudfront::{ACCOUNT}:distribution/{rid}",
                       domainName=("d222222abcdef8" if staging else "d111111abcdef8")
                       + ".cloudfront.net",
                       hostedZoneId="Z2FDTNDATAQYW2", status="Deployed")
        elif typ == "aws:cloudfront/vpcOrigin:VpcOrigin":
            rid = f"vo_{sfx}"
            out.update(arn=f"arn:aws:cloudfront::{ACCOUNT}:vpcorigin/{rid}", etag="E1VPC")
        elif typ == "aws:cloudfront/continuousDeploymentPolicy:ContinuousDeploymentPolicy":
            rid = str(uuid.UUID(hashlib.md5(name.encode()).hexdigest()))
            out.update(etag="E1CDP")
        elif typ == "aws:cloudfront/publicKey:PublicKey":
            rid = "K2JCJMDEHXQW5F"
        elif typ == "aws:cloudfront/function:Function":
            rid = inputs["name"]
            out["arn"] = f"arn:aws:cloudfront::{ACCOUNT}:function/{rid}"
        elif typ == "aws:secretsmanager/secret:Secret":
            secret_name = inputs.get("namePrefix", name) + "20260101000000"
            rid = f"arn:aws:secretsmanager:{arn_region}:{ACCOUNT}:secret:{secret_name}-AbCdEf"
            out.update(name=secret_name, arn=rid)
        elif typ == "aws:dynamodb/table:Table":
            rid = inputs["name"]
            out["arn"] = f"arn:aws:dynamodb:{arn_region}:{ACCOUNT}:table/{rid}"
        elif typ == "tls:index/privateKey:PrivateKey":
            out.update(privateKeyPem="-----BEGIN RSA PRIVATE KEY-----\nMOCK\n"
                                     "-----END RSA PRIVATE KEY-----\n",
                       publicKeyPem="-----BEGIN PUBLIC KEY-----\nMOCK\n-----END PUBLIC KEY-----\n")
        elif typ == "random:index/randomPassword:RandomPassword":
            out["result"] = "v" * int(inputs["length"])
        elif typ == "aws:iam/role:Role":
            rid = f"{name}-{sfx[:7]}"
            out.update(name=rid, arn=f"arn:aws:iam::{ACCOUNT}:role/{rid}")
        elif typ == "aws:iam/instanceProfile:InstanceProfile":
            out["arn"] = f"arn:aws:iam::{ACCOUNT}:instance-profile/{name}"
        elif typ == "aws:sns/topic:Topic":
            out["arn"] = f"arn:aws:sns:{arn_region}:{ACCOUNT}:{inputs.get('name', name)}"
        elif typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            out["arn"] = f"arn:aws:cloudwatch:{arn_region}:{ACCOUNT}:alarm:{inputs['name']}"
        elif typ == "aws:acm/certificate:Certificate":
            rid = (f"arn:aws:acm:{arn_region}:{ACCOUNT}:certificate/"
                   f"{sfx[:8]}-0000-0000-0000-{sfx[:12]}")
            out.update(arn=rid, domainValidationOptions=[{
                "domainName": inputs["domainName"],
                "resourceRecordName": f"_x1.{inputs['domainName']}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": "_x2.acm-validations.aws.",
            }])
        elif typ == "aws:acm/certificateValidation:CertificateValidation":
            out["certificateArn"] = inputs["certificateArn"]
        elif typ == "aws:route53/record:Record":
            out["fqdn"] = inputs["name"]
        elif typ == "aws:wafv2/webAcl:WebAcl":
            rid = str(uuid.UUID(hashlib.md5(name.encode()).hexdigest()))
            scope = "global" if inputs.get("scope") == "CLOUDFRONT" else "regional"
            out.update(arn=f"arn:aws:wafv2:{arn_region}:{ACCOUNT}:{scope}/webacl/"
                           f"{inputs.get('name', name)}/{rid}", capacity=227)
        elif typ == "aws:s3/bucketObjectv2:BucketObjectv2":
            out["etag"] = sfx
        out.setdefault("arn", f"arn:aws:mock:{arn_region}:{ACCOUNT}:{typ.split(':')[-1]}/{rid}")
        out.setdefault("id", rid)
        self.stack.resources.append(
            Resource(typ, name, inputs, out, args.provider, secret_paths))
        if self.preview:
            # As in a real preview: no ids, and nothing the provider computes is known.
            return "", inputs
        return rid, out


def run_program(config: dict[str, str], preview: bool = False, *,
                program: str = "infra.__main__", project: str = "edgeflix",
                stack_outputs: dict[str, dict[str, Any]] | None = None) -> Stack:
    """Run `program`'s main() (default infra/__main__.py) under fresh mocks with this stack
    config; `stack_outputs` answers the program's stack references by stack name."""
    stack = Stack()
    region = config.get("aws:region", "us-east-1")
    runtime_settings.ROOT.set(None)  # a new root Stack resource per run
    pulumi.runtime.set_mocks(RecordingMocks(region, stack, preview, stack_outputs),
                             project=project, stack="test", preview=preview)
    pulumi.runtime.set_all_config(dict(config))

    # Imported only after the mocks are in place.
    program_module = importlib.import_module(program)

    exported: dict[str, pulumi.Output] = {}
    original_export: Callable = pulumi.export

    def record_export(name: str, value: Any) -> None:
        exported[name] = pulumi.Output.from_input(value)
        original_export(name, value)

    def record_options(args: pulumi.ResourceTransformationArgs):
        parent = args.opts.parent if args.opts else None
        stack.options[(args.type_, args.name)] = args.opts
        stack.parents[(args.type_, args.name)] = (
            None if parent is None else getattr(parent, "_type", None))
        return None

    original_register_outputs = pulumi.ComponentResource.register_outputs

    def record_outputs(self: pulumi.ComponentResource, outputs: Any) -> None:
        stack.component_outputs[(self._type, self._name)] = dict(outputs)
        original_register_outputs(self, outputs)

    @pulumi.runtime.test
    def build():
        pulumi.export = record_export
        pulumi.ComponentResource.register_outputs = record_outputs
        pulumi.runtime.register_stack_transformation(record_options)
        try:
            program_module.main()
        finally:
            pulumi.export = original_export
            pulumi.ComponentResource.register_outputs = original_register_outputs
        names = sorted(exported)
        return pulumi.Output.all(*[exported[n] for n in names]).apply(
            lambda values: stack.exports.update(zip(names, values, strict=True)))

    try:
        build()
    except BaseException:
        _cancel_leftover_tasks()
        raise
    return stack


def _cancel_leftover_tasks() -> None:
    """Cancel what a failed program left running on the event loop.

    When one output raises, pulumi's test runner returns at once; the program's other
    applies are still pending and would raise later, inside the next test's run (whose
    fresh RPC manager records them as its own failure).
    """
    loop = asyncio.get_event_loop()
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
