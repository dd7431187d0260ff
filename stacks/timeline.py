"""`ecs-bluegreen plan`: the modelled timeline of one deployment with these settings.

A model, not a measurement: each phase takes the longest the settings allow (the hook its
whole Lambda timeout, the approval its whole window), except the start of the new tasks, which
counts only the load balancer's health checks (pulling and starting the image is the
application's and is not modelled). The same numbers feed the README's timeline table
(tests/generated.py), so the table is never typed by hand.

What each phase means, from AWS's documentation:
- a newly registered target must pass one health check to be healthy (Elastic Load
  Balancing's target group health checks; `healthy_threshold` counts for a target that was
  unhealthy), so it waits at most one `interval_seconds`; ECS ignores failing checks for
  `health_check_grace_seconds` after a task starts;
- CodeDeploy shifts a linear deployment in equal steps, the first at once and one every
  interval; a canary's rest after one interval. ECS's linear engine bakes after each step but
  the last (its own formula: 100/StepPercent - 1 steps when it divides evenly, else
  floor(100/StepPercent)), a canary once;
- an alarm fires after `evaluation_periods` breaching periods of `period_seconds`;
- the old tasks stay `termination_wait_minutes` (ECS: BakeTimeInMinutes), then drain for the
  target group's deregistration delay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .settings import Settings


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: int
    note: str


@dataclass(frozen=True)
class Timeline:
    phases: tuple[Phase, ...]
    to_full_traffic: int  # seconds from the start until production is all on the new tasks
    until_old_tasks_gone: int
    alarm_detection: int  # seconds from trouble to an alarm (and a rollback)
    rollback: tuple[str, ...]  # when a rollback is possible, and what it does


def traffic_steps(settings: Settings) -> list[tuple[int, int]]:
    """(seconds after the shift starts, share of production on the new tasks) per step."""
    dep = settings.deployment
    interval = dep.step_minutes * 60
    if dep.traffic == "all-at-once":
        return [(0, 100)]
    if dep.traffic == "canary":
        return [(0, dep.step_percent), (interval, 100)]
    if dep.engine == "ecs":  # a bake after each step but the last
        steps = dep.ecs_steps + 1
        shares = [min(100, dep.step_percent * (i + 1)) for i in range(steps)]
        shares[-1] = 100
        return [(i * interval, share) for i, share in enumerate(shares)]
    steps = math.ceil(100 / dep.step_percent)  # CodeDeploy: one step at once, then each interval
    return [(i * interval, min(100, dep.step_percent * (i + 1))) for i in range(steps)]


def plan(settings: Settings) -> Timeline:
    hc, dep, hooks = settings.health_check, settings.deployment, settings.hooks
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    healthy = hc.interval_seconds
    phases = [Phase("new tasks healthy", healthy,
                    f"one passing check, at most {hc.interval_seconds} s after the image starts "
                    f"(not modelled); failing checks ignored for "
                    f"{settings.service.health_check_grace_seconds} s")]
    if hooks.enabled:
        phases.append(Phase("test-traffic hook", hooks.timeout_seconds,
                            f"at most; {hooks.requests} requests per path, each within "
                            f"{hooks.latency_budget_ms} ms"))
    if dep.approval_wait_minutes:
        phases.append(Phase("approval window", dep.approval_wait_minutes * 60,
                            "at most; production stays on the old tasks"))
    steps = traffic_steps(settings)
    between = 0  # the hook's runs between production steps
    if hooks.enabled and hooks.before_allow_traffic:
        # CodeDeploy runs it once before the shift; ECS before each production step: the first
        # before the shift, the others within it.
        phases.append(Phase("hook again before production moves", hooks.timeout_seconds,
                            "at most"))
        if dep.engine == "ecs":
            between = (len(steps) - 1) * hooks.timeout_seconds
    steps = [(seconds + index * (between // max(1, len(steps) - 1)), share)
             for index, (seconds, share) in enumerate(steps)]
    shift = steps[-1][0]
    shares = ", ".join(f"{share} % at +{_duration(seconds)}" for seconds, share in steps)
    phases.append(Phase("production traffic shift", shift, shares + (
        " (with the hook before each step)" if between else "")))
    to_full = sum(phase.seconds for phase in phases)
    termination = dep.termination_wait_minutes * 60
    phases.append(Phase("old tasks kept", termination,
                        "ready for an instant rollback" + (
                            "; alarms still roll back (BakeTimeInMinutes)"
                            if dep.engine == "ecs" else "")))
    phases.append(Phase("old tasks drain", hc.deregistration_delay_seconds,
                        "deregistration delay"))
    detection = settings.alarms.period_seconds * settings.alarms.evaluation_periods
    rollback = (
        "before production moves: the hook's failure, the approval window's end or a stop "
        "leaves production on the old tasks",
        "after: an alarm (about " + _duration(detection) + " after trouble starts) or a stop "
        "puts production back on the old tasks while they run, "
        + _duration(termination) + " after the shift")
    if not settings.alarms.enabled:
        rollback = (rollback[0], "after: a stop puts production back on the old tasks while "
                    "they run (alarms are off)")
    gone = to_full + termination + hc.deregistration_delay_seconds
    return Timeline(tuple(phases), to_full, gone,
                    detection if settings.alarms.enabled else 0, rollback)


def _duration(seconds: int) -> str:
    """1 h 2 min 5 s, leaving out zero parts (0 s for nothing)."""
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((hours, "h"), (minutes, "min"), (seconds, "s")) if n]
    return " ".join(parts) or "0 s"


def render(settings: Settings) -> str:
    """The timeline as a table: each phase's start and end after the deployment starts."""
    timeline = plan(settings)
    lines = [f"deployment of {settings.resource_id} by {settings.deployment.engine}, "
             f"{settings.deployment.traffic} traffic (modelled upper bounds)", ""]
    start = 0
    width = max(len(p.name) for p in timeline.phases)
    for phase in timeline.phases:
        end = start + phase.seconds
        span = f"+{_duration(start)} .. +{_duration(end)}"
        lines.append(f"{phase.name:<{width}}  {span:<26}  {phase.note}")
        start = end
    lines += ["", f"production all on the new tasks: +{_duration(timeline.to_full_traffic)}",
              f"old tasks gone: +{_duration(timeline.until_old_tasks_gone)}"]
    lines += [f"rollback {item}" for item in timeline.rollback]
    return "\n".join(lines) + "\n"


def markdown_table(examples: dict[str, Settings]) -> str:
    """The README's table: each phase's duration per settings file, and the totals."""
    plans = {name: plan(s) for name, s in examples.items()}
    names = list(plans)
    phases = []  # in the order a deployment runs them
    for timeline in sorted(plans.values(), key=lambda t: -len(t.phases)):
        for index, phase in enumerate(timeline.phases):
            if phase.name not in phases:
                before = [p.name for p in timeline.phases[:index] if p.name in phases]
                phases.insert(phases.index(before[-1]) + 1 if before else 0, phase.name)
    lines = ["| phase | " + " | ".join(f"`{n}`" for n in names) + " |",
             "| --- |" + " --- |" * len(names)]
    for name in phases:
        cells = []
        for timeline in plans.values():
            found = [p for p in timeline.phases if p.name == name]
            cells.append(_duration(found[0].seconds) if found else "none")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| **production all on the new tasks** | " + " | ".join(
        f"**{_duration(t.to_full_traffic)}**" for t in plans.values()) + " |")
    lines.append("| **old tasks gone** | " + " | ".join(
        f"**{_duration(t.until_old_tasks_gone)}**" for t in plans.values()) + " |")
    lines.append("| alarm detection | " + " | ".join(
        _duration(t.alarm_detection) if t.alarm_detection else "off"
        for t in plans.values()) + " |")
    return "\n".join(lines)


# A manual approval that nobody answers fails after seven days.
# https://docs.aws.amazon.com/codepipeline/latest/userguide/approvals.html
APPROVAL_TIMEOUT_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Step:
    """A step of a promotion: at most `seconds`, or as long as a person takes."""

    name: str
    seconds: int
    note: str
    person: bool = False  # an approval: its time is the approver's


def promotion_steps(settings: Settings) -> list[Step]:
    """A promotion from push to the last environment. The deploy action of an environment
    succeeds when CodeDeploy's deployment does, after the old tasks are gone, and only then
    does the next environment's stage start."""
    steps = [Step("build", settings.pipeline.build_timeout_minutes * 60,
                  "image built and pushed once, at most pipeline.build_timeout_minutes")]
    for environment in settings.promotion.environments:
        if environment.approval:
            steps.append(Step(f"{environment.name}: approval", APPROVAL_TIMEOUT_SECONDS,
                              "waits for a person; fails (and stops the promotion) after "
                              "7 days", person=True))
        timeline = plan(environment.settings)
        steps.append(Step(f"{environment.name}: deployment", timeline.until_old_tasks_gone,
                          f"production on the new tasks after "
                          f"{_duration(timeline.to_full_traffic)}, the old tasks gone after "
                          f"{_duration(timeline.until_old_tasks_gone)}"))
    return steps


def render_promotion(settings: Settings) -> str:
    """The promotion's steps from push to the last environment, then each environment's
    deployment in detail."""
    steps = promotion_steps(settings)
    width = max(len(step.name) for step in steps)
    lines = [f"promotion of {settings.service.name} through "
             + " -> ".join(e.name for e in settings.promotion.environments)
             + " (modelled upper bounds; an approval takes as long as the person)", ""]
    start = 0
    for step in steps:
        if step.person:
            span = f"+{_duration(start)} .. (a person)"
        else:
            span = f"+{_duration(start)} .. +{_duration(start + step.seconds)}"
            start += step.seconds
        lines.append(f"{step.name:<{width}}  {span:<30}  {step.note}")
    lines += ["", f"without waiting for approvals: {_duration(start)} from push to the last "
              f"environment"]
    return "\n\n".join(["\n".join(lines)] + [
        render(environment.settings) for environment in settings.promotion.environments])
