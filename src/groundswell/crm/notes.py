"""Tags and notes on a contact: add, remove, list; every entry says who wrote it."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.models import Contact
from groundswell.crm.note_models import ContactNote, ContactTag

TAG = re.compile(r"^[a-z0-9][a-z0-9 _.-]{0,62}[a-z0-9]?$")
MAX_NOTE = 5000


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    author: str
    text: str
    created_at: datetime


def _contact(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError("contact", contact_id)
    return contact


def normalise_tag(raw: str) -> str:
    tag = " ".join(raw.strip().lower().split())
    if not TAG.match(tag):
        raise InvalidInputError(
            "a tag is 1–64 letters, digits, spaces, '_', '.' or '-'", field="tag"
        )
    return tag


def add_tag(session: Session, *, contact_id: int, tag: str, actor: str) -> list[str]:
    _contact(session, contact_id)
    value = normalise_tag(tag)
    if value not in tags_of(session, contact_id=contact_id):
        session.add(ContactTag(contact_id=contact_id, tag=value, created_by=actor[:200]))
        session.flush()
    return tags_of(session, contact_id=contact_id)


def remove_tag(session: Session, *, contact_id: int, tag: str) -> list[str]:
    _contact(session, contact_id)
    session.execute(
        delete(ContactTag).where(
            ContactTag.contact_id == contact_id, ContactTag.tag == normalise_tag(tag)
        )
    )
    return tags_of(session, contact_id=contact_id)


def tags_of(session: Session, *, contact_id: int) -> list[str]:
    return sorted(
        set(session.scalars(select(ContactTag.tag).where(ContactTag.contact_id == contact_id)))
    )


def add_note(session: Session, *, contact_id: int, text: str, actor: str) -> NoteRead:
    _contact(session, contact_id)
    body = text.strip()
    if not body or len(body) > MAX_NOTE:
        raise InvalidInputError(f"a note is 1–{MAX_NOTE} characters", field="text")
    note = ContactNote(contact_id=contact_id, author=actor[:200], text=body)
    session.add(note)
    session.flush()
    return NoteRead.model_validate(note)


def notes_of(session: Session, *, contact_id: int, limit: int = 100) -> list[NoteRead]:
    rows = session.scalars(
        select(ContactNote)
        .where(ContactNote.contact_id == contact_id)
        .order_by(ContactNote.id.desc())
        .limit(limit)
    )
    return [NoteRead.model_validate(r) for r in rows]
