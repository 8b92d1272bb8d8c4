"""Shared fixtures: one throwaway PostgreSQL 15 cluster per test session, template databases
built once from the migrations (and the seed), and a fresh database per test cloned from them."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest

from glue import migrate
from glue.cluster import TemporaryCluster

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def pg_cluster():
    """A real PostgreSQL 15 server on 127.0.0.1, started for this test session."""
    with TemporaryCluster() as cluster:
        yield cluster


def _admin(cluster) -> psycopg.Connection:
    return psycopg.connect(cluster.url(), autocommit=True)


def _create_template(cluster, name: str, seeded: bool) -> str:
    with _admin(cluster) as conn:
        conn.execute(f'create database "{name}"')
    url = cluster.url(name)
    migrate.migrate(url)
    if seeded:
        migrate.seed(url)
    with _admin(cluster) as conn:
        conn.execute(f'alter database "{name}" with is_template true allow_connections false')
    return name


@pytest.fixture(scope="session")
def migrated_template(pg_cluster) -> str:
    """Name of a template database with every migration applied (no seed)."""
    return _create_template(pg_cluster, "tmpl_migrated", seeded=False)


@pytest.fixture(scope="session")
def seeded_template(pg_cluster) -> str:
    """Name of a template database with every migration applied and the seed loaded."""
    return _create_template(pg_cluster, "tmpl_seeded", seeded=True)


class FreshDatabase:
    """Creates databases cloned from a template and drops them at teardown."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.names: list[str] = []

    def __call__(self, template: str = "template1") -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with _admin(self.cluster) as conn:
            conn.execute(f'create database "{name}" template "{template}"')
        self.names.append(name)
        return self.cluster.url(name)

    def drop_all(self) -> None:
        with _admin(self.cluster) as conn:
            for name in self.names:
                conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def fresh_db(pg_cluster):
    """Factory: `fresh_db(template)` returns the URL of a new database cloned from template."""
    factory = FreshDatabase(pg_cluster)
    yield factory
    factory.drop_all()


@pytest.fixture
def db_url(fresh_db, seeded_template) -> str:
    """URL of a new database with migrations and seed, owned by this test alone."""
    return fresh_db(seeded_template)
