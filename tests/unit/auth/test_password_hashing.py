"""The app hashes passwords with argon2id at argon2-cffi's recommended cost.

The test suite swaps in the cheapest profile (``tests/conftest.py``); these checks keep
the app's own profile honest and show why the swap is safe: a hash carries its
parameters, so either hasher checks the other's hashes.
"""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters, profiles

from groundswell.auth import passwords


def test_the_app_profile_is_argon2id_with_64_mib_and_three_passes() -> None:
    assert passwords.PROFILE == profiles.RFC_9106_LOW_MEMORY
    stored = PasswordHasher.from_parameters(passwords.PROFILE).hash("correct horse")
    assert stored.startswith("$argon2id$")
    parameters = extract_parameters(stored)
    assert (parameters.memory_cost, parameters.time_cost) == (65536, 3)


def test_hashes_of_either_profile_check_and_wrong_passwords_fail() -> None:
    strong = PasswordHasher.from_parameters(passwords.PROFILE).hash("correct horse")
    cheap = passwords.hash_password("battery staple")
    assert passwords.verify_password(strong, "correct horse")
    assert passwords.verify_password(cheap, "battery staple")
    assert not passwords.verify_password(strong, "battery staple")
    assert not passwords.verify_password("not a hash", "correct horse")


def test_the_unknown_user_hash_costs_what_a_real_one_costs() -> None:
    stored = PasswordHasher.from_parameters(passwords.PROFILE).hash("correct horse")
    assert extract_parameters(passwords.UNKNOWN_USER_HASH) == extract_parameters(stored)
    assert not passwords.verify_password(passwords.UNKNOWN_USER_HASH, "")
