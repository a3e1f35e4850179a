package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/proxy"
)

// The store keeps proxy mode's contract violations for every replica: a
// stream capped at exactly as many entries as the journal's bound
// (Options.JournalEntries), as proxy mode in memory keeps as many
// violations as journal entries, and the number found since the last
// clear. A violation's number is its entry's ID, <number>-0, so every
// replica numbers, and pages, them alike.
var _ proxy.ViolationLog = (*Store)(nil)

func (s *Store) violationsKey() string { return s.prefix + "violations" }

func (s *Store) violationsTotalKey() string { return s.prefix + "violations:total" }

// addViolationsScript numbers the violations ARGV[2..] on from the total
// (KEYS[2]) and adds them to the stream KEYS[1], capped at ARGV[1]
// entries, at once; it answers the new total.
var addViolationsScript = redis.NewScript(`
local n = #ARGV - 1
local total = redis.call('INCRBY', KEYS[2], n)
for i = 1, n do
  local id = string.format('%d-0', total - n + i)
  redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], id, 'v', ARGV[i + 1])
end
return total
`)

// AddViolations keeps vs after the violations every replica found, in one
// script: no replica's numbers interleave with another's.
func (s *Store) AddViolations(ctx context.Context, vs []admin.Violation) error {
	if len(vs) == 0 {
		return nil
	}
	args := make([]any, 0, 1+len(vs))
	args = append(args, s.journalEntries)
	for _, v := range vs {
		encoded, err := json.Marshal(v)
		if err != nil {
			return err
		}
		args = append(args, encoded)
	}
	err := addViolationsScript.Run(ctx, s.rdb, []string{s.violationsKey(), s.violationsTotalKey()}, args...).Err()
	if err != nil {
		return s.failed(err)
	}
	s.health.succeeded()
	return nil
}

// ViolationPage reads the total and the stream after after at once, so
// that a page never mixes the violations of before and after a clear.
func (s *Store) ViolationPage(ctx context.Context, q admin.ViolationQuery, after uint64, limit int) (admin.ViolationList, error) {
	var total *redis.StringCmd
	var entries *redis.XMessageSliceCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		total = p.Get(ctx, s.violationsTotalKey())
		entries = p.XRange(ctx, s.violationsKey(), "("+strconv.FormatUint(after, 10)+"-0", "+")
		return nil
	})
	if err == nil || errors.Is(err, redis.Nil) {
		// A pipeline answers the first error of its commands: no total
		// yet is no error, but the stream's own still counts.
		err = entries.Err()
	}
	if err != nil {
		return admin.ViolationList{}, s.failed(err)
	}
	s.health.succeeded()
	var found uint64
	if v := total.Val(); v != "" {
		if found, err = strconv.ParseUint(v, 10, 64); err != nil {
			return admin.ViolationList{}, fmt.Errorf("stored violation total %q: %w", v, err)
		}
	}
	msgs := entries.Val()
	kept := make([]proxy.NumberedViolation, len(msgs))
	for i, m := range msgs {
		if kept[i], err = decodeViolation(m); err != nil {
			return admin.ViolationList{}, err
		}
	}
	return proxy.PageViolations(kept, found, q, after, limit), nil
}

// decodeViolation reads a stream entry the add script wrote.
func decodeViolation(m redis.XMessage) (proxy.NumberedViolation, error) {
	number, _, _ := strings.Cut(m.ID, "-")
	n, err := strconv.ParseUint(number, 10, 64)
	if err != nil {
		return proxy.NumberedViolation{}, fmt.Errorf("stored violation %s: %w", m.ID, err)
	}
	encoded, _ := m.Values["v"].(string)
	out := proxy.NumberedViolation{Number: n}
	if err := json.Unmarshal([]byte(encoded), &out.Violation); err != nil {
		return proxy.NumberedViolation{}, fmt.Errorf("stored violation %s: %w", m.ID, err)
	}
	return out, nil
}

// ClearViolations forgets the violations and their total, for every
// replica, in one DEL, which Redis applies at once.
func (s *Store) ClearViolations(ctx context.Context) error {
	if err := s.rdb.Del(ctx, s.violationsKey(), s.violationsTotalKey()).Err(); err != nil {
		return s.failed(err)
	}
	s.health.succeeded()
	return nil
}
