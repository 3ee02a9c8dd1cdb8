package server_test

import (
	"testing"

	"moonstone/internal/testkit"
)

// Empty strings are values like any other: an empty list element, hash
// value or set member read back, popped, moved and dumped, by clients and
// by scripts (whose transactions read through their own read cache), give
// Redis's replies, never a missing one.
func TestEmptyValuesMatchRedis(t *testing.T) {
	testkit.Diff(t, `
RPUSH l "" x ""
LINDEX l 0
LPOP l
LRANGE l 0 -1
RPOPLPUSH l l2
LINDEX l2 0
HSET h f "" g v
HGET h f
HMGET h f g nosuch
HSTRLEN h f
SADD s ""
SISMEMBER s ""
SMEMBERS s
SET e ""
GET e
STRLEN e
APPEND e ""
GETRANGE e 0 -1
EVAL "redis.call('rpush', KEYS[1], '') return {redis.call('lindex', KEYS[1], -1), redis.call('lindex', KEYS[1], -1), redis.call('rpop', KEYS[1])}" 1 l3
EVAL "redis.call('hset', KEYS[1], 'f', '') return {redis.call('hget', KEYS[1], 'f'), redis.call('hget', KEYS[1], 'f'), redis.call('hexists', KEYS[1], 'f')}" 1 h2
EVAL "redis.call('set', KEYS[1], '') return {redis.call('get', KEYS[1]), redis.call('get', KEYS[1]), redis.call('strlen', KEYS[1])}" 1 e2
EVAL "return {redis.call('lpop', KEYS[1]), redis.call('hget', KEYS[2], 'f'), redis.call('get', KEYS[3])}" 3 l2 h e
`)
}
