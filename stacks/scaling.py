"""Target-tracking auto scaling on average CPU and memory, as in the reference design."""

from __future__ import annotations

from troposphere import GetAtt, Join, Ref, Template
from troposphere import applicationautoscaling as aas

from .service import EcsService
from .settings import Settings

# (logical id, policy name suffix, predefined metric, settings attribute of the target)
METRICS = (
    ("CpuScalingPolicy", "cpu", "ECSServiceAverageCPUUtilization", "cpu_target"),
    ("MemoryScalingPolicy", "memory", "ECSServiceAverageMemoryUtilization", "memory_target"),
)


def build_scaling(template: Template, settings: Settings, ecs_service: EcsService) -> None:
    scaling = settings.scaling
    target = template.add_resource(aas.ScalableTarget(
        "ScalableTarget",
        ServiceNamespace="ecs",
        ScalableDimension="ecs:service:DesiredCount",
        # service/<cluster>/<service>: built from both names, not the service name twice.
        ResourceId=Join("/", ["service", Ref(ecs_service.cluster),
                              GetAtt(ecs_service.service, "Name")]),
        # Registering the target moves the service's count into [min, max]: this is how the
        # service reaches scaling.min tasks after it starts with one.
        # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html
        MinCapacity=scaling.min,
        MaxCapacity=scaling.max,
        # No RoleARN: Application Auto Scaling uses its service-linked role for ECS.
    ))
    for logical_id, suffix, metric, target_attribute in METRICS:
        template.add_resource(aas.ScalingPolicy(
            logical_id,
            PolicyName=f"{settings.resource_id}-{suffix}",
            PolicyType="TargetTrackingScaling",
            ScalingTargetId=Ref(target),
            TargetTrackingScalingPolicyConfiguration=aas.TargetTrackingScalingPolicyConfiguration(
                PredefinedMetricSpecification=aas.PredefinedMetricSpecification(
                    PredefinedMetricType=metric),
                TargetValue=float(getattr(scaling, target_attribute)),
                ScaleInCooldown=scaling.scale_in_cooldown_seconds,
                ScaleOutCooldown=scaling.scale_out_cooldown_seconds,
            ),
        ))
