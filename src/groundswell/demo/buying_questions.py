"""Buying questions for the demo's shoppers and leads, each worded its own way.

The replay's airline tweets almost never ask to buy, so the demo adds a question from
each shopper (up to a few hundred). Six fixed sentences made the Leads page read like a
form letter, the same words from dozens of people; these are put together from a few
ways of asking, destinations, dates and parties, so neighbouring rows differ.
"""

from __future__ import annotations

DESTINATIONS = (
    "Denver",
    "Boston",
    "Chicago",
    "San Francisco",
    "Houston",
    "Orlando",
    "Seattle",
    "Los Angeles",
    "Washington DC",
    "Las Vegas",
    "Austin",
    "Honolulu",
    "London",
    "Cancun",
    "Newark",
    "Tokyo",
    "Miami",
)
WHEN = (
    "in March",
    "next week",
    "this weekend",
    "in May",
    "for Thanksgiving",
    "over spring break",
    "in two weeks",
    "for New Year's",
    "next month",
    "around Christmas",
    "on the 14th",
)
SEATS = ("3 tickets", "two seats", "a ticket", "4 seats", "two tickets", "six seats")
PEOPLE = (
    "a family of four",
    "me and my wife",
    "one adult and two kids",
    "a group of six",
    "my parents",
    "the two of us",
)
TEMPLATES = (
    "I want to book {seats} to {dest} {when}, how much is the fare?",
    "Planning a trip to {dest} {when}, any deals on flights for {people}?",
    "Looking for a deal on a round trip to {dest}, want to book {when}.",
    "How much would it cost to fly {people} to {dest} {when}?",
    "Thinking of booking {dest} {when} for {people}, any sales coming up?",
    "Is there a cheaper fare to {dest} {when}? Ready to buy {seats} today.",
    "Looking to buy an upgrade to first class on my {dest} flight {when}, price for that?",
    "Can I still get {seats} on the {dest} flight {when}? Want to buy now.",
    "Where do I buy a companion ticket for my {dest} trip {when}?",
    "Want to purchase a gift card for my mom's trip to {dest}, how much for the 200 dollar one?",
    "How much are extra bags if I book the basic fare to {dest}? Want to buy tickets today.",
    "Do you sell gift cards? Want one for my sister's {dest} trip {when}.",
)


def buying_question(i: int) -> str:
    """The ``i``-th question: the same for the same ``i`` (the demo is made once and
    re-run the same), different for neighbouring ones. Strides prime to each list's
    length walk every combination before repeating one."""
    template = TEMPLATES[i % len(TEMPLATES)]
    return template.format(
        dest=DESTINATIONS[(i * 7) % len(DESTINATIONS)],
        when=WHEN[(i * 5) % len(WHEN)],
        seats=SEATS[(i * 5) % len(SEATS)],
        people=PEOPLE[(i * 5 + 1) % len(PEOPLE)],
    )
