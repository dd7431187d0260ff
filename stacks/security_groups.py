"""Who may talk to whom: the internet to the load balancer, the load balancer to the tasks.

The reference opened every port of the load balancer and the container port of the tasks to
the world; here the load balancer admits only its listener ports (the test port only from
listeners.test_cidrs) and talks only to the tasks, and the tasks admit only the load balancer.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import GetAtt, Template, ec2

from .load_balancer import production_ports
from .naming import Names
from .network import Network
from .settings import Settings
from .waivers import FROM_LOAD_BALANCER_ONLY, PUBLIC_HTTP, PUBLIC_HTTPS, waive


@dataclass(frozen=True)
class SecurityGroups:
    load_balancer: ec2.SecurityGroup
    service: ec2.SecurityGroup


def build_security_groups(template: Template, settings: Settings, names: Names,
                          network: Network) -> SecurityGroups:
    port = settings.service.container_port
    ingress = [
        ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=p, ToPort=p, CidrIp="0.0.0.0/0",
                              Description="Production")
        for p in production_ports(settings)
    ] + [
        ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=settings.listeners.test_port,
                              ToPort=settings.listeners.test_port, CidrIp=cidr,
                              Description="Testers")
        for cidr in settings.listeners.test_cidrs
    ]
    service = template.add_resource(ec2.SecurityGroup(
        "ServiceSecurityGroup",
        GroupName=names.service_security_group,
        GroupDescription=f"Tasks of {settings.resource_id}",
        VpcId=network.vpc_id,
        # Written out rather than left to CloudFormation's default, so that a reader (and
        # cfripper) sees it is meant. "https": images, logs and AWS APIs are all on 443, and
        # security groups never filter DNS to the VPC's resolver ("Security groups do not
        # filter traffic to ... Amazon DNS", VPC user guide, security group basics).
        SecurityGroupEgress=[
            ec2.SecurityGroupRule(IpProtocol="-1", CidrIp="0.0.0.0/0", Description="All")
            if settings.network.task_egress == "all" else
            ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=443, ToPort=443,
                                  CidrIp="0.0.0.0/0", Description="HTTPS")],
    ))
    load_balancer = template.add_resource(waive(ec2.SecurityGroup(
        "LoadBalancerSecurityGroup",
        GroupName=names.load_balancer_security_group,
        GroupDescription=f"Load balancer of {settings.resource_id}",
        VpcId=network.vpc_id,
        SecurityGroupIngress=ingress,
        # Naming an egress rule removes the default allow-all one: the load balancer only
        # talks to the tasks, for requests and health checks.
        SecurityGroupEgress=[ec2.SecurityGroupRule(
            IpProtocol="tcp", FromPort=port, ToPort=port,
            DestinationSecurityGroupId=GetAtt(service, "GroupId"),
            Description="To the tasks")],
    ), PUBLIC_HTTPS if settings.listeners.https else PUBLIC_HTTP))
    # A separate resource: inline on the task group it would make the two groups refer to
    # each other, a cycle.
    template.add_resource(waive(ec2.SecurityGroupIngress(
        "ServiceIngressFromLoadBalancer",
        GroupId=GetAtt(service, "GroupId"), IpProtocol="tcp", FromPort=port, ToPort=port,
        SourceSecurityGroupId=GetAtt(load_balancer, "GroupId"),
        Description="From the load balancer"), FROM_LOAD_BALANCER_ONLY))
    return SecurityGroups(load_balancer=load_balancer, service=service)
