"""Twilio's inbound message webhook parameters and Message resource, bounded."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Sid = Field(min_length=34, max_length=34, pattern=r"^[A-Z]{2}[0-9a-f]{32}$")
Phone = Field(min_length=3, max_length=40)


class InboundMessage(BaseModel):
    """The form fields Twilio POSTs for an incoming SMS (PascalCase, as sent)."""

    model_config = ConfigDict(extra="ignore")

    MessageSid: str = Sid
    AccountSid: str = Sid
    From: str = Phone
    To: str = Phone
    Body: str = Field(default="", max_length=1600)
    NumMedia: int = Field(default=0, ge=0, le=10)
    FromCity: str | None = Field(default=None, max_length=200)
    FromCountry: str | None = Field(default=None, max_length=8)


class Message(BaseModel):
    """``/2010-04-01/Accounts/{sid}/Messages/{sid}.json``."""

    model_config = ConfigDict(extra="ignore")

    sid: str = Sid
    status: str = Field(max_length=32)
    to: str = Phone
    from_: str | None = Field(default=None, alias="from", max_length=40)
    body: str = Field(default="", max_length=1600)
    date_created: str | None = Field(default=None, max_length=64)


class MessageList(BaseModel):
    model_config = ConfigDict(extra="ignore")

    messages: list[dict[str, object]] = Field(max_length=1000)


class ApiError(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: int | None = None
    message: str = Field(max_length=2000)
    more_info: str | None = Field(default=None, max_length=500)
    status: int
