"""IAM documents built with awacs: trust policies and permission policies, one module per role.

Actions are awacs constants (a typo fails at import), resources come from Ref/GetAtt or the one
partition-aware helper in `policies.arn`, and `*` appears only where the action has no
resource-level scoping.
"""
