"""E-mail: IMAP in from a saved UID cursor, SMTP out with RFC 5322 threading."""

from groundswell.channels.email.connector import EmailConfig, EmailConnector

__all__ = ["EmailConfig", "EmailConnector"]
