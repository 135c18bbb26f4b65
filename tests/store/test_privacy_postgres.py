"""The forget and retention tests again on the real PostgreSQL (PACER_TEST_POSTGRES_URL):
the same app, CLI and checks, with every fixture's database on the server."""

from __future__ import annotations

import pytest

from tests.services.test_privacy import (  # noqa: F401 - collected here too, against PostgreSQL
    env,
    pytestmark,
    secret_key,
    test_forget_keeps_team_totals_and_leaves_no_trace,
    test_neither_export_nor_forget_can_link_a_rater_to_a_rating,
    test_someone_forgotten_who_comes_back_and_is_forgotten_again_is_one_pseudonym,
    test_the_retention_job_blanks_old_text_and_keeps_the_numbers,
)


@pytest.fixture
def database_url(pg_url: str) -> str:  # noqa: F811
    return pg_url
