"""The gauges ``/metrics`` computes from the database and the broker at scrape time.

Counters and histograms the pipeline updates as it works live in ``core.metrics``; what
only the database knows across every process (how far ingestion got, the notification
outbox, connectors, SLA breaches) is read here when Prometheus scrapes, by a custom
collector. A scrape runs a handful of indexed aggregate queries; their result is reused
for ``metrics_cache_seconds`` so several scrapers (or a dashboard refresh storm) cost
one round of queries. docs/operations.md lists every metric.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from groundswell.channels.runtime.models import ChannelAccount, ChannelSource
from groundswell.core.brokers import Broker
from groundswell.core.brokers.base import group_stats
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.engagement.models import Case
from groundswell.ingestion.models import RejectedRecord
from groundswell.ingestion.service import events_stream, posts_stream
from groundswell.notify.models import Delivery
from groundswell.settings import Settings

log = logging.getLogger(__name__)

OPEN_CASE_STATUSES = ("new", "open", "pending")
OUTBOX_STATUSES = ("pending", "failed", "dead")


def _gauge(name: str, doc: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels))


def database_metrics(session: Session) -> list[Metric]:
    """Every database-derived gauge, from a few aggregate queries."""
    last_id = _gauge(
        "groundswell_interactions_last_id",
        "Highest stored interaction id: its rate is the ingest rate of every process together",
    )
    last_id.add_metric([], float(session.scalar(select(func.max(Interaction.id))) or 0))

    dead = _gauge(
        "groundswell_dead_letter_records",
        "Posts the pipeline gave up on (rejected_records from the pipeline)",
    )
    dead.add_metric(
        [],
        float(
            session.scalar(
                select(func.count())
                .select_from(RejectedRecord)
                .where(RejectedRecord.source == "pipeline")
            )
            or 0
        ),
    )

    outbox = _gauge(
        "groundswell_notification_deliveries",
        "Notification and webhook deliveries not (yet) sent, by kind and status",
        ["kind", "status"],
    )
    counts = {
        (str(kind), str(status)): int(n)
        for kind, status, n in session.execute(
            select(Delivery.kind, Delivery.status, func.count())
            .where(Delivery.status.in_(OUTBOX_STATUSES))
            .group_by(Delivery.kind, Delivery.status)
        )
    }
    for kind in sorted({k for k, _ in counts} | {"event", "webhook", "email", "slack"}):
        for status in OUTBOX_STATUSES:
            outbox.add_metric([kind, status], float(counts.get((kind, status), 0)))

    connector = _gauge(
        "groundswell_connector_status",
        "1 for each connected channel account's current status",
        ["account", "kind", "status"],
    )
    budget = _gauge(
        "groundswell_connector_budget_used_ratio",
        "Share of the monthly read budget used (accounts with a budget)",
        ["account", "kind"],
    )
    errors = _gauge(
        "groundswell_connector_source_errors",
        "Consecutive read errors summed over the account's sources",
        ["account", "kind"],
    )
    source_errors = dict(
        session.execute(
            select(ChannelSource.account_id, func.sum(ChannelSource.error_count)).group_by(
                ChannelSource.account_id
            )
        ).all()
    )
    for account in session.scalars(select(ChannelAccount).where(ChannelAccount.enabled)):
        connector.add_metric([account.key, account.kind, account.status], 1.0)
        if account.monthly_budget:
            budget.add_metric(
                [account.key, account.kind], account.budget_used / account.monthly_budget
            )
        errors.add_metric([account.key, account.kind], float(source_errors.get(account.id) or 0))

    breached = _gauge(
        "groundswell_sla_breached_open_cases",
        "Open cases whose SLA is breached (engagement)",
    )
    breached.add_metric(
        [],
        float(
            session.scalar(
                select(func.count())
                .select_from(Case)
                .where(Case.breached_at.is_not(None), Case.status.in_(OPEN_CASE_STATUSES))
            )
            or 0
        ),
    )
    breaches = _gauge(
        "groundswell_sla_breaches",
        "Cases that ever breached their SLA; its increase over a period counts new breaches",
    )
    breaches.add_metric(
        [],
        float(
            session.scalar(
                select(func.count()).select_from(Case).where(Case.breached_at.is_not(None))
            )
            or 0
        ),
    )
    return [last_id, dead, outbox, connector, budget, errors, breached, breaches]


def broker_metrics(broker: Broker, settings: Settings) -> list[Metric]:
    """Lag and pending per stream and consumer group (XINFO GROUPS on Redis)."""
    lag = _gauge(
        "groundswell_broker_lag",
        "Messages not yet delivered to the consumer group",
        ["stream", "group"],
    )
    pending = _gauge(
        "groundswell_broker_pending",
        "Messages delivered to the group but not acknowledged",
        ["stream", "group"],
    )
    for stream in (posts_stream(settings), events_stream(settings)):
        for stats in group_stats(broker, stream):
            lag.add_metric([stats.stream, stats.group], float(stats.lag))
            pending.add_metric([stats.stream, stats.group], float(stats.pending))
    return [lag, pending]


class ScrapeTimeCollector(Collector):
    """Reads the database and broker when scraped, at most once per ``ttl_s``."""

    def __init__(self, db: Database, broker: Broker, settings: Settings) -> None:
        self.db, self.broker, self.settings = db, broker, settings
        self.ttl_s = settings.metrics_cache_seconds
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def _compute(self) -> list[Metric]:
        up = _gauge("groundswell_scrape_source_up", "Whether the source could be read", ["source"])
        found: list[Metric] = []
        try:
            with self.db.session() as session:
                found += database_metrics(session)
            up.add_metric(["database"], 1.0)
        except Exception:
            log.warning("metrics: database unreadable", exc_info=True)
            up.add_metric(["database"], 0.0)
        try:
            found += broker_metrics(self.broker, self.settings)
            up.add_metric(["broker"], 1.0)
        except Exception:
            log.warning("metrics: broker unreadable", exc_info=True)
            up.add_metric(["broker"], 0.0)
        return [*found, up]

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] >= self.ttl_s:
                self._cached = (now, self._compute())
            metrics = self._cached[1]
        yield from metrics
