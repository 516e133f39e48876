"""The edge: edge-config's model and CloudFront's rules, one owner for both.

- `edge.cloudfront`: CloudFront's own rules as plain tables and functions (path patterns,
  managed policies, Cache-Control parsing, the one TTL precedence behind object and error
  TTLs, error caching). Standard library only.
- `edge.config`: the edge-config schema (pydantic models) and its loader,
  `load_edge_config()`, raising `EdgeConfigError`.
- `edge.origin`: CloudFront's contract with the API origin: the secret header's name and the
  origin-TLS decision.

Imported by the Pulumi program (`infra/__main__.py`, `infra/distribution.py`,
`infra/load_balancer.py`, the policy pack), the local twin (`twin/topology.py`, `twin/alb.py`,
`twin/edge/`), the media publisher (`media/publisher.py`, `media/cli.py`), `loadtest.verify`
and the tests. It imports none of them, nor Pulumi or Flask; this module imports nothing, so
a consumer loads only the submodule it names.
"""
