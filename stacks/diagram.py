"""`ecs-bluegreen diagram`: a picture of the system, drawn from the rendered template itself.

Nodes are the template's resources of the kinds a reader thinks in (load balancer, listeners
and rules, target groups, the service and its task definition, the deployment engine, alarms,
functions, the pipeline and its build, topic, roles); edges are the references between them
(a Ref or Fn::GetAtt, at any depth of a resource's properties), labelled with the property
that holds the reference: a listener's forward to a target group, the service's target groups
and rules, the pipeline's projects and deploy target, and which role each actor uses (and so
assumes). Nothing is drawn by hand, so the picture cannot drift from the template.

Written as Mermaid, which GitHub renders in a README without a build step, and whose text
reviews as a diff; and as Graphviz DOT (through the `graphviz` package), for `dot -Tsvg`. (An image from the `diagrams` package
or Graphviz would need the `dot` binary, a system package the Makefile cannot install
everywhere, and a rendered file committed beside the README.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The kinds drawn, with the short label of each.
SHOWN = {
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "Application Load Balancer",
    "AWS::ElasticLoadBalancingV2::Listener": "listener",
    "AWS::ElasticLoadBalancingV2::ListenerRule": "listener rule",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "target group",
    "AWS::ECS::Service": "ECS service",
    "AWS::ECS::TaskDefinition": "task definition",
    "AWS::CodeDeploy::Application": "CodeDeploy application",
    "AWS::CodeDeploy::DeploymentGroup": "CodeDeploy deployment group",
    "AWS::CloudWatch::Alarm": "alarm",
    "AWS::Lambda::Function": "Lambda function",
    "AWS::CodePipeline::Pipeline": "CodePipeline",
    "AWS::CodeBuild::Project": "CodeBuild project",
    "AWS::SNS::Topic": "SNS topic",
    "AWS::IAM::Role": "IAM role",
    "Custom::LiveRoutes": "live-route guard",
}


@dataclass(frozen=True)
class Graph:
    nodes: dict[str, str]  # logical id -> kind label
    edges: tuple[tuple[str, str, str], ...]  # (from, to, property)
    trusts: dict[str, tuple[str, ...]]  # role -> the service principals that may assume it


def _references(value: Any, path: str = "") -> list[tuple[str, str]]:
    """(referenced logical id, the name of the property that holds it) at any depth; in a
    Name/Value list (dimensions, environment variables), the list's name."""
    found = []
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return [(value["Ref"], path)]
        if set(value) == {"Fn::GetAtt"}:
            return [(value["Fn::GetAtt"][0], path)]
        if set(value) == {"Fn::Sub"}:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            names = {part.split("}", 1)[0].split(".", 1)[0] for part in text.split("${")[1:]}
            found += [(name, path) for name in sorted(names)]
            if not isinstance(value["Fn::Sub"], str):
                found += _references(value["Fn::Sub"][1], path)
            return found
        for key, item in value.items():
            found += _references(item, path if key.startswith("Fn::") or key == "Value"
                                 else key)
    elif isinstance(value, list):
        for item in value:
            found += _references(item, path)
    return found


def _assumers(statement: dict) -> list[str]:
    """Who a trust statement admits: service principals, or (a promotion's deploy roles) the
    roles its aws:PrincipalArn condition names, by name."""
    if "Service" in statement["Principal"]:
        return list(statement["Principal"]["Service"])
    roles = next(iter(statement["Condition"].values()))["aws:PrincipalArn"]
    return [(role["Fn::Sub"] if isinstance(role, dict) else role).split("role/")[-1]
            for role in roles]


def graph(template: dict) -> Graph:
    resources = template["Resources"]
    nodes = {name: SHOWN[r["Type"]] for name, r in resources.items() if r["Type"] in SHOWN}
    edges = set()
    families = {r["Properties"]["Family"]: name for name, r in resources.items()
                if r["Type"] == "AWS::ECS::TaskDefinition"}
    for name, kind in nodes.items():
        if kind == "IAM role":  # what a role's policies name is permission, not structure
            continue
        properties = resources[name].get("Properties", {})
        for target, prop in _references(properties):
            if target in nodes and target != name:
                edges.add((name, target, prop))
        # The CodeDeploy engine's service names its task definition by family (a string).
        family = properties.get("TaskDefinition")
        if isinstance(family, str) and family in families:
            edges.add((name, families[family], "TaskDefinition (family)"))
    trusts = {name: tuple(principal
                          for statement in resources[name]["Properties"][
                              "AssumeRolePolicyDocument"]["Statement"]
                          for principal in _assumers(statement))
              for name, kind in nodes.items() if kind == "IAM role"}
    return Graph(nodes, tuple(sorted(edges)), trusts)


def mermaid(g: Graph) -> str:
    lines = ["flowchart LR"]
    for name, kind in g.nodes.items():
        extra = ("<br/>assumed by " + ", ".join(p.split(".")[0] for p in g.trusts[name])
                 if name in g.trusts else "")
        lines.append(f'  {name}["{name}<br/><i>{kind}</i>{extra}"]')
    for source, target, prop in g.edges:
        lines.append(f'  {source} -->|"{prop}"| {target}')
    return "\n".join(lines) + "\n"


def dot(g: Graph) -> str:
    """Graphviz DOT through the `graphviz` package, which quotes and escapes for us (it only
    writes the source: `dot -Tsvg diagram.dot` renders it where Graphviz is installed)."""
    import graphviz
    graph_ = graphviz.Digraph("system", graph_attr={"rankdir": "LR"},
                              node_attr={"shape": "box", "fontname": "Helvetica"})
    for name, kind in g.nodes.items():
        # DOT's own line break, \n, inside a label
        extra = (r"\nassumed by " + ", ".join(p.split(".")[0] for p in g.trusts[name])
                 if name in g.trusts else "")
        graph_.node(name, label=name + r"\n(" + kind + ")" + extra)
    for source, target, prop in g.edges:
        graph_.edge(source, target, label=prop)
    return graph_.source


def render_diagram_files(settings) -> dict[str, str]:
    from .template import build_stack
    if settings.promotion is not None:
        from .promotion import build_promotion, diagram_files
        return diagram_files(build_promotion(settings))
    g = graph(build_stack(settings).document())
    return {"diagram.mmd": mermaid(g), "diagram.dot": dot(g)}
