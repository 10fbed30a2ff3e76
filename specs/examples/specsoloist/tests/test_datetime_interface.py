"""The Verification block of score/datetime_interface.spec.md (a reference spec)."""

from datetime import date, timedelta


# @spec datetime-interface/verification
def test_datetime_interface_verification():
    assert date.fromisoformat("2026-04-15") == date(2026, 4, 15)
    assert date(2026, 12, 31) + timedelta(days=1) == date(2027, 1, 1)
    assert date(2026, 3, 1).isoformat() == "2026-03-01"
