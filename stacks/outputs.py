"""Stack outputs: where to reach the service and the names the delivery pipeline needs."""

from __future__ import annotations

from troposphere import GetAtt, Output, Ref, Sub, Template

from .deployment import Deployment
from .load_balancer import LoadBalancing
from .naming import COLOURS
from .pipeline import Pipeline
from .service import EcsService
from .settings import Settings


def build_outputs(template: Template, settings: Settings, load_balancing: LoadBalancing,
                  ecs_service: EcsService, deployment: Deployment | None,
                  pipeline: Pipeline | None) -> None:
    lb = load_balancing.load_balancer.title
    dns = GetAtt(lb, "DNSName")
    scheme = "https" if settings.listeners.https else "http"
    outputs = [
        ("ProductionUrl", Sub(f"{scheme}://${{{lb}.DNSName}}/"),
         "Production URL"),
        ("TestUrl", Sub(f"{scheme}://${{{lb}.DNSName}}:{settings.listeners.test_port}/"),
         "Test listener: new tasks during a deployment"),
        ("LoadBalancerDnsName", dns, "Load balancer DNS name"),
        ("ClusterName", Ref(ecs_service.cluster), "ECS cluster"),
        ("ServiceName", GetAtt(ecs_service.service, "Name"), "ECS service"),
        ("TaskFamily", ecs_service.task_definition.Family, "Task definition family"),
    ]
    if ecs_service.repository is not None:
        outputs.append(("RepositoryUri", GetAtt(ecs_service.repository, "RepositoryUri"),
                        "Image repository"))
    if deployment is not None:
        outputs += [
            ("CodeDeployApplication", Ref(deployment.application), "CodeDeploy application"),
            ("DeploymentGroup", Ref(deployment.deployment_group),
             "CodeDeploy deployment group"),
        ]
    outputs += [
        (f"{colour.capitalize()}TargetGroupName",
         GetAtt(load_balancing.target_groups[colour], "TargetGroupName"),
         f"{colour.capitalize()} target group")
        for colour in COLOURS
    ]
    if pipeline is not None:
        outputs += pipeline_outputs(pipeline)
    for name, value, description in outputs:
        template.add_output(Output(name, Value=value, Description=description))


def pipeline_outputs(pipeline: Pipeline) -> list[tuple]:
    return [
        ("PipelineName", Ref(pipeline.pipeline), "Delivery pipeline"),
        ("PipelineConsoleUrl",
         Sub(f"https://${{AWS::Region}}.console.aws.amazon.com/codesuite/codepipeline/pipelines/"
             f"${{{pipeline.pipeline.title}}}/view?region=${{AWS::Region}}"),
         "Pipeline in the console"),
        ("ArtifactBucketName", Ref(pipeline.artifact_bucket), "Pipeline artifact bucket"),
    ]
