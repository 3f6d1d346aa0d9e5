"""The subject query language: parsed once per subject, matched against every post.

A subject ("Delta", "lost luggage") is a boolean query over a post's tokens. Posts are
tokenised once (``tokenize_post``) and the same ``PostTokens`` is offered to every subject;
``SubjectMatcher`` indexes subjects by terms they cannot match without, so a post only
evaluates the few subjects it could possibly match. The grammar and matching rules are
documented for users in docs/query-language.md::

    query    := or_expr
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := not_expr (["AND"] not_expr)*        # adjacent terms are ANDed
    not_expr := ("NOT" | "-") not_expr | primary
    primary  := "(" or_expr ")" | word | word* | "phrase" | #hashtag | @handle
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

QUERY_LANGUAGE_VERSION = "gsq-1"
"""Bump when tokenisation or matching semantics change, so stored matches can be re-run."""

MAX_QUERY_LENGTH = 2000
MAX_DEPTH = 32
"""Parentheses and NOTs nest at most this deep; keeps parsing and matching bounded."""
MIN_PREFIX = 3
"""Letters required before a ``*``: shorter prefixes match almost everything."""

_TOKEN = re.compile(r"(?<!\w)[#@]\w+|\w+")
_OPERATORS = {"AND", "OR", "NOT"}


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; ``position`` is a 0-based offset into the query."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position


# --- posts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostTokens:
    """A post's tokens, computed once and shared by every subject.

    ``sequence`` keeps order for phrases; a hashtag contributes its bare word (so "#late
    flight" contains the phrase "late flight") and a handle stays ``@name``. ``terms`` holds
    every word, every hashtag both as ``#tag`` and as its bare word, and every ``@handle``.
    """

    sequence: tuple[str, ...]
    terms: frozenset[str]


def _raw_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


def _sequence(raw: list[str]) -> tuple[str, ...]:
    return tuple(t[1:] if t[0] == "#" else t for t in raw)


def tokenize_post(text: str) -> PostTokens:
    """Case-folded word, ``#hashtag`` and ``@handle`` tokens of a post.

    A word is a run of letters, digits and ``_``; everything else separates words, so
    "Delta's" gives "delta" and "s", and "e-mail" gives "e" and "mail". ``#`` and ``@``
    start a tag or handle only at the start of a word, so "a@b.com" holds no handle.
    """
    raw = _raw_tokens(text)
    sequence = _sequence(raw)
    return PostTokens(sequence=sequence, terms=frozenset(raw).union(sequence))


# --- query syntax tree -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """One token: a word (also matches the same ``#word``), a ``#tag`` or an ``@handle``."""

    token: str


@dataclass(frozen=True, slots=True)
class Phrase:
    """Consecutive tokens, as tokenised by ``tokenize_post``."""

    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Prefix:
    """Any word (or hashtag's word) starting with ``prefix``."""

    prefix: str


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node = Term | Phrase | Prefix | And | Or | Not
Predicate = Callable[[PostTokens], bool]


def render(node: Node) -> str:
    """Canonical, fully parenthesised text of a node; shows how a query was understood."""
    if isinstance(node, Term):
        return node.token
    if isinstance(node, Phrase):
        return '"' + " ".join(node.tokens) + '"'
    if isinstance(node, Prefix):
        return node.prefix + "*"
    if isinstance(node, Not):
        return "NOT " + render(node.child)
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(render(c) for c in node.children) + ")"


# --- compiling to predicates -------------------------------------------------------------


def _phrase_predicate(tokens: tuple[str, ...]) -> Predicate:
    first, size = tokens[0], len(tokens)

    def match(post: PostTokens) -> bool:
        if not post.terms.issuperset(tokens):
            return False
        seq = post.sequence
        i = seq.index(first)
        last = len(seq) - size
        while i <= last:
            if seq[i : i + size] == tokens:
                return True
            try:
                i = seq.index(first, i + 1)
            except ValueError:
                return False
        return False

    return match


def _cost(node: Node) -> int:
    return 0 if isinstance(node, Term) else 1 if isinstance(node, Phrase | Prefix) else 2


def compile_node(node: Node) -> Predicate:
    """A closure evaluating ``node``; cheaper than walking the tree for every post."""
    if isinstance(node, Term):
        token = node.token
        return lambda post: token in post.terms
    if isinstance(node, Phrase):
        return _phrase_predicate(node.tokens)
    if isinstance(node, Prefix):
        prefix = node.prefix
        return lambda post: any(t.startswith(prefix) for t in post.terms)
    if isinstance(node, Not):
        inner = compile_node(node.child)
        return lambda post: not inner(post)
    parts = tuple(compile_node(c) for c in sorted(node.children, key=_cost))
    if isinstance(node, And):
        return lambda post: all(p(post) for p in parts)
    return lambda post: any(p(post) for p in parts)


def required_keys(node: Node) -> frozenset[str] | None:
    """Index keys of which a matching post must contain at least one; ``None`` if no such set.

    Prefix keys are ``*`` plus the first ``MIN_PREFIX`` letters (``*`` never occurs in a
    token). A NOT can match a post with none of its terms, hence ``None``.
    """
    if isinstance(node, Term):
        return frozenset((node.token,))
    if isinstance(node, Phrase):
        return frozenset((max(node.tokens, key=len),))
    if isinstance(node, Prefix):
        return frozenset(("*" + node.prefix[:MIN_PREFIX],))
    if isinstance(node, Not):
        return None
    covers = [required_keys(c) for c in node.children]
    if isinstance(node, And):
        known = [c for c in covers if c is not None]
        return min(known, key=len) if known else None
    union: set[str] = set()
    for cover in covers:
        if cover is None:
            return None
        union |= cover
    return frozenset(union)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query; ``matches`` runs its compiled predicate."""

    text: str
    root: Node
    _predicate: Predicate = field(repr=False, compare=False)

    def matches(self, post: PostTokens) -> bool:
        return self._predicate(post)

    def __str__(self) -> str:
        return render(self.root)


# --- lexing and parsing ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str
    """``(``, ``)``, ``AND``, ``OR``, ``NOT`` or ``TERM``."""
    pos: int
    text: str
    node: Node | None = None


def _term_node(raw: list[str], text: str, pos: int) -> Node:
    if not raw:
        raise QuerySyntaxError(f"nothing to search for in {text!r}", pos)
    if len(raw) == 1:
        return Term(raw[0])
    return Phrase(_sequence(raw))


def _bare(word: str, pos: int) -> _Tok:
    upper = word.upper()
    if upper in _OPERATORS:
        return _Tok(upper, pos, word)
    star = word.find("*")
    if star == -1:
        return _Tok("TERM", pos, word, _term_node(_raw_tokens(word), word, pos))
    body = word[:star].casefold()
    if star != len(word) - 1:
        raise QuerySyntaxError("'*' is only allowed at the end of a word", pos + star)
    if not re.fullmatch(r"\w+", body):
        raise QuerySyntaxError("'*' must follow letters or digits", pos + star)
    if len(body) < MIN_PREFIX:
        raise QuerySyntaxError(f"a wildcard needs at least {MIN_PREFIX} characters before *", pos)
    return _Tok("TERM", pos, word, Prefix(body))


def _lex(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(_Tok(c, i, c))
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            if end == -1:
                raise QuerySyntaxError("unterminated quote", i)
            content = text[i + 1 : end]
            if not content.strip():
                raise QuerySyntaxError("empty phrase", i)
            tokens.append(_Tok("TERM", i, content, _term_node(_raw_tokens(content), content, i)))
            i = end + 1
        elif c == "-":
            if i + 1 >= n or text[i + 1].isspace() or text[i + 1] == ")":
                raise QuerySyntaxError("'-' must be followed directly by a term", i)
            tokens.append(_Tok("NOT", i, "-"))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            tokens.append(_bare(text[i:j], i))
            i = j
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError(f"query nested more than {MAX_DEPTH} levels deep", pos)

    def parse(self) -> Node:
        node = self.or_expr()
        tok = self.peek()
        if tok is not None:
            raise QuerySyntaxError("unmatched ')'", tok.pos)
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.i += 1
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(_flatten(Or, children))

    def and_expr(self) -> Node:
        children = [self.not_expr()]
        while (tok := self.peek()) is not None and tok.kind not in ("OR", ")"):
            if tok.kind == "AND":
                self.i += 1
            children.append(self.not_expr())
        return children[0] if len(children) == 1 else And(_flatten(And, children))

    def not_expr(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "NOT":
            self.i += 1
            self.enter(tok.pos)
            child = self.not_expr()
            self.depth -= 1
            return Not(child)
        return self.primary()

    def primary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "TERM":
            self.i += 1
            assert tok.node is not None
            return tok.node
        if tok is not None and tok.kind == "(":
            self.i += 1
            self.enter(tok.pos)
            after = self.peek()
            if after is not None and after.kind == ")":
                raise QuerySyntaxError("empty parentheses", tok.pos)
            node = self.or_expr()
            close = self.peek()
            if close is None or close.kind != ")":
                raise QuerySyntaxError("unclosed '('", tok.pos)
            self.i += 1
            self.depth -= 1
            return node
        raise self.missing_term(tok)

    def missing_term(self, tok: _Tok | None) -> QuerySyntaxError:
        prev = self.tokens[self.i - 1] if self.i > 0 else None
        if prev is not None and prev.kind in _OPERATORS:
            return QuerySyntaxError(f"{prev.text!r} needs a term after it", prev.pos)
        if prev is not None and prev.kind == "(" and tok is None:
            return QuerySyntaxError("unclosed '('", prev.pos)
        if tok is None:
            return QuerySyntaxError("empty query", 0)
        if tok.kind in ("AND", "OR"):
            return QuerySyntaxError(f"{tok.text!r} needs a term before it", tok.pos)
        return QuerySyntaxError("unmatched ')'", tok.pos)


def _flatten(kind: type[And] | type[Or], children: list[Node]) -> tuple[Node, ...]:
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return tuple(flat)


def parse_query(text: str) -> Query:
    """Parse a subject query; raises ``QuerySyntaxError`` pointing at the offending spot."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"query is longer than {MAX_QUERY_LENGTH} characters", MAX_QUERY_LENGTH
        )
    tokens = _lex(text)
    if not tokens:
        raise QuerySyntaxError("empty query", 0)
    root = _Parser(tokens).parse()
    return Query(text=text, root=root, _predicate=compile_node(root))


# --- matching many subjects --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompiledSubject:
    id: int
    query: Query


class SubjectMatcher:
    """Matches a post against many subjects, evaluating only plausible candidates.

    Each subject is filed under its ``required_keys``; a post gathers the subjects filed
    under its terms, plus subjects without required keys (pure NOT queries), and evaluates
    only those. Invalid stored queries are skipped and reported in ``errors`` rather than
    breaking enrichment for every other subject.
    """

    def __init__(self, subjects: Iterable[tuple[int, str]]) -> None:
        compiled: list[CompiledSubject] = []
        self.errors: dict[int, QuerySyntaxError] = {}
        for subject_id, text in subjects:
            try:
                compiled.append(CompiledSubject(subject_id, parse_query(text)))
            except QuerySyntaxError as exc:
                self.errors[subject_id] = exc
        self.subjects: tuple[CompiledSubject, ...] = tuple(compiled)

        index: dict[str, list[int]] = {}
        always: list[int] = []
        for position, subject in enumerate(compiled):
            keys = required_keys(subject.query.root)
            if keys is None:
                always.append(position)
                continue
            for key in keys:
                index.setdefault(key, []).append(position)
        self._index = {key: tuple(positions) for key, positions in index.items()}
        self._keys = frozenset(self._index)
        self._has_prefix = any(key.startswith("*") for key in self._keys)
        self._always = tuple(always)
        self._ids = tuple(s.id for s in compiled)
        self._predicates = tuple(s.query.matches for s in compiled)

    @property
    def fingerprint(self) -> str:
        """Short hash of the subject definitions, stored so a re-run can tell what matched."""
        digest = hashlib.sha256()
        for subject_id, text in sorted((s.id, s.query.text) for s in self.subjects):
            digest.update(f"{subject_id}\x00{text}\x00".encode())
        return digest.hexdigest()[:12]

    def candidates(self, post: PostTokens) -> set[int]:
        """Positions of subjects worth evaluating for ``post``."""
        found = set(self._always)
        index = self._index
        for key in self._keys.intersection(post.terms):
            found.update(index[key])
        if self._has_prefix:
            for term in post.terms:
                positions = index.get("*" + term[:MIN_PREFIX])
                if positions is not None:
                    found.update(positions)
        return found

    def match(self, post: PostTokens) -> tuple[int, ...]:
        """Sorted ids of the subjects ``post`` matches."""
        if not self._ids:
            return ()
        predicates, ids = self._predicates, self._ids
        return tuple(sorted({ids[i] for i in self.candidates(post) if predicates[i](post)}))
