"""One test per Reddit fixture (the JSON API's listings, ``api_type=json`` and OAuth bodies)."""

from __future__ import annotations

from channels_testing import fixture_names, load_fixture
from groundswell.channels.reddit.mapping import comment_to_post, link_to_post
from groundswell.channels.reddit.schemas import Child, Comment, Link, Listing, TokenResponse
from groundswell.ingestion.schemas import InboundPost

TESTED = {
    "listing_new_submissions.json",
    "listing_comments.json",
    "listing_deleted_comment.json",
    "comment_reply_response.json",
    "comment_error_ratelimit.json",
    "access_token.json",
    "error_invalid_grant.json",
    "error_too_many_requests.json",
}


def first_child(name: str) -> Child:
    listing = Listing.model_validate(load_fixture("reddit", name))
    return Child.model_validate(listing.data.children[0])


def test_every_fixture_has_a_test() -> None:
    assert set(fixture_names("reddit")) == TESTED


def test_listing_new_submissions() -> None:
    child = first_child("listing_new_submissions.json")
    assert child.kind == "t3"
    post = InboundPost.model_validate(
        link_to_post(Link.model_validate(child.data), channel="reddit")
    )
    assert post.external_id == "t3_1gx7k2p"
    assert post.text.startswith("Lost bag, no answer from support for two days\n\nFlew LIS-OPO")
    assert post.author.external_id == "frequent_flyer_88"
    assert post.author.handle == "u/frequent_flyer_88"
    assert post.engagement.replies == 3
    assert post.url is not None and post.url.startswith("https://www.reddit.com/r/acmeair/")


def test_listing_comments_thread_to_their_parent() -> None:
    child = first_child("listing_comments.json")
    post = InboundPost.model_validate(
        comment_to_post(Comment.model_validate(child.data), channel="reddit")
    )
    assert post.external_id == "t1_lyk3m9q"
    assert post.reply_to_external_id == "t3_1gx7k2p"


def test_listing_deleted_comment_is_skipped() -> None:
    child = first_child("listing_deleted_comment.json")
    assert comment_to_post(Comment.model_validate(child.data), channel="reddit") is None


def test_comment_reply_response() -> None:
    envelope = load_fixture("reddit", "comment_reply_response.json")
    assert envelope["json"]["errors"] == []
    thing = Child.model_validate(envelope["json"]["data"]["things"][0])
    comment = Comment.model_validate(thing.data)
    assert comment.parent_id == "t1_lyk3m9q" and comment.author == "acme_support"


def test_comment_error_ratelimit() -> None:
    errors = load_fixture("reddit", "comment_error_ratelimit.json")["json"]["errors"]
    assert errors[0][0] == "RATELIMIT"


def test_access_token() -> None:
    token = TokenResponse.model_validate(load_fixture("reddit", "access_token.json"))
    assert token.token_type == "bearer" and token.expires_in == 86400


def test_error_invalid_grant() -> None:
    assert load_fixture("reddit", "error_invalid_grant.json") == {"error": "invalid_grant"}


def test_error_too_many_requests() -> None:
    assert load_fixture("reddit", "error_too_many_requests.json")["error"] == 429
