"""Where this process is reached, when nobody said: the address ``serve`` listens on.

``public_url`` goes into links sent to customers (CSAT, profiling) and into the URL a
webhook network signs (Twilio covers the full URL). Its default names port 8000; a
``serve --port 8001`` left it pointing at a port nothing listens on, so the demo's SMS
channel refused every signed message. An explicit ``GROUNDSWELL_PUBLIC_URL`` (a proxy,
a public host name) always wins.
"""

from __future__ import annotations

from groundswell.settings import Settings

ANY_ADDRESS = {"0.0.0.0", "::", ""}


def serving_url(host: str, port: int) -> str:
    """``http://host:port`` as a browser on this machine reaches it."""
    if host in ANY_ADDRESS:
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def with_serving_url(settings: Settings, host: str, port: int) -> Settings:
    """The settings with ``public_url`` following ``host``/``port`` unless it was set."""
    if "public_url" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"public_url": serving_url(host, port)})
