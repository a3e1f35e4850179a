package redisstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// countsMarker is a field every counts hash holds, so that one whose counts
// are all 0 still exists, and a generation without one is told apart.
const countsMarker = "_"

// countsScript reads the current generation's counts hash. A generation
// written before counts were kept has none: the script then counts its
// transactions by state, once, and keeps the hash from then on; a
// count-only value's counts (countOnlyMark) come before its document.
var countsScript = redis.NewScript(`
local gen = redis.call('GET', KEYS[1]) or '0'
local h = ARGV[1] .. gen
local c = h .. ':counts'
if redis.call('EXISTS', c) == 0 then
  redis.call('HSET', c, '_', 1)
  for _, v in ipairs(redis.call('HVALS', h)) do
    local ok, t = pcall(cjson.decode, string.match(v, '^=%d+ %d+ (.*)$') or v)
    local st = ok and type(t) == 'table' and t.state or ''
    redis.call('HINCRBY', c, tostring(st), 1)
  end
end
return redis.call('HGETALL', c)
`)

// Counts reads the counts hash the writing scripts keep: one small hash,
// whatever the number of transactions.
func (s *Store) Counts(ctx context.Context) (map[transaction.State]int, error) {
	res, err := countsScript.Run(ctx, s.rdb, []string{s.genKey()}, s.prefix+"txs:").StringSlice()
	if err != nil {
		return nil, s.failed(err)
	}
	s.health.succeeded()
	out := make(map[transaction.State]int, len(transaction.States))
	for _, st := range transaction.States {
		out[st] = 0
	}
	for i := 0; i+1 < len(res); i += 2 {
		if res[i] == countsMarker {
			continue
		}
		n, err := strconv.Atoi(res[i+1])
		if err != nil {
			return nil, fmt.Errorf("stored transaction counts: %s is %q", res[i], res[i+1])
		}
		if _, known := out[transaction.State(res[i])]; known {
			out[transaction.State(res[i])] = n
		}
	}
	return out, nil
}

// countStates counts txs by state.
func countStates(txs []recharge.Transaction) map[transaction.State]int {
	c := map[transaction.State]int{}
	for _, t := range txs {
		c[t.State]++
	}
	return c
}
