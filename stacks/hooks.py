"""The test-traffic hook: a Lambda the deployment engine (CodeDeploy, or ECS with
deployment.engine "ecs") runs before production moves.

Reachability: the test listener is not open to the world, so the hook runs inside the VPC in
the tasks' private subnets. Its requests to the load balancer's public address leave through
the NAT gateways, so the load balancer admits the test port from exactly the NAT addresses
(in an existing VPC, listeners.test_cidrs must hold them; settings validation insists).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from troposphere import GetAtt, Sub, Template, awslambda, ec2

from policies.hook import report_hook_status

from .functions import InlineFunction, handler_source, inline_function
from .load_balancer import LoadBalancing
from .naming import Names
from .network import Network
from .security_groups import SecurityGroups
from .settings import Settings
from .waivers import (HOOK_IN_A_LISTED_VPC, HOOK_NETWORK_INTERFACES, HOOK_UNTRACED_UNSIGNED,
                      LAMBDA_DEAD_LETTERS_HOOK, LAMBDA_ENVIRONMENT_PLAIN)

HOOK_MODULE = "hook_handler.py"
# Engine ecs: the same probing behind ECS's lifecycle-hook contract.
ECS_HOOK_MODULE = HOOK_MODULE + "+hook_ecs.py"


@dataclass(frozen=True)
class Hooks:
    inline: InlineFunction | None
    events: tuple[tuple[str, str], ...]  # (AppSpec lifecycle event, function name)
    # The load balancer's admission of the hook's NAT addresses, which the hook needs before
    # its first run (with engine ecs, during the service's creation).
    ingress: tuple[ec2.SecurityGroupIngress, ...] = ()

    @property
    def function(self) -> awslambda.Function | None:
        return self.inline.function if self.inline else None


def hook_source() -> str:
    """The handler module, byte for byte as tested."""
    return handler_source(HOOK_MODULE)


def build_hooks(template: Template, settings: Settings, names: Names, network: Network,
                security_groups: SecurityGroups, load_balancing: LoadBalancing) -> Hooks:
    hooks = settings.hooks
    if not hooks.enabled:
        return Hooks(None, ())
    test_port = settings.listeners.test_port
    ingress = []
    for index, address in enumerate(network.nat_addresses, start=1):
        ingress.append(template.add_resource(ec2.SecurityGroupIngress(
            f"TestListenerIngressFromNat{index}",
            GroupId=GetAtt(security_groups.load_balancer, "GroupId"),
            IpProtocol="tcp", FromPort=test_port, ToPort=test_port,
            CidrIp=Sub(f"${{{address.title}}}/32"),
            Description="Test-traffic hook via NAT")))
    hook_group = template.add_resource(ec2.SecurityGroup(
        "TestTrafficHookSecurityGroup",
        GroupName=names.hook_security_group,
        GroupDescription=f"Test-traffic hook of {settings.resource_id}",
        VpcId=network.vpc_id,
        SecurityGroupEgress=[
            ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=test_port, ToPort=test_port,
                                  CidrIp="0.0.0.0/0",
                                  Description="Test listener"),
            # An ECS hook answers with its return value and calls no API.
            *([ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=443, ToPort=443,
                                     CidrIp="0.0.0.0/0",
                                     Description="CodeDeploy API")]
              if settings.deployment.engine == "codedeploy" else []),
        ],
    ))
    paths = hooks.paths or [settings.service.health_check_path]
    inline = inline_function(
        template, settings, "TestTrafficHook", "TestTrafficHook", names.test_traffic_hook,
        HOOK_MODULE if settings.deployment.engine == "codedeploy" else ECS_HOOK_MODULE,
        "report-hook-status",
        # ECS takes the verdict as the function's answer: nothing to report.
        partial(report_hook_status, report=settings.deployment.engine == "codedeploy"),
        waivers=(LAMBDA_DEAD_LETTERS_HOOK, LAMBDA_ENVIRONMENT_PLAIN, HOOK_UNTRACED_UNSIGNED,
                 # Subnets from the ServiceSubnetIds list parameter are a Ref to the rule.
                 *((HOOK_IN_A_LISTED_VPC,) if settings.network.mode == "existing" else ())),
        role_waivers=(HOOK_NETWORK_INTERFACES,),
        Timeout=hooks.timeout_seconds,
        VpcConfig=awslambda.VPCConfig(SubnetIds=network.service_subnets,
                                      SecurityGroupIds=[GetAtt(hook_group, "GroupId")]),
        Environment=awslambda.Environment(Variables={
            "TEST_URL": Sub(f"{'https' if settings.listeners.https else 'http'}://"
                            f"${{{load_balancing.load_balancer.title}.DNSName}}:"
                            f"{test_port}"),
            "PATHS": ",".join(paths),
            "REQUESTS": str(hooks.requests),
            "SUCCESS_RATIO": str(hooks.success_ratio),
            "LATENCY_BUDGET_MS": str(hooks.latency_budget_ms),
        }),
    )
    events = [("AfterAllowTestTraffic", names.test_traffic_hook)]
    if hooks.before_allow_traffic:
        events.append(("BeforeAllowTraffic", names.test_traffic_hook))
    return Hooks(inline, tuple(events), tuple(ingress))
