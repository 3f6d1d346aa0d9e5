"""Our subject queries as X (Twitter API v2) filtered-stream rules.

A stream rule decides what the network sends us; the subject matcher still decides what a
stored post matched. So the rule may be *wider* than the query, never narrower: whatever
X's syntax cannot say is widened to "anything" and reported, and the matcher filters the
surplus after ingest. What cannot be translated:

- ``word*`` prefixes: X rules have no wildcard, so a prefix widens to "anything".
- ``NOT`` over a group: X refuses negated groups (``-(a OR b)``); ``NOT (a OR b)`` is
  rewritten as ``-a -b``, and ``NOT (a AND b)`` (an OR of negations, which X refuses
  because a negated operator cannot stand alone) widens to "anything".
- A conjunction with no positive term (``NOT a`` alone) widens to "anything".
- Words: our bare word also matches the same ``#hashtag``; X's keyword matches the word
  in text only, so ``delta`` becomes ``(delta OR #delta)``.
- Accents: X matches accented rules only against accented text; ours case-folds only, so
  accents behave the same way and nothing is done.

A query that widens to "anything" as a whole cannot become a rule (it would ask for the
whole firehose) and is reported as untranslatable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from groundswell.enrichment.query import And, Node, Not, Or, Phrase, Prefix, Term

MAX_RULE_LENGTH = 512
"""X's rule length limit on the self-serve tiers (Pro and Enterprise allow more)."""


@dataclass(frozen=True, slots=True)
class _Any:
    """Matches everything: the widening of something X cannot express."""


@dataclass(frozen=True, slots=True)
class _Rule:
    text: str
    positive: bool
    """Contains at least one non-negated operator (X requires one in every conjunction)."""
    kind: str = "atom"
    """``atom``, ``and`` (space-joined) or ``or``: decides where parentheses go."""


@dataclass
class XRule:
    """The rule text, or None with the reason; ``widened`` names what was loosened."""

    value: str | None
    widened: list[str] = field(default_factory=list)
    error: str | None = None


def _quote(tokens: tuple[str, ...]) -> str:
    return '"' + " ".join(tokens) + '"'


def _term(token: str) -> str:
    if token[0] in "#@":
        return token
    return f"({token} OR #{token})"


def _negate(node: Node, widened: list[str]) -> _Rule | _Any:
    if isinstance(node, Term):
        return _Rule("-" + node.token, positive=False)
    if isinstance(node, Phrase):
        return _Rule("-" + _quote(node.tokens), positive=False)
    if isinstance(node, Prefix):
        widened.append(f"NOT {node.prefix}*: X rules have no wildcard")
        return _Any()
    if isinstance(node, Not):
        return _translate(node.child, widened)
    if isinstance(node, Or):  # NOT (a OR b) == -a -b
        return _and([_negate(c, widened) for c in node.children], widened, check=False)
    widened.append("NOT (… AND …): X refuses negated groups and lone negations")
    return _Any()


def _and(parts: list[_Rule | _Any], widened: list[str], *, check: bool = True) -> _Rule | _Any:
    rules = [p for p in parts if isinstance(p, _Rule)]
    if not rules:
        return _Any()
    positive = any(r.positive for r in rules)
    if check and not positive:
        widened.append(
            " ".join(r.text for r in rules) + ": X needs a positive term beside a negation"
        )
        return _Any()
    if len(rules) == 1:
        return rules[0]
    text = " ".join(f"({r.text})" if r.kind == "or" else r.text for r in rules)
    return _Rule(text, positive=positive, kind="and")


def _translate(node: Node, widened: list[str]) -> _Rule | _Any:
    if isinstance(node, Term):
        return _Rule(_term(node.token), positive=True)
    if isinstance(node, Phrase):
        return _Rule(_quote(node.tokens), positive=True)
    if isinstance(node, Prefix):
        widened.append(f"{node.prefix}*: X rules have no wildcard")
        return _Any()
    if isinstance(node, Not):
        return _negate(node.child, widened)
    if isinstance(node, And):
        return _and([_translate(c, widened) for c in node.children], widened)
    branches = [_translate(c, widened) for c in node.children]
    rules: list[_Rule] = []
    for branch in branches:
        if isinstance(branch, _Any):
            return _Any()
        if not branch.positive:
            widened.append(f"{branch.text}: a negation cannot stand alone in an X rule")
            return _Any()
        rules.append(branch)
    if len(rules) == 1:
        return rules[0]
    text = " OR ".join(f"({r.text})" if r.kind == "and" else r.text for r in rules)
    return _Rule(text, positive=True, kind="or")


def to_x_rule(root: Node, *, max_length: int = MAX_RULE_LENGTH) -> XRule:
    """Translate a parsed query (``parse_query(text).root``) into one stream rule."""
    widened: list[str] = []
    result = _translate(root, widened)
    if isinstance(result, _Any) or not result.positive:
        return XRule(None, widened, "the query would match every post once widened for X")
    if len(result.text) > max_length:
        return XRule(
            None, widened, f"the rule is {len(result.text)} characters; X allows {max_length}"
        )
    return XRule(result.text, widened)
