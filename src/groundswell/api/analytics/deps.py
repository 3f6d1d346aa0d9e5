"""Who reads the team's figures: leads, analysts and admins (not agents, whose figures
they are)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status

from groundswell.api.deps import ApiUser
from groundswell.auth.schemas import UserRead

TEAM_READERS = ("lead", "analyst", "admin")


def require_team_reader(user: ApiUser) -> UserRead:
    if user.role not in TEAM_READERS:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {user.role!r} may not read team figures (needs lead, analyst or admin)",
        )
    return user


TeamReader = Annotated[UserRead, Depends(require_team_reader)]
