"""Sending notifications: the outbox claims, the senders and the dispatcher.

Deliveries are rows written together with the change they announce (an alert opening, an
SLA breaching); this package sends them later, retries failures with back-off and marks
them ``dead`` when it gives up, so every notification is either sent or visibly not sent.
It sits below listening and engagement and knows nothing of alerts or cases.
"""
