"""Weak intent labels for the airline tweets: their human labels plus documented rules.

The airline data set has human sentiment and, for negative tweets, a human reason
("Late Flight", "Lost Luggage"…). A negative tweet to an airline is a complaint; a
positive one is praise. The rarer intents have no human labels at this scale, so short,
high-precision phrase rules mark them. The purchase and churn rules live with the model
(``enrichment.model.intent_rules``) because it applies them at run time as well; the
question and spam rules only make training labels. Intent quality is reported on a
hand-labelled sample (``data/intent_sample.jsonl``) that no rule produced.
"""

from __future__ import annotations

import re

from groundswell.enrichment.model.intent_rules import CHURN as _CHURN
from groundswell.enrichment.model.intent_rules import purchase_intent

_QUESTION = re.compile(
    r"\?|\b(how (do|can|long|much|come)|can (you|i|someone|u)|could (you|u|someone)|"
    r"is there|are there|why (is|did|was|are|do|does|can't|won't)|what('s| is| are| do)|"
    r"where (is|do|can|are)|when (will|is|does|do|can)|any (update|news|info|word)|"
    r"help( me| us)?\b|please (help|advise|assist|check|dm|follow)|need (help|assistance))",
    re.IGNORECASE,
)
_SPAM = re.compile(
    r"\b(giveaway|win (a|free)|click here|promo code|check out my|"
    r"free followers|retweet to win|dm for)\b",
    re.IGNORECASE,
)
_NOISE = re.compile(r"(?<!\w)[@#]\w+|https?://\S+|[^\w\s']")


def _too_short(text: str) -> bool:
    """Fewer than two words once handles, hashtags, links and punctuation are gone."""
    return len(_NOISE.sub(" ", text).split()) < 2


def rule_intents(text: str) -> set[str]:
    """The intents the phrase rules see in ``text`` (support, purchase, churn, spam)."""
    found: set[str] = set()
    if _QUESTION.search(text):
        found.add("support_question")
    if _CHURN.search(text):
        found.add("churn_threat")
    if purchase_intent(text):
        found.add("purchase_intent")
    if _SPAM.search(text) or _too_short(text):
        found.add("spam")
    return found


def airline_intents(text: str, sentiment: str, reason: str | None) -> tuple[str, ...]:
    """Intents of one airline tweet from its human sentiment and reason plus the rules.

    Negative → complaint (whatever the reason, "Can't Tell" included: the author is
    unhappy with the airline). Positive → praise unless it is only a question. A question
    to an airline is a support question; purchase phrases are purchase intent whatever the
    sentiment ("trying to book and your site fails" is a complaint *and* a lead, as the
    labelling guide says). Spam excludes everything else.
    """
    from groundswell.enrichment.model.labels import INTENT_LABELS

    found = rule_intents(text)
    if "spam" in found:
        return ("spam",) if sentiment == "neutral" else ()
    if sentiment == "negative":
        found.add("complaint")
    elif sentiment == "positive":
        if "support_question" not in found or re.search(r"thank|great|love|awesome", text, re.I):
            found.add("praise")
        found.discard("churn_threat")
    else:
        found.discard("churn_threat")
    del reason
    return tuple(label for label in INTENT_LABELS if label in found)
