"""CloudWatch alarms that roll a deployment back: per target group, since either colour can be
the new one."""

from __future__ import annotations

from troposphere import GetAtt, Ref, Template, cloudwatch, sns

from .load_balancer import LoadBalancing
from .naming import COLOURS, Names
from .settings import Settings
from .waivers import ALARMS_READ_BY_CODEDEPLOY, waive


def build_alarms(template: Template, settings: Settings, names: Names,
                 load_balancing: LoadBalancing,
                 topic: sns.Topic | None) -> list[cloudwatch.Alarm]:
    """Three alarms per target group; none when alarms are turned off. With notifications,
    an alarm also tells the topic (CodeDeploy reads the alarms' state either way)."""
    actions = {"AlarmActions": [Ref(topic)]} if topic else {}
    waivers = () if topic else (ALARMS_READ_BY_CODEDEPLOY,)
    a = settings.alarms
    if not a.enabled:
        return []
    # (name suffix, metric, statistic, threshold, operator): the names say what each watches
    # (webapp-dev-blue-5xx); no description, for the template's size.
    kinds = [
        ("5xx", "HTTPCode_Target_5XX_Count", "Sum", a.target_5xx_count,
         "GreaterThanOrEqualToThreshold"),
        ("unhealthy", "UnHealthyHostCount", "Maximum", a.unhealthy_hosts,
         "GreaterThanOrEqualToThreshold"),
        ("latency", "TargetResponseTime", a.response_time_percentile, a.response_time_seconds,
         "GreaterThanThreshold"),
    ]
    alarms = []
    for colour in COLOURS:
        group = load_balancing.target_groups[colour]
        for suffix, metric, statistic, threshold, operator in kinds:
            statistic_property = ({"ExtendedStatistic": statistic}
                                  if statistic.startswith("p") else {"Statistic": statistic})
            alarms.append(template.add_resource(waive(cloudwatch.Alarm(
                f"{colour.capitalize()}{suffix.capitalize()}Alarm",
                AlarmName=names.alarm(colour, suffix),
                Namespace="AWS/ApplicationELB",
                MetricName=metric,
                Dimensions=[
                    cloudwatch.MetricDimension(Name="TargetGroup",
                                               Value=GetAtt(group, "TargetGroupFullName")),
                    cloudwatch.MetricDimension(
                        Name="LoadBalancer",
                        Value=GetAtt(load_balancing.load_balancer, "LoadBalancerFullName")),
                ],
                Period=a.period_seconds,
                EvaluationPeriods=a.evaluation_periods,
                Threshold=float(threshold),
                ComparisonOperator=operator,
                # The idle group has no traffic and no targets: no data is no alarm.
                TreatMissingData="notBreaching",
                **statistic_property,
                **actions,
            ), *waivers)))
    return alarms
