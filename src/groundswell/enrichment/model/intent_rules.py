"""Phrase rules for the two intents people state in set words: buying and leaving.

"Never flying with you again", "taking my business elsewhere", "trying to book a flight",
"how much would an upgrade cost": purchase intent and churn threats are usually said in a
few stock phrases, and the weakly labelled training data holds too few of them (about a
hundred each among 26,000 tweets) for the intent head to learn every wording. So the
model's intents are the head's *or* these rules': a post matching a rule gets that intent
with at least its threshold as probability. The same rules make the weak training labels
(``training.weak_intents``). They follow the labelling guide
(``training/data/intent_guide.md``); see ``docs/sentiment-model.md`` for what they add on
the hand-labelled sample and how that figure is biased.

The purchase phrases follow the guide's definition (wanting, planning or trying to buy,
book, order, pre-order, upgrade or subscribe; asking a seller about price, where to buy or
whether it sells something; a wish for a route) and were chosen by reading their matches
in the training splits, never the hand-labelled sample. People selling or offering
tickets ("anyone want to buy my tickets?") are not buying: ``NOT_BUYING`` vetoes them.
"""

from __future__ import annotations

import re

CHURN = re.compile(
    r"\b(never (fly(ing)?|book(ing)?|use|using|buy(ing)?) (with )?(you|u|again|@)|"
    r"never again|switch(ing|ed)? (to|airlines|carriers|providers)|done with (you|u|@)|"
    r"last time (i|we) (fly|flew|use|book)|won'?t (be )?(fly|flying|using|buying|booking)|"
    r"take (my|our) business|taking (my|our) business|cancel(l?ing)? my "
    r"(account|membership|subscription|service|card|plan)|lost a (loyal )?customer|"
    r"(goodbye|bye) @|leaving (you|for)|find(ing)? (a|another) (new )?(airline|provider)|"
    r"(never|not|won'?t|will not) (be )?(fly|flying|book|booking|use|using|order|ordering|"
    r"shop|shopping) (with |from |on |at )?\S+ (again|anymore)|ever again|"
    r"(lost|losing|lose) (a|another|me as a|this) (loyal |good |long ?time )?(customer|client)|"
    r"business elsewhere|close my account|(i'?m|we'?re|i am) (so )?done with|"
    r"this is why i (fly|use|shop)|(stick(ing)?|going back) (to|with) @|"
    r"time to (switch|cancel|leave)|(will|i'?ll) be (switching|cancell?ing|leaving))",
    re.IGNORECASE,
)
PURCHASE = re.compile(
    r"\b(want(ing)? to (buy|book|purchase|upgrade|order)|looking (to|for) (buy|book|a flight|"
    r"a ticket|tickets|a deal|deals)|how much (is|are|does|for|to)|price (of|for)\b[^.!]*\?|"
    r"(any|got) (deals?|discounts?|promos?|sales?)\b|planning (a|to) (trip|book|buy)|"
    r"where can i (buy|get|book)|thinking (of|about) (buying|booking|getting|flying)|"
    r"(book|buy)(ing)? (a|my|two|2) (flight|ticket|trip|seat)s?|in stock|"
    r"pre-?order(ing)? (a|an|the|my|it|one|this|that|two|2)\b|pre-?ordering\b|"
    r"fare (to|from|for)|(trying|tried|want|wanted|hoping|planning|about) to (buy|book|order|"
    r"purchase|upgrade|make a reservation|pre-?order)|(can'?t|cannot|unable to|couldn'?t) "
    r"(book|buy|order|purchase|make a reservation)|how much (would|will|do|is|are)|"
    r"(want|wanting|love) to fly (with )?(you|u|@)|looking to (book|buy|fly|order|get a)|"
    r"sign(ing)? up for|when (can|will) (i|we) (book|buy|order|pre-?order)|"
    # asking a seller whether and where it sells something
    r"(do|does) (you|u|y'?all) (sell|carry|stock)\b|"
    r"where (can|do|could) (i|we) (buy|order|purchase|book|get (a|an|one|it|this|tickets?))\b|"
    r"how (can|do|could) (i|we) (buy|book|order|purchase|upgrade|subscribe|get tickets?)\b|"
    r"when will .{1,40} be (on sale|back in stock|released)|when will (the )?(tickets?|"
    r"fares?|airfares?|flights?|seats?|new routes?|routes?|it|they|pre-?orders?) .{0,40}be "
    r"(available|bookable)|"
    # first-person plans to buy
    r"(i|we) (really )?(need|have|gotta|got) to (buy|book|purchase)\b|"
    r"(i|we|i'?m|we'?re|i am|we are) (finally |just |really )?(going|gonna|about) (to )?"
    r"(buy|book|order|purchase)\b|if (i|we) (order|buy|book|purchase)\b|"
    r"buying (a|an|the|my|some|tickets?|two|2)\b.{0,40}\b(tomorrow|today|tonight|soon|"
    r"this (week|weekend|month)|next (week|month))\b|"
    r"(i'?d|we'?d|i would|we would) (love|like) to (buy|book|order|purchase|fly with)\b|"
    r"(can'?t|cannot) wait to (buy|book|order|pre-?order)\b|"
    r"(i'?ll|i will|we'?ll|we will) (book|order|pre-?order|purchase)\b|"
    r"(i'?ll|i will|we'?ll|we will) buy (the|a|my|tickets?|it|one)\b|"
    r"((will|would) (i|we) be able to|(can|could|may) (i|we)) (buy|purchase|book|order|"
    r"pre-?order|upgrade)\b|"
    r"(waiting|ready|plan|plans|intend|intending|decided|deciding|considering) "
    r"to (book|buy|purchase|order)\b|"
    # the act of booking or paying, under way
    r"(finish|complete|finishing|completing) (the |my |a |this )?(purchase|booking|order)\b|"
    r"(trouble|problems?|issues?|errors?|trying|try|while|when|am|i'?m|im|been|keep) "
    r"(flight )?booking\b|in the (process|middle) of (purchasing|booking|buying|ordering)|"
    r"(impossible|hard|difficult) to (book|buy|order|purchase)\b|"
    r"help (me|us) (to )?(upgrade|book|buy|order|purchase)\b|"
    r"use (my |a |the |our )?(voucher|credit|miles|points|companion (pass|certificate|ticket))"
    r" (for|to (book|buy|purchase|get)) |"
    r"(can|could) (i|we) get (some |\w+ )?tickets|"
    r"(looking|look) (at|up|into) (\w+ )?(flights|tickets|fares|prices)\b|"
    r"search(ed|ing)? for (\w+ )?(flights|tickets|fares)\b|"
    r"(find|get|looking for|any) (a |the )?(cheap(er|est)?|low(er|est)?) (\w+ )?(flights?|"
    r"fares?|tickets?|rates?)|(special|student|group|military|senior) (fares?|rates?|"
    r"discounts?|pricing)\b|"
    # when the seller will open sales
    r"when (will|are|do|does) (you|u|y'?all) .{0,25}(release|open)( up)? (the )?(\w+ )?"
    r"(flights|fares|seats|tickets|schedules?)\b|"
    # a paid upgrade or a subscription chosen freely
    r"(buy|purchase|pay for) (an? |the )?upgrade|"
    r"(want|like|how) to subscribe|subscribe to (your|the|premium)|"
    # a wish for a route the author would fly
    r"(please|pls|plz) (start|begin|resume|bring back) (flying|flights?|service|the (non-?stop|"
    r"direct))|(please|pls|plz) (add|offer) (more )?(routes?|flights?|service|non-?stops?|"
    r"direct))",
    re.IGNORECASE,
)
NOT_BUYING = re.compile(
    r"\b(selling|for sale|(anyone|anybody|who) (else )?(want|wants|wanna|need|needs|"
    r"interested)|if (you|u)('d| would)? (like|want|wish)|dm me if)\b",
    re.IGNORECASE,
)
"""People selling tickets or goods, or offering them to others: spam, not purchase intent."""


PURCHASE_WORDS = (
    "buy", "book", "purchas", "upgrad", "order", "how much", "pric", "planning", "thinking",
    "stock", "fare", "to fly", "sell", "carry", "make a reservation", "subscribe", "ticket",
    "when will", "voucher", "credit", "miles", "points", "companion", "search", "cheap",
    "low ", "lower ", "lowest ", "release", "open", "sign up for", "signing up for",
    "where can ", "where do ", "where could ",
    "look at", "look up", "look into", "looking at", "looking up", "looking into",
    "looking to", "looking for",
    "special ", "student ", "group ", "military ", "senior ",
    *(f"{a} {b}" for a in ("any", "got") for b in ("deal", "discount", "promo", "sale")),
    *(
        f"{a} {b}"
        for a in ("please", "pls", "plz")
        for b in ("start", "begin", "resume", "bring back", "add", "offer")
    ),
)  # fmt: skip
"""Every branch of ``PURCHASE`` contains one of these as literal text, so a text holding
none of them cannot match. Python's regular expressions try all of ``PURCHASE``'s eighty
branches at each word of a text (90 µs a post, as much as the rest of the model's
Python work together); looking for these words first takes a few µs."""

_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u212a": "k", "\u017f": "s"})
"""The four characters outside ASCII that ``re.IGNORECASE`` matches to ASCII letters
(İ and dotless ı to i, the Kelvin sign to k, long s to s): folded before lower-casing,
so the word check never misses what the expression would match."""


def may_buy(text: str) -> bool:
    """False only when ``PURCHASE`` cannot match ``text`` (it holds none of its words)."""
    folded = text.translate(_FOLD).lower()
    return any(word in folded for word in PURCHASE_WORDS)


def purchase_intent(text: str) -> bool:
    """A purchase phrase rule matches, and the author is not the one selling."""
    return may_buy(text) and bool(PURCHASE.search(text)) and not NOT_BUYING.search(text)


def phrase_intents(text: str) -> frozenset[str]:
    """The intents a phrase rule finds in ``text`` (purchase intent, churn threat)."""
    found = set()
    if purchase_intent(text):
        found.add("purchase_intent")
    if CHURN.search(text):
        found.add("churn_threat")
    return frozenset(found)
