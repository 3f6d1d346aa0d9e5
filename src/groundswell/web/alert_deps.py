"""Who may manage alerts on the web: admins and analysts, as for subjects."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status

from groundswell.auth.schemas import UserRead
from groundswell.web.deps import WebUser
from groundswell.web.templating import can_edit_subjects


def alert_manager(user: WebUser) -> UserRead:
    if not can_edit_subjects(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins and analysts manage alerts")
    return user


AlertManager = Annotated[UserRead, Depends(alert_manager)]
