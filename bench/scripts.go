package main

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// The seed guide's sliding-window rate limiter and ledger transfer, as a
// user deploys them: loaded once, run with EVALSHA.
const (
	rateLimiterScript = `local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local current_time = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, 0, current_time - window)
local current = redis.call('ZCARD', key)
if current < limit then
redis.call('ZADD', key, current_time, current_time)
redis.call('EXPIRE', key, window)
return 1
else
return 0
end`
	transferScript = `local from_account = KEYS[1]
local to_account = KEYS[2]
local amount = tonumber(ARGV[1])
local from_balance = tonumber(redis.call('GET', from_account) or 0)
if from_balance >= amount then
redis.call('DECRBY', from_account, amount)
redis.call('INCRBY', to_account, amount)
return 1
else
return {err = 'Insufficient balance'}
end`
	fundScript = `for i = 0, tonumber(ARGV[1]) - 1 do
redis.call('SET', 'account:' .. string.format('%012d', i), ARGV[2])
end
return 1`
	accounts = 10000
)

// cli runs one command on s with redis-cli and returns its output.
func cli(s *server, args ...string) (string, error) {
	out, err := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(s.port)}, args...)...).Output()
	return strings.TrimSpace(string(out)), err
}

// loadScripts loads the rate limiter and the transfer on s and funds the
// ledger's accounts; it returns the scripts' SHA1s by load generator
// workload name.
func loadScripts(s *server) (map[string]string, error) {
	limiter, err := cli(s, "SCRIPT", "LOAD", rateLimiterScript)
	if err != nil {
		return nil, err
	}
	transfer, err := cli(s, "SCRIPT", "LOAD", transferScript)
	if err != nil {
		return nil, err
	}
	if out, err := cli(s, "EVAL", fundScript, "0", strconv.Itoa(accounts), "1000000000"); err != nil || out != "1" {
		return nil, fmt.Errorf("funding accounts on %s: %q %v", s.name, out, err)
	}
	return map[string]string{"ratelimiter": limiter, "transfer": transfer}, nil
}
