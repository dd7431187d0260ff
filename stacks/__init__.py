"""Troposphere builders for blue/green deployment of an ECS Fargate service with CodeDeploy.

`stacks.template.build_template(settings)` is the composition root; each other module builds
one concern (network, load balancer, service, deployment) from settings and typed handles.
"""
