"""Domain names: normalized once, anything else refused with the accepted form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tixpilot.models.domains import normalize_domain


@pytest.mark.parametrize(
    ("given_", "expected"),
    [("example.com", "example.com"), ("Mail.Example.COM", "mail.example.com"), ("a-b.co.uk.", "a-b.co.uk")],
)
def test_valid_domains_are_lowercased(given_, expected):
    assert normalize_domain(given_) == expected


@pytest.mark.parametrize(
    "bad", ["", "localhost", "a..b", "-a.com", "a-.com", "has space.com", "a@b.com", "é.com"]
)
def test_invalid_domains_are_refused_with_the_accepted_form(bad):
    with pytest.raises(ValueError, match=r"example\.com"):
        normalize_domain(bad)


@given(st.text(max_size=80))
def test_normalize_either_refuses_or_returns_a_fixed_point(text):
    try:
        domain = normalize_domain(text)
    except ValueError:
        return
    assert normalize_domain(domain) == domain
    assert domain == domain.lower() and "." in domain and " " not in domain
