// Package clienttest runs real Redis client libraries (go-redis v9 in its
// default RESP3 mode and with its client-side cache, redis_rate, redsync,
// ulule/limiter) against Moonstone
// and against a real redis-server in the same test, and compares what the
// libraries report. It holds tests only.
package clienttest
