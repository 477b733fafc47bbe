// Package faulttest holds end-to-end fault tests of the tier Manager against
// real servers with real faults: a chain SQLite -> Redis -> PostgreSQL whose
// network tiers sit behind fault proxies (internal/faultproxy), a private
// redis-server killed with SIGKILL, PostgreSQL backends terminated. The
// package has no API; everything is in its tests.
//
// Run with the services of internal/testenv, for example:
//
//	TIER_TEST_REDIS_URL=redis://127.0.0.1:6379/0 \
//	TIER_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	TIER_REQUIRE_SERVICES=1 go test -race ./internal/faulttest/
//
// and measure the cost of a down tier with
//
//	go test -run '^$' -bench GetWithRedisDown ./internal/faulttest/
package faulttest
