"""English stop words for keyness, written for this project (Apache-2.0 like the code).

Function words (articles, pronouns, auxiliaries, prepositions, conjunctions), the
fragments a plain word tokenizer leaves ("don", "t"), contractions whole as the keyness
tokenizer keeps them ("don't"), and the chat filler that tops every social window without
saying anything ("lol", "pls", "rt", "amp" from ``&amp;``). Words that carry complaints
or praise ("not", "never", "late", "thanks") are deliberately *kept*: "not" and "never"
start the phrases that make a complaint readable ("never arrived"), and keyness decides
whether they stand out.
"""

from __future__ import annotations

_WORDS = """
a about above after again against ago all also am an and any are aren around as at
be because been before being below between both but by
can cannot could couldn
d did didn do does doesn doing don down during
each else even ever every
few for from further
get gets getting go goes going gonna got gotta
had hadn has hasn have haven having he her here hers herself him himself his how
i if im in into is isn it its itself ive
just
ll
m me might more most must mustn my myself
needn no nor now
o of off on once one only or other our ours ourselves out over own
re
s same shall shan she should shouldn so some such
t than that thats the their theirs them themselves then there these they this those
through to too
u under until up upon ur us
ve very via
was wasn we were weren what when where which while who whom whose why will with won
would wouldn
y yet you your yours yourself yourselves
amp gt lt rt lol pls plz
aren't can't couldn't didn't doesn't don't hadn't hasn't haven't he'd he'll he's i'd i'll
i'm i've isn't it'd it'll it's let's mightn't mustn't she'd she'll she's shouldn't that'd
that'll that's there's they'd they'll they're they've wasn't we'd we'll we're we've
weren't what's where's who's won't wouldn't y'all you'd you'll you're you've
"""

STOP_WORDS: frozenset[str] = frozenset(_WORDS.split())
"""Case-folded; compare against case-folded tokens."""
