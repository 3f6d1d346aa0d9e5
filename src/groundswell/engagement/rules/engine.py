"""Evaluating rules against one interaction: pure, compiled once, fast.

Rules are compiled into tuples of small predicates (keywords into one regular
expression) so 50 rules cost microseconds per interaction; the service recompiles when
a rule changes. A rule whose predicate raises is logged and skipped: the others go on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from groundswell.engagement.rules.spec import Action, RuleSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules can see of one stored interaction."""

    interaction_id: int
    channel: str
    text: str
    direction: str = "in"
    subject_ids: frozenset[int] = frozenset()
    sentiment_label: str | None = None
    sentiment_score: float | None = None
    intents: frozenset[str] = frozenset()
    language: str | None = None
    influence: float = 0.0
    known_customer: bool = False
    business_hours: bool = True


Predicate = Callable[[Facts], bool]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: int
    name: str
    stop: bool
    predicates: tuple[Predicate, ...]
    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class Match:
    rule_id: int
    rule_name: str
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[CompiledRule, ...] = field(default=())
    needs_known_customer: bool = False
    """Some rule asks whether the author is a known customer (two queries to find out)."""

    def evaluate(self, facts: Facts) -> list[Match]:
        matches: list[Match] = []
        if facts.direction != "in":
            return matches  # our own replies never trigger rules
        for rule in self.rules:
            try:
                hit = True
                for predicate in rule.predicates:
                    if not predicate(facts):
                        hit = False
                        break
            except Exception:
                log.warning("rule %s (%s) failed; skipped", rule.id, rule.name, exc_info=True)
                continue
            if hit:
                matches.append(Match(rule.id, rule.name, rule.actions))
                if rule.stop:
                    break
        return matches


def compile_rules(specs: Sequence[RuleSpec]) -> RuleSet:
    ordered = sorted((s for s in specs if s.active), key=lambda s: (s.position, s.id))
    needs = any(s.conditions.known_customer is not None for s in ordered)
    return RuleSet(tuple(_compile(s) for s in ordered), needs_known_customer=needs)


def _compile(spec: RuleSpec) -> CompiledRule:
    c = spec.conditions
    preds: list[Predicate] = []
    if c.channels:
        channels = frozenset(c.channels)
        preds.append(lambda f: f.channel in channels)
    if c.subject_ids:
        subjects = frozenset(c.subject_ids)
        preds.append(lambda f: not subjects.isdisjoint(f.subject_ids))
    if c.sentiments:
        labels = frozenset(c.sentiments)
        preds.append(lambda f: f.sentiment_label in labels)
    if c.sentiment_below is not None:
        below = c.sentiment_below
        preds.append(lambda f: f.sentiment_score is not None and f.sentiment_score < below)
    if c.intents:
        intents = frozenset(c.intents)
        preds.append(lambda f: not intents.isdisjoint(f.intents))
    if c.languages:
        languages = frozenset(x.lower() for x in c.languages)
        preds.append(lambda f: (f.language or "").lower() in languages)
    if c.influence_min is not None:
        floor = c.influence_min
        preds.append(lambda f: f.influence >= floor)
    if c.keywords:
        pattern = re.compile(
            r"(?<!\w)(?:" + "|".join(re.escape(k) for k in c.keywords) + r")(?!\w)",
            re.IGNORECASE,
        )
        preds.append(lambda f: pattern.search(f.text) is not None)
    if c.known_customer is not None:
        known = c.known_customer
        preds.append(lambda f: f.known_customer is known)
    if c.business_hours is not None:
        inside = c.business_hours
        preds.append(lambda f: f.business_hours is inside)
    return CompiledRule(spec.id, spec.name, spec.stop, tuple(preds), tuple(spec.actions))
