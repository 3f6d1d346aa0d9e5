"""Sending alert notifications: the outbox claims, the senders and the dispatcher.

Deliveries are rows written with the alert change (see ``alert_outbox``); this package
sends them later, retries failures with back-off and marks them ``dead`` when it gives
up, so every notification is either sent or visibly not sent.
"""
