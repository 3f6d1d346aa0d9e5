"""Broker protocol and its adapters: in-process (embedded) and Redis Streams (production)."""

from groundswell.core.brokers.base import Broker, Message, open_broker

__all__ = ["Broker", "Message", "open_broker"]
