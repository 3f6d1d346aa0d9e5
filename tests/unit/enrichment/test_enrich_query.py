"""The subject query language: grammar, matching rules, error positions, the matcher."""

from __future__ import annotations

import itertools

import pytest

from groundswell.enrichment.query import (
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    CompiledSubject,
    Query,
    QuerySyntaxError,
    SubjectMatcher,
    parse_query,
    tokenize_post,
)


def matches(query: str, post: str) -> bool:
    return parse_query(query).matches(tokenize_post(post))


# --- tokenising posts ------------------------------------------------------------------


def test_post_tokens_are_casefolded_words_tags_and_handles() -> None:
    tokens = tokenize_post("@Delta my #LateFlight was LATE, Delta's staff")
    assert tokens.sequence == ("@delta", "my", "lateflight", "was", "late", "delta", "s", "staff")
    assert {"#lateflight", "lateflight", "@delta", "delta"} <= tokens.terms
    assert "#delta" not in tokens.terms


def test_email_addresses_hold_no_handle() -> None:
    tokens = tokenize_post("write to help@united.com")
    assert "@united" not in tokens.terms
    assert {"help", "united", "com"} <= tokens.terms


# --- precedence and structure ----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "shape"),
    [
        ("a OR b c", "(a OR (b AND c))"),
        ("a b OR c", "((a AND b) OR c)"),
        ("NOT a AND b OR c", "((NOT a AND b) OR c)"),
        ("NOT a OR b", "(NOT a OR b)"),
        ("NOT (a OR b)", "NOT (a OR b)"),
        ("(a OR b) c", "((a OR b) AND c)"),
        ("a AND b AND c", "(a AND b AND c)"),
        ("a AND (b AND c)", "(a AND b AND c)"),
        ("a -b", "(a AND NOT b)"),
        ("a -(b OR c)", "(a AND NOT (b OR c))"),
        ("NOT NOT a", "NOT NOT a"),
        ("a and b or not c", "((a AND b) OR NOT c)"),
        ('"late flight" OR delay*', '("late flight" OR delay*)'),
        ("#Delta @United", "(#delta AND @united)"),
        ("don't", '"don t"'),
        ("wi-fi", '"wi fi"'),
        ('"and"', "and"),
    ],
)
def test_precedence_not_over_and_over_or(query: str, shape: str) -> None:
    assert str(parse_query(query)) == shape


BOOLS = (False, True)


@pytest.mark.parametrize(("a", "b", "c"), list(itertools.product(BOOLS, BOOLS, BOOLS)))
def test_evaluation_agrees_with_python_booleans(a: bool, b: bool, c: bool) -> None:
    post = " ".join(word for word, present in (("alpha", a), ("beta", b), ("gamma", c)) if present)
    cases = {
        "alpha OR beta gamma": a or (b and c),
        "alpha beta OR gamma": (a and b) or c,
        "NOT alpha AND beta OR gamma": ((not a) and b) or c,
        "NOT (alpha OR beta) gamma": (not (a or b)) and c,
        "(alpha OR beta) AND NOT gamma": (a or b) and not c,
        "alpha -beta -gamma": a and not b and not c,
        "NOT alpha OR NOT beta": (not a) or (not b),
    }
    for query, expected in cases.items():
        assert matches(query, post) is expected, (query, post)


# --- matching rules --------------------------------------------------------------------


def test_matching_is_case_insensitive() -> None:
    assert matches("DELTA", "flying delta today")
    assert matches("delta", "FLYING DELTA TODAY")
    assert matches('"Late Flight"', "another LATE FLIGHT")


def test_words_match_whole_tokens_only() -> None:
    assert matches("delta", "Delta's lounge")
    assert not matches("delta", "the deltas of rivers")
    assert not matches("delay", "delayed again")


def test_prefix_wildcard() -> None:
    assert matches("delay*", "delayed again")
    assert matches("delay*", "another delay")
    assert matches("delay*", "#DelayedAgain")
    assert not matches("delay*", "on time")
    assert not matches("delay*", "@delayedbot hi")


def test_phrases_match_consecutive_tokens() -> None:
    assert matches('"late flight"', "yet another late flight, thanks")
    assert matches('"late flight"', "late, flight")
    assert matches('"late flight"', "so #late flight")
    assert not matches('"late flight"', "flight late")
    assert not matches('"late flight"', "late for my flight")
    assert matches('"flight late flight"', "flight flight late flight")


def test_hashtags_and_handles_match_exactly() -> None:
    assert matches("#fail", "what an epic #FAIL")
    assert not matches("#fail", "what an epic fail")
    assert not matches("#fail", "#failure")
    assert matches("@united", "@United help")
    assert not matches("@united", "united help")
    assert not matches("@united", "#united help")


def test_a_word_also_matches_the_same_hashtag_but_not_a_handle() -> None:
    assert matches("delta", "#Delta rocks")
    assert not matches("delta", "@Delta hello")


def test_pure_not_query_matches_posts_without_the_term() -> None:
    assert matches("NOT united", "flying delta")
    assert not matches("NOT united", "flying united")
    assert matches("NOT united", "")


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        ("", "empty query", 0),
        ("   ", "empty query", 0),
        ("(delta", "unclosed '('", 0),
        ("delta (united", "unclosed '('", 6),
        ("delta)", "unmatched ')'", 5),
        ("delta OR", "'OR' needs a term after it", 6),
        ("OR delta", "'OR' needs a term before it", 0),
        ("delta AND AND united", "'AND' needs a term after it", 6),
        ("delta AND )", "'AND' needs a term after it", 6),
        ("NOT", "'NOT' needs a term after it", 0),
        ("delta NOT", "'NOT' needs a term after it", 6),
        ('delta "late flight', "unterminated quote", 6),
        ('""', "empty phrase", 0),
        ("()", "empty parentheses", 0),
        ("delta ()", "empty parentheses", 6),
        ("de*", "a wildcard needs at least 3 characters before *", 0),
        ("de*lta", "'*' is only allowed at the end of a word", 2),
        ("united !!!", "nothing to search for in '!!!'", 7),
        ("united - delta", "'-' must be followed directly by a term", 7),
    ],
)
def test_syntax_errors_say_what_and_where(query: str, message: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    assert caught.value.message == message
    assert caught.value.position == position
    assert str(caught.value) == f"{message} at position {position}"
    assert isinstance(caught.value, ValueError)


def test_too_long_query_is_rejected() -> None:
    parse_query("a " * (MAX_QUERY_LENGTH // 2))
    with pytest.raises(QuerySyntaxError, match="longer than 2000"):
        parse_query("a" * (MAX_QUERY_LENGTH + 1))


def test_nesting_is_bounded() -> None:
    ok = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert matches(ok, "a")
    deep = "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(QuerySyntaxError, match="nested") as caught:
        parse_query(deep)
    assert caught.value.position == MAX_DEPTH
    with pytest.raises(QuerySyntaxError, match="nested"):
        parse_query("NOT " * (MAX_DEPTH + 1) + "a")


def test_long_flat_or_chain_is_fine() -> None:
    query = " OR ".join(f"w{i}" for i in range(250))
    assert len(query) < MAX_QUERY_LENGTH
    assert matches(query, "hello w249")
    assert not matches(query, "hello w250")


# --- the matcher -----------------------------------------------------------------------


AIRLINE_SUBJECTS = [
    (1, "@united OR united"),
    (2, "@delta OR delta"),
    (3, 'delay* OR "late flight"'),
    (4, "(lost OR missing) (bag OR bags OR luggage)"),
    (5, "NOT @united"),
    (6, "refund -cancel*"),
]


def test_matcher_returns_sorted_ids_of_matching_subjects() -> None:
    matcher = SubjectMatcher(AIRLINE_SUBJECTS)
    post = tokenize_post("@united my bags are lost and the flight is delayed. Want a refund")
    assert matcher.match(post) == (1, 3, 4, 6)
    assert matcher.match(tokenize_post("@delta late flight again")) == (2, 3, 5)
    assert matcher.match(tokenize_post("refund for the cancelled flight")) == (5,)
    assert matcher.match(tokenize_post("")) == (5,)


def test_matcher_skips_invalid_queries_and_reports_them() -> None:
    matcher = SubjectMatcher([(1, "delta"), (2, "delta OR"), (3, '"unclosed'), (4, "united")])
    assert matcher.match(tokenize_post("delta and united")) == (1, 4)
    assert set(matcher.errors) == {2, 3}
    assert matcher.errors[2].position == 6
    assert [s.id for s in matcher.subjects] == [1, 4]
    assert all(isinstance(s, CompiledSubject) for s in matcher.subjects)
    assert isinstance(matcher.subjects[0].query, Query)


def test_matcher_with_no_subjects_matches_nothing() -> None:
    assert SubjectMatcher([]).match(tokenize_post("anything")) == ()


def test_matcher_only_evaluates_candidate_subjects() -> None:
    subjects = [(i, f"brand{i} OR #brand{i}tag") for i in range(2000)]
    subjects.append((5000, "NOT brand7"))
    subjects.append((5001, "zzz*"))
    matcher = SubjectMatcher(subjects)
    post = tokenize_post("I love brand7 and #brand42tag, zzzebra")
    candidates = matcher.candidates(post)
    assert len(candidates) == 4
    assert matcher.match(post) == (7, 42, 5001)


def test_matcher_agrees_with_evaluating_every_subject() -> None:
    queries = [
        "alpha",
        "alpha beta",
        "alpha OR gamma",
        "NOT beta",
        '"alpha beta"',
        "alp* -gamma",
        "(alpha OR beta) (gamma OR delta)",
        "#alpha OR @beta",
        "NOT alpha OR gamma",
        "alpha AND NOT (beta OR gamma)",
    ]
    matcher = SubjectMatcher(enumerate(queries))
    parsed = [parse_query(q) for q in queries]
    vocabulary = ["alpha", "beta", "gamma", "delta", "#alpha", "@beta", "alphabet"]
    for size in range(4):
        for words in itertools.permutations(vocabulary, size):
            post = tokenize_post(" ".join(words))
            expected = tuple(i for i, q in enumerate(parsed) if q.matches(post))
            assert matcher.match(post) == expected, words


def test_fingerprint_changes_with_subject_definitions() -> None:
    a = SubjectMatcher([(1, "delta"), (2, "united")]).fingerprint
    b = SubjectMatcher([(2, "united"), (1, "delta")]).fingerprint
    c = SubjectMatcher([(1, "delta"), (2, "united OR @united")]).fingerprint
    assert a == b
    assert a != c
