"""The webhook endpoint's slug pattern (glue.webhooks.SLUG) is the check constraint on
public.partner_lms_providers.slug, as its comment says."""

from __future__ import annotations

import re

from glue.webhooks import SLUG


def test_the_slug_pattern_is_the_partner_slug_constraint(sql):
    (row,) = sql(
        "select pg_get_constraintdef(c.oid) as def from pg_constraint c"
        " join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)"
        " where c.conrelid = 'public.partner_lms_providers'::regclass and c.contype = 'c' and a.attname = 'slug'"
    )
    match = re.fullmatch(r"CHECK \(\(slug ~ '(.*)'::text\)\)", row["def"])
    assert match, row["def"]
    assert match.group(1) == SLUG.pattern
