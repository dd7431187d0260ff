"""The Application Load Balancer, the blue and green target groups, and the listeners.

Production forwards to blue and test forwards to green when the stack is created; after that
the deployment engine owns both routes and swaps them on every deployment, and the live-route
guard (stacks/live_routes.py) keeps stack updates from swapping them back: it gives the routes
their weights. A route is the listener's default action (CodeDeploy rewrites listeners) or,
with deployment.engine "ecs", a listener rule that matches every request (ECS rewrites rules
and needs one naming both groups; the listener itself then answers only what no rule matches).
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import Ref, Template, wafv2
from troposphere import elasticloadbalancingv2 as elb

from policies.bucket import LOAD_BALANCER_PREFIX

from .live_routes import Guard, guard_listeners
from .log_bucket import LogBucket
from .naming import COLOURS, Names
from .network import Network
from .parameters import Parameters
from .settings import Settings
from .waivers import (CERTIFICATE_PARAMETER, HTTP_ONLY_PRODUCTION, HTTP_ONLY_TEST,
                      NO_DELETION_PROTECTION, NO_HTTPS_TO_REDIRECT_TO, NO_WEB_ACL,
                      PLAIN_HTTP_BEHIND_THE_LOAD_BALANCER, PUBLIC_LOAD_BALANCER, YOUR_WEB_ACL,
                      waive)

HTTP, HTTPS = 80, 443
# Engine ecs: each route is its listener's rule of this priority, matching every request
# (the guard finds it by it: stacks/lambdas/guard_ecs.py ROUTE_RULE).
ROUTE_RULE_PRIORITY = 1


@dataclass(frozen=True)
class LoadBalancing:
    load_balancer: elb.LoadBalancer
    target_groups: dict[str, elb.TargetGroup]
    production_listener: elb.Listener
    test_listener: elb.Listener
    guard: Guard
    # engine ecs: the listener rule of each route ("Production", "Test")
    rules: dict[str, elb.ListenerRule] | None = None

    @property
    def forwarding_listeners(self) -> tuple[elb.Listener, elb.Listener]:
        return (self.production_listener, self.test_listener)


def production_ports(settings: Settings) -> tuple[int, ...]:
    """Ports open to the world: 80 and 443 with HTTPS (80 only redirects), else 80."""
    return (HTTP, HTTPS) if settings.listeners.https else (HTTP,)


def build_load_balancing(template: Template, settings: Settings, names: Names,
                         network: Network, security_group, params: Parameters,
                         log_bucket: LogBucket | None) -> LoadBalancing:
    lb_settings = settings.load_balancer
    attributes = {
        # Requests with malformed headers are dropped instead of passed to the tasks.
        "routing.http.drop_invalid_header_fields.enabled": "true",
        **({"deletion_protection.enabled": "true"} if lb_settings.deletion_protection else {}),
    }
    if lb_settings.access_logs:
        attributes.update({"access_logs.s3.enabled": "true",
                           "access_logs.s3.bucket": Ref(log_bucket.bucket),
                           "access_logs.s3.prefix": LOAD_BALANCER_PREFIX})
    load_balancer = template.add_resource(waive(elb.LoadBalancer(
        "LoadBalancer",
        Name=names.load_balancer,
        Type="application",
        Scheme="internet-facing",
        Subnets=network.load_balancer_subnets,
        SecurityGroups=[Ref(security_group)],
        LoadBalancerAttributes=[elb.LoadBalancerAttributes(Key=key, Value=value)
                                for key, value in attributes.items()],
        # Elastic Load Balancing writes a test object when access logs are turned on and fails
        # the change if the bucket policy does not allow it yet.
        **({"DependsOn": log_bucket.policy.title} if lb_settings.access_logs else {}),
    ), PUBLIC_LOAD_BALANCER,
        *(() if lb_settings.deletion_protection else (NO_DELETION_PROTECTION,)),
        *((YOUR_WEB_ACL,) if lb_settings.web_acl else (NO_WEB_ACL,)),
        *(() if settings.listeners.https else (NO_HTTPS_TO_REDIRECT_TO,))))
    if lb_settings.web_acl:
        template.add_resource(wafv2.WebACLAssociation(
            "WebAclAssociation", ResourceArn=Ref(load_balancer),
            WebACLArn=Ref(params.web_acl_arn)))
    target_groups = {colour: template.add_resource(_target_group(settings, names, network,
                                                                 colour))
                     for colour in COLOURS}
    https = settings.listeners.https
    # With a certificate both listeners serve TLS with it: test traffic is no less private.
    tls = ({"Certificates": [elb.Certificate(CertificateArn=Ref(params.certificate_arn))],
            "SslPolicy": settings.listeners.ssl_policy} if https else {})
    production = elb.Listener(
        "ProductionListener",
        LoadBalancerArn=Ref(load_balancer),
        Port=HTTPS if https else HTTP,
        Protocol="HTTPS" if https else "HTTP",
        **tls,
    )
    waive(production, CERTIFICATE_PARAMETER if https else HTTP_ONLY_PRODUCTION)
    test = elb.Listener(
        "TestListener",
        LoadBalancerArn=Ref(load_balancer),
        Port=settings.listeners.test_port,
        Protocol="HTTPS" if https else "HTTP",
        **tls,
    )
    waive(test, CERTIFICATE_PARAMETER if https else HTTP_ONLY_TEST)
    listeners = {"Production": production, "Test": test}
    rules = None
    if settings.deployment.engine == "ecs":
        for listener in listeners.values():
            # Only what no rule matches; the rule below matches every request.
            listener.DefaultActions = [elb.Action(
                Type="fixed-response", FixedResponseConfig=elb.FixedResponseConfig(
                    StatusCode="404", ContentType="text/plain"))]
        rules = {route: elb.ListenerRule(
            f"{route}ListenerRule", ListenerArn=Ref(listener), Priority=ROUTE_RULE_PRIORITY,
            Conditions=[elb.Condition(Field="path-pattern", PathPatternConfig=elb.PathPatternConfig(
                Values=["/*"]))])
            for route, listener in listeners.items()}
    # The guard gives each route its weighted forward, from the live routes.
    guard = guard_listeners(template, settings, names, target_groups, listeners,
                            network.default_security_group, rules)
    for listener in (production, test):
        if rules is not None:
            # After the guard, which refuses a change of engine before a listener's default
            # action stops forwarding (stacks/lambdas/guard_ecs.py).
            listener.DependsOn = guard.resource.title
        template.add_resource(listener)
    for rule in (rules or {}).values():
        template.add_resource(rule)
    if https:
        template.add_resource(elb.Listener(
            "HttpRedirectListener",
            LoadBalancerArn=Ref(load_balancer),
            Port=HTTP,
            Protocol="HTTP",
            DefaultActions=[elb.Action(Type="redirect", RedirectConfig=elb.RedirectConfig(
                Protocol="HTTPS", Port=str(HTTPS), StatusCode="HTTP_301"))],
            # After the guard: when listeners.https changes on a live stack, the guard's
            # refusal comes first, before this listener collides on port 80.
            DependsOn=guard.resource.title,
        ))
    return LoadBalancing(load_balancer, target_groups, production, test, guard, rules)


def _target_group(settings: Settings, names: Names, network: Network,
                  colour: str) -> elb.TargetGroup:
    """Blue and green are identical but for their name."""
    hc = settings.health_check
    return waive(elb.TargetGroup(
        f"TargetGroup{colour.capitalize()}",
        Name=names.target_group(colour),
        TargetType="ip",  # Fargate tasks register by their awsvpc address.
        Port=settings.service.container_port,
        Protocol="HTTP",
        ProtocolVersion="HTTP1",
        VpcId=network.vpc_id,
        HealthCheckEnabled=True,
        HealthCheckPath=settings.service.health_check_path,
        HealthCheckIntervalSeconds=hc.interval_seconds,
        HealthCheckTimeoutSeconds=hc.timeout_seconds,
        HealthyThresholdCount=hc.healthy_threshold,
        UnhealthyThresholdCount=hc.unhealthy_threshold,
        Matcher=elb.Matcher(HttpCode=hc.success_codes),
        TargetGroupAttributes=[elb.TargetGroupAttribute(
            Key="deregistration_delay.timeout_seconds",
            Value=str(hc.deregistration_delay_seconds))],
    ), PLAIN_HTTP_BEHIND_THE_LOAD_BALANCER)
