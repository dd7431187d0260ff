"""The ECS side: cluster, logs, image repository, task definition, roles and the service."""

from __future__ import annotations

import json
from dataclasses import dataclass

from troposphere import GetAtt, Ref, Template, ecr, ecs, iam, logs

from policies.arn import arn
from policies.task_execution import pull_image_and_write_logs
from policies.trust import ECS_TASKS, assumed_by

from .functions import log_group as make_log_group
from .ecs_engine import EcsEngine, advanced_configuration
from .hooks import Hooks
from .load_balancer import LoadBalancing
from .naming import BLUE, DeliveryNames, Names
from .network import Network
from .parameters import Parameters
from .security_groups import SecurityGroups
from .settings import Settings
from .waivers import IMAGE_USER, IMAGES_AWS_KEY, WRITABLE_ROOT, waive
from .tags import standard_tags


@dataclass(frozen=True)
class EcsService:
    cluster: ecs.Cluster
    service: ecs.Service
    task_definition: ecs.TaskDefinition
    repository: ecr.Repository | None  # None in a promotion: the delivery stack's
    log_group: logs.LogGroup
    execution_role: iam.Role
    task_role: iam.Role


def build_service(template: Template, settings: Settings, names: Names, network: Network,
                  security_groups: SecurityGroups, load_balancing: LoadBalancing,
                  params: Parameters, engine: EcsEngine | None = None,
                  hooks: Hooks | None = None,
                  delivery: DeliveryNames | None = None) -> EcsService:
    """With `engine` (deployment.engine "ecs") ECS deploys: the service names the stack's task
    definition, whose image is the Image parameter, so a stack update that changes it is the
    deployment, run by the engine's strategy and hooks.

    With `delivery` (an environment of a promotion) the images come from the delivery stack's
    repository, perhaps in another account, and the task's roles have fixed names, which the
    delivery stack writes into this environment's taskdef.json."""
    # The task definition and the service carry their tags in the template: a change to either
    # after creation is a new revision or an UpdateService (see stacks/tags.py).
    tags = standard_tags(settings)
    cluster = template.add_resource(ecs.Cluster(
        "Cluster",
        ClusterName=names.cluster,
        ClusterSettings=[ecs.ClusterSetting(Name="containerInsights", Value="enabled")],
    ))
    log_group = make_log_group(template, settings, "LogGroup", names.log_group)
    if delivery is None:
        repository = add_repository(template, settings, names.repository)
        repository_arn = GetAtt(repository, "Arn")
    else:
        repository = None
        repository_arn = arn("ecr", f"repository/{delivery.repository}",
                             account=delivery.account)
    role_names = ({"execution": {"RoleName": names.task_execution_role},
                   "task": {"RoleName": names.task_role}} if delivery else
                  {"execution": {}, "task": {}})
    execution_role = template.add_resource(iam.Role(
        "TaskExecutionRole",
        AssumeRolePolicyDocument=assumed_by(ECS_TASKS),
        Policies=[iam.Policy(
            PolicyName="pull-image-and-write-logs",
            PolicyDocument=pull_image_and_write_logs(repository_arn,
                                                     GetAtt(log_group, "Arn")))],
        **role_names["execution"],
    ))
    # The application's own AWS permissions go here; it starts with none.
    task_role = template.add_resource(iam.Role(
        "TaskRole",
        AssumeRolePolicyDocument=assumed_by(ECS_TASKS),
        **role_names["task"],
    ))
    task_definition = template.add_resource(waive(ecs.TaskDefinition(
        "TaskDefinition",
        Family=names.task_family,
        RequiresCompatibilities=["FARGATE"],
        NetworkMode="awsvpc",
        Cpu=str(settings.service.cpu),
        Memory=str(settings.service.memory),
        RuntimePlatform=ecs.RuntimePlatform(OperatingSystemFamily="LINUX",
                                            CpuArchitecture="X86_64"),
        ExecutionRoleArn=GetAtt(execution_role, "Arn"),
        TaskRoleArn=GetAtt(task_role, "Arn"),
        ContainerDefinitions=[container_definition(settings, names, Ref(params.image),
                                                   Ref(log_group))],
        **({"Volumes": [ecs.Volume(Name=SCRATCH_VOLUME)]}
           if settings.service.read_only_root_filesystem else {}),
        Tags=tags,
    ), *(() if settings.service.user else (IMAGE_USER,)),
        *(() if settings.service.read_only_root_filesystem else (WRITABLE_ROOT,))))
    service = template.add_resource(ecs.Service(
        "Service",
        ServiceName=names.service,
        Cluster=Ref(cluster),
        LaunchType="FARGATE",
        PlatformVersion="LATEST",
        SchedulingStrategy="REPLICA",
        **(_ecs_deploys(task_definition, engine) if engine else {
            "DeploymentController": ecs.DeploymentController(Type="CODE_DEPLOY"),
            # The family name, not Ref(TaskDefinition): a new revision from a stack update
            # then leaves this property unchanged. CodeDeploy owns the running revision, and
            # ECS refuses "Unable to update task definition on services with a CODE_DEPLOY
            # deployment controller" for any update that names one.
            "TaskDefinition": names.task_family}),
        # No DesiredCount: CloudFormation sends a DesiredCount it has on every update of the
        # service, resetting what auto scaling set (a busy service at 8 tasks drops back on a
        # tag change). Without it a new service starts with 1 task and updates leave the count
        # alone (CloudFormation's behaviour as quoted in aws-cdk#13130); the scalable target
        # raises it to scaling.min as soon as it is registered (stacks/scaling.py).
        HealthCheckGracePeriodSeconds=settings.service.health_check_grace_seconds,
        LoadBalancers=[ecs.LoadBalancer(
            ContainerName=names.container,
            ContainerPort=settings.service.container_port,
            TargetGroupArn=Ref(load_balancing.target_groups[BLUE]),
            **({"AdvancedConfiguration": advanced_configuration(load_balancing, engine)}
               if engine else {}),
        )],
        NetworkConfiguration=ecs.NetworkConfiguration(
            AwsvpcConfiguration=ecs.AwsvpcConfiguration(
                Subnets=network.service_subnets,
                SecurityGroups=[GetAtt(security_groups.service, "GroupId")],
                AssignPublicIp="ENABLED" if network.assign_public_ip else "DISABLED",
            )),
        EnableECSManagedTags=True,
        PropagateTags="SERVICE",
        # The family name (engine codedeploy) hides the task definition from CloudFormation's
        # dependency graph, and a service created before its target groups have listeners
        # fails ("target group ... does not have an associated load balancer"), so both are
        # explicit.
        # With engine ecs, creating the service is a first deployment that runs the hook: it
        # reaches the test listener only once the load balancer admits its NAT addresses.
        DependsOn=([] if engine else [task_definition.title])
        + [listener.title for listener in load_balancing.forwarding_listeners]
        + [rule.title for rule in (hooks.ingress if engine and hooks else ())],
        Tags=tags,
    ))
    return EcsService(cluster, service, task_definition, repository, log_group,
                      execution_role, task_role)


def add_repository(template: Template, settings: Settings, name: str,
                   **properties) -> ecr.Repository:
    """The image repository: the service's, or in a promotion the delivery stack's."""
    return template.add_resource(waive(ecr.Repository(
        "Repository",
        RepositoryName=name,
        # Immutable tags: a deployed tag always means the same image, so a rollback really
        # runs the previous image again.
        ImageTagMutability="IMMUTABLE",
        # EmptyOnDelete stays false: deleting the stack fails while images exist, rather than
        # destroying every release.
        ImageScanningConfiguration=ecr.ImageScanningConfiguration(ScanOnPush=True),
        LifecyclePolicy=ecr.LifecyclePolicy(
            LifecyclePolicyText=image_lifecycle_policy(settings.service.keep_images)),
        **properties,
    ), IMAGES_AWS_KEY))


def _ecs_deploys(task_definition: ecs.TaskDefinition, engine: EcsEngine) -> dict:
    return {"DeploymentController": ecs.DeploymentController(Type="ECS"),
            "DeploymentConfiguration": engine.configuration,
            "TaskDefinition": Ref(task_definition)}


def container_definition(settings: Settings, names: Names, image,
                         log_group_name) -> ecs.ContainerDefinition:
    """The one essential container; the delivery pipeline renders its task definition from
    this same definition with the built image instead of the bootstrap one."""
    return ecs.ContainerDefinition(
        Name=names.container,
        Image=image,
        Essential=True,
        # The task's memory as the container's hard limit: the one container may use all of
        # it, and the limit is explicit (Control Tower's ECS.PR.7).
        Memory=settings.service.memory,
        PortMappings=[ecs.PortMapping(ContainerPort=settings.service.container_port,
                                      Protocol="tcp")],
        **({"EntryPoint": list(settings.service.entry_point)}
           if settings.service.entry_point else {}),
        **({"User": settings.service.user} if settings.service.user else {}),
        # A read-only root with a writable /tmp on the task's ephemeral storage.
        **({"ReadonlyRootFilesystem": True,
            "MountPoints": [ecs.MountPoint(SourceVolume=SCRATCH_VOLUME, ContainerPath="/tmp")]}
           if settings.service.read_only_root_filesystem else {}),
        LogConfiguration=ecs.LogConfiguration(LogDriver="awslogs", Options={
            "awslogs-group": log_group_name,
            "awslogs-region": Ref("AWS::Region"),
            "awslogs-stream-prefix": names.container,
        }),
    )


SCRATCH_VOLUME = "tmp"


def image_lifecycle_policy(keep_images: int) -> str:
    """Expire untagged layers after a week and all but the newest `keep_images` images."""
    rules = [
        {"rulePriority": 1, "description": "Untagged images after 7 days",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                       "countUnit": "days", "countNumber": 7},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "description": f"Keep the newest {keep_images} images",
         "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                       "countNumber": keep_images},
         "action": {"type": "expire"}},
    ]
    return json.dumps({"rules": rules}, sort_keys=True, separators=(",", ":"))
