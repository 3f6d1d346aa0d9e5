"""The open networks as connectable kinds: Mastodon, Bluesky, Reddit, feeds, SMS (Twilio),
a generic signed webhook, Meta (Facebook/Instagram) and YouTube.

Each kind's settings model is what an admin fills in on the channels page, the API or
``groundswell channels connect``; it is validated with bounds (a 422 names the field),
and its secret fields live only in the encrypted credentials. ``build`` turns the
validated settings into the network's own config dataclass, with the account key as the
channel, so the connector the reply sender finds and the posts' channel are the account.

Polled networks give the runner a source; webhook networks give ``Built.webhook``, which
``register_configured`` and the runner put in the webhook registry the API route reads.
"""

from __future__ import annotations

from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, WebsocketUrl

from groundswell.channels.base import (
    Capabilities,
    Connector,
    Reply,
    SendError,
    SendResult,
    Source,
)
from groundswell.channels.runtime.kinds import Built, Kind


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    standin: bool = False
    """The account talks to a local stand-in (shown on the channels page)."""


def _polled(
    connector: Connector, name: str, activity: str, seconds: float, source: Source | None = None
) -> Built:
    """One polled source (the connector itself unless given), read every ``seconds``."""
    read: Source = source if source is not None else cast(Source, connector)
    return Built(connector, {name: (read, activity)}, {name: seconds})


def _url(value: HttpUrl) -> str:
    return str(value).rstrip("/")


class ReadOnly:
    """The connector of a channel that only reads (a feed, a generic webhook): it has no
    way to answer, so a reply to one of its posts is refused with a reason, not lost."""

    def __init__(self, key: str, what: str) -> None:
        self.key = key
        self.what = what

    def capabilities(self) -> Capabilities:
        return Capabilities(public=False, private=False, max_length=0, threading=False)

    def send_reply(self, reply: Reply) -> SendResult:
        raise SendError(f"{self.what} cannot be answered from Groundswell", retryable=False)

    def lookup_sent(self, reply: Reply) -> SendResult | None:
        return None


# --- Mastodon ------------------------------------------------------------------------------


class MastodonSettings(_Strict):
    base_url: HttpUrl
    """The instance, e.g. https://mastodon.social."""
    hashtags: list[str] = Field(default_factory=list, max_length=20)
    poll_seconds: float = Field(default=60.0, ge=1, le=86_400)
    access_token: str = Field(min_length=1, max_length=4000)


def _build_mastodon(key: str, s: MastodonSettings) -> Built:
    from groundswell.channels.mastodon.connector import MastodonConfig, MastodonConnector

    connector = MastodonConnector(
        MastodonConfig(
            base_url=_url(s.base_url),
            access_token=s.access_token,
            channel=key,
            hashtags=tuple(h.lstrip("#")[:100] for h in s.hashtags if h.strip("# ")),
        )
    )
    return _polled(connector, "notifications", "mentions", s.poll_seconds)


# --- Bluesky -------------------------------------------------------------------------------


class BlueskySettings(_Strict):
    base_url: HttpUrl = HttpUrl("https://bsky.social")
    identifier: str = Field(min_length=1, max_length=253)
    """The brand's handle or DID."""
    keywords: list[str] = Field(default_factory=list, max_length=20)
    poll_seconds: float = Field(default=60.0, ge=1, le=86_400)
    jetstream_url: WebsocketUrl | None = None
    """Also listen to the firehose, e.g. wss://jetstream2.us-east.bsky.network/subscribe."""
    app_password: str = Field(min_length=1, max_length=1000)


def _build_bluesky(key: str, s: BlueskySettings) -> Built:
    from groundswell.channels.bluesky.connector import BlueskyConfig, BlueskyConnector

    connector = BlueskyConnector(
        BlueskyConfig(
            base_url=_url(s.base_url),
            identifier=s.identifier,
            app_password=s.app_password,
            channel=key,
            keywords=tuple(k[:100] for k in s.keywords if k.strip()),
        )
    )
    built = _polled(connector, "notifications", "mentions", s.poll_seconds)
    if s.jetstream_url is not None:
        from groundswell.channels.bluesky.jetstream import JetstreamSource

        built.sources["jetstream"] = (JetstreamSource(connector, str(s.jetstream_url)), "mentions")
        built.poll_seconds["jetstream"] = 0.0
    return built


# --- Reddit --------------------------------------------------------------------------------


class RedditSettings(_Strict):
    client_id: str = Field(min_length=1, max_length=200)
    username: str = Field(min_length=1, max_length=100)
    subreddits: list[str] = Field(default_factory=list, max_length=50)
    oauth_url: HttpUrl = HttpUrl("https://oauth.reddit.com")
    reddit_url: HttpUrl = HttpUrl("https://www.reddit.com")
    poll_seconds: float = Field(default=120.0, ge=1, le=86_400)
    client_secret: str = Field(min_length=1, max_length=1000)
    password: str = Field(min_length=1, max_length=1000)


def _build_reddit(key: str, s: RedditSettings) -> Built:
    from groundswell.channels.reddit.connector import RedditConfig, RedditConnector

    connector = RedditConnector(
        RedditConfig(
            client_id=s.client_id,
            client_secret=s.client_secret,
            username=s.username,
            password=s.password,
            subreddits=tuple(r.removeprefix("r/")[:100] for r in s.subreddits if r.strip()),
            channel=key,
            oauth_url=_url(s.oauth_url),
            reddit_url=_url(s.reddit_url),
        )
    )
    return _polled(connector, "subreddits", "search", s.poll_seconds)


# --- RSS / Atom ----------------------------------------------------------------------------


class FeedSettings(_Strict):
    url: HttpUrl
    """The RSS or Atom feed (reviews, a forum, a status page)."""
    poll_seconds: float = Field(default=300.0, ge=10, le=86_400)


def _build_feed(key: str, s: FeedSettings) -> Built:
    from groundswell.channels.feeds.connector import FeedConfig, FeedSource

    source = FeedSource(FeedConfig(url=str(s.url), channel=key))
    return _polled(ReadOnly(key, "a feed"), "feed", "search", s.poll_seconds, source)


# --- SMS (Twilio) --------------------------------------------------------------------------


class SmsSettings(_Strict):
    account_sid: str = Field(min_length=34, max_length=34, pattern=r"^AC[0-9a-fA-F]{32}$")
    from_number: str = Field(min_length=2, max_length=20, pattern=r"^\+[1-9][0-9]{1,15}$")
    webhook_url: HttpUrl
    """The public URL Twilio posts to (its signature covers it): …/api/v1/webhooks/<key>."""
    api_base: HttpUrl = HttpUrl("https://api.twilio.com")
    auth_token: str = Field(min_length=1, max_length=200)


def _build_sms(key: str, s: SmsSettings) -> Built:
    from groundswell.channels.sms.connector import TwilioConfig, TwilioSms

    sms = TwilioSms(
        TwilioConfig(
            account_sid=s.account_sid,
            auth_token=s.auth_token,
            from_number=s.from_number,
            webhook_url=str(s.webhook_url),
            api_base=_url(s.api_base),
            channel=key,
        )
    )
    return Built(sms, webhook=sms)


# --- generic signed webhook ----------------------------------------------------------------


class WebhookSettings(_Strict):
    tolerance_seconds: int = Field(default=300, ge=30, le=3600)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=10 * 1024 * 1024)
    secret: str = Field(min_length=16, max_length=1000)


def _build_webhook(key: str, s: WebhookSettings) -> Built:
    from groundswell.channels.webhook.connector import GenericWebhook, GenericWebhookConfig

    hook = GenericWebhook(
        GenericWebhookConfig(
            secret=s.secret.encode(),
            channel=key,
            tolerance_seconds=s.tolerance_seconds,
            max_body_bytes=s.max_body_bytes,
        )
    )
    return Built(ReadOnly(key, "a generic webhook"), webhook=hook)


# --- Meta (Facebook / Instagram) -----------------------------------------------------------


class MetaSettings(_Strict):
    network: Literal["facebook", "instagram"] = "facebook"
    graph_url: HttpUrl = HttpUrl("https://graph.facebook.com")
    api_version: str = Field(default="v21.0", pattern=r"^v[0-9]{1,3}\.[0-9]{1,2}$")
    verify_token: str = Field(min_length=8, max_length=200)
    app_secret: str = Field(min_length=1, max_length=200)
    page_access_token: str = Field(min_length=1, max_length=4000)


def _build_meta(key: str, s: MetaSettings) -> Built:
    from groundswell.channels.meta.connector import MetaChannel, MetaConfig

    meta = MetaChannel(
        MetaConfig(
            app_secret=s.app_secret,
            verify_token=s.verify_token,
            page_access_token=s.page_access_token,
            network=s.network,
            channel=key,
            graph_url=_url(s.graph_url),
            api_version=s.api_version,
        )
    )
    return Built(meta, webhook=meta)


# --- YouTube -------------------------------------------------------------------------------


class YouTubeSettings(_Strict):
    channel_id: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    api_base: HttpUrl = HttpUrl("https://www.googleapis.com")
    poll_seconds: float = Field(default=600.0, ge=60, le=86_400)
    """Comment threads cost quota; ten minutes keeps a day within the default quota."""
    access_token: str = Field(min_length=1, max_length=4000)


def _build_youtube(key: str, s: YouTubeSettings) -> Built:
    from groundswell.channels.youtube.connector import YouTubeConfig, YouTubeConnector

    connector = YouTubeConnector(
        YouTubeConfig(
            channel_id=s.channel_id,
            access_token=s.access_token,
            channel=key,
            api_base=_url(s.api_base),
        )
    )
    return _polled(connector, "comments", "mentions", s.poll_seconds)


OPEN_KINDS = (
    Kind(
        "mastodon",
        "Mastodon",
        MastodonSettings,
        ("access_token",),
        _build_mastodon,
        "mastodon",
        {"base_url": "https://mastodon.social", "hashtags": ["yourbrand"]},
        outbound_fields=("base_url",),
    ),
    Kind(
        "bluesky",
        "Bluesky",
        BlueskySettings,
        ("app_password",),
        _build_bluesky,
        "bluesky",
        {
            "base_url": "https://bsky.social",
            "identifier": "yourbrand.bsky.social",
            "keywords": ["your brand"],
            "jetstream_url": "wss://jetstream2.us-east.bsky.network/subscribe",
        },
        outbound_fields=("base_url", "jetstream_url"),
    ),
    Kind(
        "reddit",
        "Reddit",
        RedditSettings,
        ("client_secret", "password"),
        _build_reddit,
        "reddit",
        {
            "client_id": "your-app-client-id",
            "username": "yourbrand_care",
            "subreddits": ["yourbrand"],
        },
        outbound_fields=("oauth_url", "reddit_url"),
    ),
    Kind(
        "feed",
        "RSS / Atom feed",
        FeedSettings,
        (),
        _build_feed,
        "reviews",
        {"url": "https://reviews.example.com/yourbrand/feed.xml", "poll_seconds": 300},
        outbound_fields=("url",),
    ),
    Kind(
        "sms",
        "SMS (Twilio)",
        SmsSettings,
        ("auth_token",),
        _build_sms,
        "sms",
        {
            "account_sid": "AC0123456789abcdef0123456789abcdef",
            "from_number": "+15005550006",
            "webhook_url": "https://crm.example.com/api/v1/webhooks/sms",
        },
        outbound_fields=("api_base",),
    ),
    Kind(
        "webhook",
        "Generic signed webhook",
        WebhookSettings,
        ("secret",),
        _build_webhook,
        "webhook",
        {"tolerance_seconds": 300, "max_body_bytes": 1048576},
    ),
    Kind(
        "meta",
        "Meta (Facebook / Instagram)",
        MetaSettings,
        ("app_secret", "verify_token", "page_access_token"),
        _build_meta,
        "facebook",
        {"network": "facebook", "api_version": "v21.0"},
        outbound_fields=("graph_url",),
    ),
    Kind(
        "youtube",
        "YouTube comments",
        YouTubeSettings,
        ("access_token",),
        _build_youtube,
        "youtube",
        {"channel_id": "UCyourChannelId0123456789", "poll_seconds": 600},
        outbound_fields=("api_base",),
    ),
)
