"""Cross-resource checks: what a resource's inputs say about other resources of the stack.

A translator (replay/services/) judges what its own request tells: enums, ranges,
combinations AWS rejects. What needs other resources is checked here, one module per
service of the resource that holds the reference: an id that must name an origin of
the same distribution, or a policy, key group, function, origin access control or web
ACL of the stack; a CloudFront origin on an ALB that must meet a listener of its
protocol whose certificate covers the name; an ALB's subnets in two Availability
Zones; a VPC origin's internal ALB, private subnets and CloudFront-only ingress
(vpc_origin.py); a continuous-deployment policy's staging distribution, and what it
must share with the primary (continuous_deployment.py); a listener rule's condition
limits, free priority and target groups that get targets; an Auto Scaling group's
instances admitting its target groups' ports; a scaling policy's resource label; a
bucket policy's SourceArn; a certificate validation's records; the security
groups of an instance with a public IP.

A check takes the translator's `Ctx` (replay/context.py), reads the stack through
`ctx.find` / `ctx.by_id` (or moto through `ctx.client`), reports through
`ctx.problem`, and sends no request. The translator calls it at once when Pulumi's
dependency order has registered what it needs; what may register later (a listener
after the distribution that reaches it) the check itself defers with `ctx.defer`.
"""
