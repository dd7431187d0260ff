"""Deploy-time inputs: values that differ per account or environment.

Build-time choices (ports, strategy, which resources exist) come from settings; what differs
between accounts (certificate, VPC, subnets) or is chosen at deploy time is a CloudFormation
Parameter with an AWS-specific type or a pattern, so bad values fail validation before any
resource is created.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import Parameter, Template

from .settings import Settings

# Any container image reference: registry/path[:tag][@digest], lowercase path as Docker requires.
IMAGE_PATTERN = (r"^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*"
                 r"(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
                 r"(@sha256:[a-f0-9]{64})?$")

# The stack's first deployment runs this image so that the service starts with healthy tasks.
# It answers 200 on "/" at port 80: the defaults of container_port and health_check_path.
DEFAULT_BOOTSTRAP_IMAGE = "public.ecr.aws/docker/library/nginx:stable-alpine"


# With deployment.engine "ecs" the service's image is the stack parameter IMAGE_PARAMETER: the
# pipeline's release sets it (a stack update is the deployment), and every other stack update
# keeps it. It has no default, so an update can never fall back to one: `aws cloudformation
# deploy` sends UsePreviousValue for a parameter it is not given (aws-cli's deploy.py,
# merge_parameters), and update-stack without it fails instead of deploying an older image.
IMAGE_PARAMETER = "Image"


@dataclass(frozen=True)
class Parameters:
    image: Parameter  # the container's image: BootstrapImage, or Image with engine ecs
    certificate_arn: Parameter | None
    vpc_id: Parameter | None
    load_balancer_subnets: Parameter | None
    service_subnets: Parameter | None
    # Where the pipeline's source comes from, by pipeline.source: logical name -> parameter.
    source: dict[str, Parameter]
    web_acl_arn: Parameter | None = None


def _source_parameters(settings: Settings) -> list[Parameter]:
    branch = Parameter(
        "BranchName", Type="String", Default=settings.pipeline.branch, MinLength=1,
        MaxLength=255, AllowedPattern=r"^[A-Za-z0-9._/-]+$",
        ConstraintDescription="must be a branch name such as main or release/1.x",
        Description="Branch whose pushes are built and deployed.")
    if settings.pipeline.source == "connection":
        return [
            Parameter(
                "ConnectionArn", Type="String", MinLength=1, MaxLength=256,
                AllowedPattern=(r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):"
                                r"[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]{36}$"),
                ConstraintDescription="must be the ARN of a CodeConnections connection",
                Description="An AVAILABLE connection (GitHub, GitLab, Bitbucket) in this "
                            "account and region."),
            Parameter(
                "RepositoryId", Type="String", MinLength=3, MaxLength=256,
                AllowedPattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$",
                ConstraintDescription="must be owner/name (GitLab: group/subgroup/name)",
                Description="The application repository, as owner/name."),
            branch,
        ]
    if settings.pipeline.source == "codecommit":
        return [
            Parameter(
                "RepositoryName", Type="String", MinLength=1, MaxLength=100,
                AllowedPattern=r"^[A-Za-z0-9_.-]+$",
                ConstraintDescription="must be a CodeCommit repository name",
                Description="The CodeCommit repository of the application."),
            branch,
        ]
    return [
        Parameter(
            "SourceBucket", Type="String", MinLength=3, MaxLength=63,
            AllowedPattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            ConstraintDescription="must be an S3 bucket name",
            Description="Versioned bucket, with EventBridge notifications on, that receives "
                        "the application as a zip."),
        Parameter(
            "SourceObjectKey", Type="String", MinLength=1, MaxLength=1024,
            AllowedPattern=r"^[A-Za-z0-9!_.*'()/-]+$",
            ConstraintDescription="must be an S3 object key such as releases/app.zip",
            Description="Key of the zip; each new version starts the pipeline."),
    ]


def add_source_parameters(template: Template, settings: Settings) -> dict[str, Parameter]:
    """Where the pipeline's source comes from: logical name -> parameter."""
    return {p.title: template.add_parameter(p) for p in _source_parameters(settings)}


def _image(template: Template, title: str, description: str, **default) -> Parameter:
    return template.add_parameter(Parameter(
        title,
        Type="String",
        MinLength=1,
        MaxLength=255,
        AllowedPattern=IMAGE_PATTERN,
        ConstraintDescription="must be an image such as registry/repository:tag",
        # The README says what it must answer; the text here is kept short for the
        # template's size.
        Description=description,
        **default,
    ))


def add_parameters(template: Template, settings: Settings, pipeline: bool = True) -> Parameters:
    """`pipeline` false: the stack has no pipeline (an environment of a promotion), so no
    source parameters."""
    if settings.deployment.engine == "ecs":
        image = _image(template, IMAGE_PARAMETER,
                       "Image the service runs; at creation one that passes the health "
                       "check, then set by the pipeline: omit on updates.")
    else:
        image = _image(template, "BootstrapImage",
                       "Image run until the first deployment; it must pass the health check.",
                       Default=DEFAULT_BOOTSTRAP_IMAGE)
    certificate_arn = None
    if settings.listeners.https:
        certificate_arn = template.add_parameter(Parameter(
            "CertificateArn",
            Type="String",
            MinLength=1,
            MaxLength=2048,
            # Any partition (aws, aws-cn, aws-us-gov): the region's ACM certificate.
            AllowedPattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$",
            ConstraintDescription="must be the ARN of an ACM certificate in this region",
            Description="ACM certificate of the HTTPS production listener.",
        ))
    vpc_id = load_balancer_subnets = service_subnets = None
    if settings.network.mode == "existing":
        vpc_id = template.add_parameter(Parameter(
            "VpcId", Type="AWS::EC2::VPC::Id",
            Description="VPC of the load balancer and the tasks."))
        load_balancer_subnets = template.add_parameter(Parameter(
            "LoadBalancerSubnetIds", Type="List<AWS::EC2::Subnet::Id>",
            Description="Public subnets of the internet-facing load balancer, in at least two "
                        "Availability Zones."))
        service_subnets = template.add_parameter(Parameter(
            "ServiceSubnetIds", Type="List<AWS::EC2::Subnet::Id>",
            Description="Subnets of the tasks: private subnets with a NAT route, or public "
                        "subnets with network.assign_public_ip = true."))
    source = add_source_parameters(template, settings) if pipeline else {}
    web_acl_arn = None
    if settings.load_balancer.web_acl:
        web_acl_arn = template.add_parameter(Parameter(
            "WebAclArn",
            Type="String",
            MaxLength=2048,
            # A regional web ACL: CloudFront's (global) ones cannot protect a load balancer.
            AllowedPattern=(r"^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/"
                            r"[A-Za-z0-9_-]{1,128}/[0-9a-f-]{36}$"),
            Description="WAF web ACL of the load balancer."))
    return Parameters(image, certificate_arn, vpc_id,
                      load_balancer_subnets, service_subnets, source, web_acl_arn)
