"""A fixed, made-up deployment of a rendered template: one account, one region, physical names.

The permission proof evaluates the template's policies as AWS would see them after deployment,
so every Ref, Fn::GetAtt and Fn::Sub is resolved here to a concrete value. The account id is
AWS's documentation example; nothing here names a real resource.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from stacks.intrinsics import Resolver, Unresolvable

PARTITION, REGION, ACCOUNT = "aws", "eu-west-1", "111122223333"

# Example values of the stack parameters that policies refer to ({account}: the stack's).
EXAMPLE_PARAMETERS = {
    "ConnectionArn": f"arn:{PARTITION}:codeconnections:{REGION}:{{account}}:connection/"
                     "0123abcd-0123-4567-89ab-0123456789ab",
    "RepositoryId": "example/webapp",
    "RepositoryName": "webapp",
    "SourceBucket": "example-webapp-source",
    "SourceObjectKey": "releases/webapp.zip",
}

# The property that holds a resource's fixed physical name, by type.
NAME_PROPERTIES = {
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::CodeBuild::Project": "Name",
    "AWS::CodePipeline::Pipeline": "Name",
    "AWS::CodeDeploy::Application": "ApplicationName",
    "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
    "AWS::CodeDeploy::DeploymentConfig": "DeploymentConfigName",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::ECS::Service": "ServiceName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "Name",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "Name",
    "AWS::S3::Bucket": "BucketName",
    "AWS::IAM::Role": "RoleName",
}

# Fn::GetAtt Arn of each resource type, from its physical name.
ARN_FORMATS = {
    "AWS::IAM::Role": "arn:{p}:iam::{a}:role/{name}",
    "AWS::ECR::Repository": "arn:{p}:ecr:{r}:{a}:repository/{name}",
    "AWS::Logs::LogGroup": "arn:{p}:logs:{r}:{a}:log-group:{name}:*",
    "AWS::S3::Bucket": "arn:{p}:s3:::{name}",
    "AWS::KMS::Key": "arn:{p}:kms:{r}:{a}:key/{name}",
    "AWS::CodeBuild::Project": "arn:{p}:codebuild:{r}:{a}:project/{name}",
    "AWS::Lambda::Function": "arn:{p}:lambda:{r}:{a}:function:{name}",
    "AWS::SNS::Topic": "arn:{p}:sns:{r}:{a}:{name}",
}
# Types whose Ref is their ARN rather than their name.
REF_IS_ARN = {"AWS::SNS::Topic", "AWS::ElasticLoadBalancingV2::LoadBalancer",
              "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ElasticLoadBalancingV2::Listener",
              "AWS::ElasticLoadBalancingV2::ListenerRule"}


def example_id(logical_id: str) -> str:
    """The 16 hexadecimal digits Elastic Load Balancing puts in an ARN, made up per resource."""
    return hashlib.sha256(logical_id.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class World(Resolver):
    template: dict
    stack: str = "stack"
    parameters: dict[str, str] = field(default_factory=lambda: dict(EXAMPLE_PARAMETERS))
    # The account the stack is deployed in (a promotion's stacks are in several).
    account: str = ACCOUNT

    @property
    def stack_id(self) -> str:
        return (f"arn:{PARTITION}:cloudformation:{REGION}:{self.account}:stack/{self.stack}/"
                "0123abcd-0123-4567-89ab-0123456789ab")

    def physical_name(self, logical_id: str) -> str:
        resource = self.template["Resources"][logical_id]
        prop = NAME_PROPERTIES.get(resource["Type"])
        if prop and prop in resource.get("Properties", {}):
            return self.resolve(resource["Properties"][prop])
        # CloudFormation's generated names: stack name, logical id, a random suffix.
        return f"{self.stack}-{logical_id}-EXAMPLE"[:63].lower() \
            if resource["Type"] == "AWS::S3::Bucket" else f"{self.stack}-{logical_id}-EXAMPLE"

    def ref(self, name: str) -> str:
        pseudo = {"AWS::Partition": PARTITION, "AWS::Region": REGION, "AWS::AccountId": self.account,
                  "AWS::StackName": self.stack, "AWS::StackId": self.stack_id,
                  "AWS::URLSuffix": "amazonaws.com"}
        if name in pseudo:
            return pseudo[name]
        if name in self.template.get("Parameters", {}):
            parameter = self.template["Parameters"][name]
            return self.parameters.get(name, parameter.get("Default", f"example-{name}")) \
                .replace("{account}", self.account)
        if self.template["Resources"][name]["Type"] in REF_IS_ARN:
            return self.get_att(name, "Arn")
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource_type = self.template["Resources"][logical_id]["Type"]
        name = self.physical_name(logical_id)
        if attribute == "Arn" and resource_type.startswith("AWS::ElasticLoadBalancingV2::"):
            return self._load_balancing_arn(logical_id)
        if attribute == "Arn" and resource_type in ARN_FORMATS:
            return ARN_FORMATS[resource_type].format(p=PARTITION, r=REGION, a=self.account,
                                                     name=name)
        if attribute == "RepositoryUri":
            return f"{self.account}.dkr.ecr.{REGION}.amazonaws.com/{name}"
        if attribute in ("Name", "TargetGroupName"):
            return name
        if attribute == "DefaultSecurityGroup":
            return "sg-0123456789abcdef0"
        raise Unresolvable(f"no example value for {logical_id}.{attribute}")

    def _load_balancing_arn(self, logical_id: str) -> str:
        """As Elastic Load Balancing forms them: a listener's ARN extends its load balancer's,
        a rule's its listener's."""
        resource = self.template["Resources"][logical_id]
        kind, properties = resource["Type"].rsplit("::", 1)[1], resource["Properties"]
        prefix = f"arn:{PARTITION}:elasticloadbalancing:{REGION}:{self.account}:"
        if kind == "TargetGroup":
            return f"{prefix}targetgroup/{self.physical_name(logical_id)}/{example_id(logical_id)}"
        if kind == "LoadBalancer":
            return f"{prefix}loadbalancer/app/{self.physical_name(logical_id)}/" \
                   f"{example_id(logical_id)}"
        parent = self.resolve(properties["LoadBalancerArn" if kind == "Listener"
                                          else "ListenerArn"])
        child = parent.replace(":loadbalancer/", ":listener/", 1) if kind == "Listener" \
            else parent.replace(":listener/", ":listener-rule/", 1)
        return f"{child}/{example_id(logical_id)}"


def role_documents(world: World, logical_id: str,
                   managed: dict[str, dict]) -> list[dict]:
    """The resolved policy documents of one role: inline ones, then managed ones."""
    properties = world.template["Resources"][logical_id]["Properties"]
    documents = [world.resolve(p["PolicyDocument"]) for p in properties.get("Policies", [])]
    for policy_arn in world.resolve(properties.get("ManagedPolicyArns", [])):
        documents.append(managed[policy_arn.split(":policy", 1)[1]])
    return documents
