"""Which new passwords are accepted: long enough and not easy to guess.

Strength is zxcvbn's estimate (0–4), which knows common passwords, dictionary words,
keyboard patterns, dates and the user's own email and name; length alone lets
``password1234`` through.
"""

from __future__ import annotations

from dataclasses import dataclass

from zxcvbn import zxcvbn

from groundswell.core.errors import InvalidInputError
from groundswell.settings import Settings

# zxcvbn's work grows faster than length and it refuses more than 72 characters; a
# password longer than that is judged on its first 72 (still hard to guess if strong).
_ESTIMATE_CHARS = 72


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 12
    min_strength: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordPolicy:
        return cls(
            min_length=settings.password_min_length, min_strength=settings.password_min_strength
        )

    def check(self, password: str, *, user_inputs: tuple[str, ...] = ()) -> None:
        """Raise ``InvalidInputError`` (field ``password``) saying what is wrong."""
        if len(password) < self.min_length:
            raise InvalidInputError(
                f"must be at least {self.min_length} characters long", field="password"
            )
        if self.min_strength <= 0:
            return
        inputs = [part for value in user_inputs for part in _parts(value)]
        result = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=inputs)
        if int(result["score"]) < self.min_strength:
            feedback = result.get("feedback") or {}
            hint = feedback.get("warning") or "it is too easy to guess"
            suggestions = " ".join(feedback.get("suggestions") or [])
            message = f"is too weak: {hint.rstrip('.')}."
            if suggestions:
                message += f" {suggestions}"
            raise InvalidInputError(message, field="password")


def _parts(value: str) -> list[str]:
    """An email counts as its whole and its local part, so ``ana@x`` flags ``ana…``."""
    value = value.strip().lower()
    if not value:
        return []
    local = value.partition("@")[0]
    return [value, local] if local != value else [value]
