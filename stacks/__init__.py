"""Troposphere builders for blue/green deployment of an ECS Fargate service with CodeDeploy.

`stacks.template.build_stack(settings)` is the composition root; each other module builds
one concern (network, load balancer, service, deployment, pipeline, ...) from settings and typed
handles; `stacks.terraform` renders the same system for Terraform.
"""
