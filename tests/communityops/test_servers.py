import psycopg
import pytest
import redis


@pytest.mark.postgres
def test_postgres_server_answers_queries(postgres_url):
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("select 1 + 1").fetchone() == (2,)


@pytest.mark.redis
def test_redis_server_stores_and_returns(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    client.set("k", "v")
    assert client.get("k") == b"v"
