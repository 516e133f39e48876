"""pulumi-policy entry point: `pulumi preview --policy-pack infra/policy`."""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from infra.policy.rules import (
    GUARDRAILS,
    STACK_GUARDRAILS,
    Guardrail,
    StackGuardrail,
    unsecret,
)


def _policy(guardrail: Guardrail) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in guardrail.check(args.resource_type, unsecret(args.props)):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=guardrail.name,
        description=guardrail.description,
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=validate,
    )


def _stack_policy(guardrail: StackGuardrail) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [(r.resource_type, unsecret(r.props)) for r in args.resources]
        for message in guardrail.check(resources):
            report_violation(message, None)

    return StackValidationPolicy(
        name=guardrail.name,
        description=guardrail.description,
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=validate,
    )


PolicyPack(
    name="edgeflix-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[*(_policy(g) for g in GUARDRAILS), *(_stack_policy(g) for g in STACK_GUARDRAILS)],
)
