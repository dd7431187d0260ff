"""Where the load balancer and the tasks live: a created VPC, or an existing one.

The default creates a VPC so that a newcomer deploys into a fresh account with no network
parameters at all: two Availability Zones, public subnets for the load balancer and the NAT
gateways, private subnets for the tasks (no public IPs).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from troposphere import GetAtt, GetAZs, Ref, Select, Template, ec2

from policies.bucket import FLOW_LOGS_PREFIX

from .log_bucket import LogBucket, flow_logs
from .parameters import Parameters
from .settings import Settings
from .tags import name_tag

ZONES = (1, 2)


@dataclass(frozen=True)
class Network:
    vpc_id: Any
    load_balancer_subnets: Any
    service_subnets: Any
    assign_public_ip: bool
    # Public addresses the private subnets reach the internet from (created VPC only).
    nat_addresses: tuple = ()
    # The created VPC's default security group, which the stack empties; None for an existing
    # VPC, which is not ours to change.
    default_security_group: Any = None


def build_network(template: Template, settings: Settings, params: Parameters,
                  log_bucket: LogBucket | None) -> Network:
    if settings.network.mode == "existing":
        return _existing_network(template, settings, params)
    network = _created_network(template, settings)
    if flow_logs(settings):
        template.add_resource(ec2.FlowLog(
            "FlowLog",
            ResourceId=network.vpc_id,
            ResourceType="VPC",
            TrafficType="ALL",
            LogDestinationType="s3",
            LogDestination=log_bucket.under(f"{FLOW_LOGS_PREFIX}/"),
            # Delivery checks the bucket policy when the flow log is created.
            DependsOn=log_bucket.policy.title,
        ))
    return network


def _existing_network(template: Template, settings: Settings, params: Parameters) -> Network:
    # Catch subnets of another VPC at validation time, before anything is created.
    for name, subnets in (("LoadBalancerSubnetsInVpc", params.load_balancer_subnets),
                          ("ServiceSubnetsInVpc", params.service_subnets)):
        template.add_rule(name, {"Assertions": [{
            "Assert": {"Fn::EachMemberEquals": [
                {"Fn::ValueOfAll": ["AWS::EC2::Subnet::Id", "VpcId"]}, Ref(params.vpc_id)]},
            "AssertDescription": f"All {subnets.title} must belong to the VpcId VPC.",
        }]})
    return Network(vpc_id=Ref(params.vpc_id),
                   load_balancer_subnets=Ref(params.load_balancer_subnets),
                   service_subnets=Ref(params.service_subnets),
                   assign_public_ip=settings.network.assign_public_ip)


def subnet_cidrs(vpc_cidr: str) -> dict[str, tuple[str, ...]]:
    """Four equal subnets: public ones for zones 1 and 2, then private ones."""
    quarters = [str(net) for net in ipaddress.IPv4Network(vpc_cidr).subnets(prefixlen_diff=2)]
    return {"Public": tuple(quarters[:2]), "Private": tuple(quarters[2:])}


def _created_network(template: Template, settings: Settings) -> Network:
    vpc = template.add_resource(ec2.VPC(
        "Vpc", CidrBlock=settings.network.vpc_cidr, EnableDnsHostnames=True,
        EnableDnsSupport=True, Tags=name_tag(settings.resource_id)))
    gateway = template.add_resource(ec2.InternetGateway("InternetGateway"))
    attachment = template.add_resource(ec2.VPCGatewayAttachment(
        "InternetGatewayAttachment", VpcId=Ref(vpc), InternetGatewayId=Ref(gateway)))

    subnets: dict[str, list[ec2.Subnet]] = {"Public": [], "Private": []}
    for tier, cidrs in subnet_cidrs(settings.network.vpc_cidr).items():
        for zone, cidr in zip(ZONES, cidrs):
            subnets[tier].append(template.add_resource(ec2.Subnet(
                f"{tier}Subnet{zone}",
                VpcId=Ref(vpc),
                CidrBlock=cidr,
                AvailabilityZone=Select(zone - 1, GetAZs("")),
                # The load balancer gets its addresses itself; nothing else launches here.
                MapPublicIpOnLaunch=False,
                Tags=name_tag(f"{settings.resource_id}-{tier.lower()}-{zone}"),
            )))

    public_routes = template.add_resource(ec2.RouteTable(
        "PublicRouteTable", VpcId=Ref(vpc)))
    template.add_resource(ec2.Route(
        "PublicDefaultRoute", DependsOn=attachment.title, RouteTableId=Ref(public_routes),
        DestinationCidrBlock="0.0.0.0/0", GatewayId=Ref(gateway)))
    for zone, subnet in zip(ZONES, subnets["Public"]):
        template.add_resource(ec2.SubnetRouteTableAssociation(
            f"PublicSubnet{zone}RouteTableAssociation", SubnetId=Ref(subnet),
            RouteTableId=Ref(public_routes)))

    # Tasks in private subnets reach ECR, CloudWatch Logs and their own dependencies through
    # NAT. With one gateway both zones share it; with two each zone keeps its egress when the
    # other zone fails.
    private_routes, nat_addresses = {}, []
    for zone in ZONES[:settings.network.nat_gateways]:
        address = template.add_resource(ec2.EIP(
            f"NatAddress{zone}", DependsOn=attachment.title, Domain="vpc"))
        nat_addresses.append(address)
        gateway = template.add_resource(ec2.NatGateway(
            f"NatGateway{zone}", AllocationId=address.get_att("AllocationId"),
            SubnetId=Ref(subnets["Public"][zone - 1])))
        private_routes[zone] = template.add_resource(ec2.RouteTable(
            f"PrivateRouteTable{zone}", VpcId=Ref(vpc)))
        template.add_resource(ec2.Route(
            f"PrivateDefaultRoute{zone}", RouteTableId=Ref(private_routes[zone]),
            DestinationCidrBlock="0.0.0.0/0", NatGatewayId=Ref(gateway)))
    for zone, subnet in zip(ZONES, subnets["Private"]):
        routes = private_routes.get(zone, private_routes[ZONES[0]])
        template.add_resource(ec2.SubnetRouteTableAssociation(
            f"PrivateSubnet{zone}RouteTableAssociation", SubnetId=Ref(subnet),
            RouteTableId=Ref(routes)))

    return Network(vpc_id=Ref(vpc),
                   load_balancer_subnets=[Ref(s) for s in subnets["Public"]],
                   service_subnets=[Ref(s) for s in subnets["Private"]],
                   assign_public_ip=False,
                   nat_addresses=tuple(nat_addresses),
                   default_security_group=GetAtt(vpc, "DefaultSecurityGroup"))

