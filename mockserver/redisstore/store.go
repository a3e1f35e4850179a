// Package redisstore keeps the sandbox's state in Redis, so that several
// aopay-mock processes behind one load balancer are one sandbox.
//
// Every read-modify-write is atomic in Redis. A transaction's update reads
// the stored value, computes the next one in Go, and writes it with a Lua
// compare-and-set that succeeds only when the stored value, and the store's
// generation, are still the ones read; otherwise it reads again. An
// enquiry of a transaction that only counts enquiries any more
// (recharge.Transaction.CountOnly) is counted by one script, in Redis,
// with neither a read before it nor a retry. That script also checks the
// shared version the enquiry's process assumes (recharge.AssumedVersion),
// so an enquiry reads no version before it either. A reset
// builds the new generation's transactions aside and makes them current in
// one script, so no reader on any replica sees a store between the two.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/journal"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

var (
	_ recharge.Store              = (*Store)(nil)
	_ recharge.Settings           = (*Store)(nil)
	_ recharge.ConditionalDeleter = (*Store)(nil)
	_ recharge.Records            = (*Store)(nil)
	_ recharge.WriteHealth        = (*Store)(nil)
	_ recharge.Shared             = (*Store)(nil)
	_ recharge.RecordUpdater      = (*Store)(nil)
	_ recharge.EnquiryCounter     = (*Store)(nil)
	_ journal.Feed                = (*Store)(nil)
)

// DefaultPrefix starts every key the store writes, so a Redis database can
// hold other data beside one sandbox.
const DefaultPrefix = "aopay:"

// maxAttempts bounds the compare-and-set retries of one update: a key
// updated this often at once is contended beyond what a sandbox meets.
const maxAttempts = 1000

// Store is a recharge.Store, Settings and Records in one Redis database.
// Transactions are JSON documents, the same as the bbolt store's, in one
// hash per generation; a count-only one's counts are written before its
// document (encode).
type Store struct {
	// stripes queue this process's updates of one transaction, so that
	// they meet in Redis one at a time and only other replicas' updates
	// make a compare-and-set retry.
	stripes [256]sync.Mutex
	// documents spare counted enquiries the decoding of a document
	// decoded before (decodeCounted).
	documents [64]documentSlot
	rdb       redis.UniversalClient
	// batched sends the commands every enquiry makes, from all the
	// requests under way at once, down one connection together (the
	// client's autopipelining): a command then costs Redis and this
	// process a share of a read and a write rather than one each.
	batched        *redis.AutoPipeliner
	prefix         string
	health         health
	journalEntries int64
}

// Options configure Open.
type Options struct {
	// Prefix starts every key; DefaultPrefix when empty.
	Prefix string
	// ConnectTimeout bounds how long Open retries an unreachable server.
	ConnectTimeout time.Duration
	// Logger hears of an outage once as it begins and once as it ends.
	Logger *slog.Logger
	// JournalEntries bounds the shared request journal, roughly, and the
	// violations kept, exactly; DefaultJournalEntries when not positive.
	JournalEntries int64
}

// ErrUnavailable is transaction.ErrUnavailable: every error of a Redis
// server that cannot be reached or does not answer wraps it.
var ErrUnavailable = transaction.ErrUnavailable

// Open connects to the Redis server at url (redis://, rediss://, with a
// password and database in the URL), retrying for opts.ConnectTimeout.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("--redis %s: %w", redactURL(url), err)
	}
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = 2*time.Second, 2*time.Second, 2*time.Second
	o.MaxRetries = 1
	// A refused dial is an outage, answered at once: the client's default
	// of five dials a command would hold every request of an outage for
	// most of a second, and one through the batching for twice as long.
	o.DialerRetries = 1
	// The client's own log would print a line per failed dial, each
	// request of an outage; the store logs an outage once itself.
	redis.SetLogger(quiet{})
	client := redis.NewClient(o)
	batching := redis.DefaultBlockingAutoPipelineOptions()
	// A batch goes once a few commands wait, rather than after the wave
	// of commands the library expects from callers that each send their
	// next at once: a request here sends its next only after work of its
	// own, and waiting for it cost a sixth of the throughput on one
	// transaction in demand (DEVELOPMENT.md).
	batching.MaxBatchSize = 4
	batched, err := client.AutoPipelineWithOptions(batching)
	if err != nil {
		client.Close()
		return nil, err
	}
	s := &Store{rdb: client, batched: batched, prefix: opts.Prefix}
	s.health.log = opts.Logger
	s.journalEntries = opts.JournalEntries
	if s.journalEntries <= 0 {
		s.journalEntries = DefaultJournalEntries
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	deadline := time.Now().Add(opts.ConnectTimeout)
	for {
		err = s.rdb.Ping(ctx).Err()
		if err == nil {
			return s, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.rdb.Close()
			return nil, fmt.Errorf("redis at %s did not answer within %s: %w", redactURL(url), opts.ConnectTimeout, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// quiet is a go-redis logger that prints nothing.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// Close releases the connections.
func (s *Store) Close() error { return s.rdb.Close() }

// Client is the store's Redis client, for the other shared state of the
// sandbox (clock, fault counts, journal) kept beside the transactions.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Key is name under the store's prefix.
func (s *Store) Key(name string) string { return s.prefix + name }

// redactURL hides a password in a Redis URL.
func redactURL(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return url
	}
	user, _, _ := strings.Cut(userinfo, ":")
	return scheme + "://" + user + ":xxxxx@" + host
}

func (s *Store) genKey() string { return s.prefix + "gen" }

func (s *Store) txsKey(gen string) string { return s.prefix + "txs:" + gen }

// countsKey is the hash counting a generation's transactions by state,
// kept by the scripts that write them, so that Counts never lists them.
func (s *Store) countsKey(gen string) string { return s.txsKey(gen) + ":counts" }

// field is a transaction's field in its generation's hash. It is injective
// because a registration ID with a NUL byte is refused: the first NUL always
// ends the registration ID.
func field(k transaction.Key) (string, error) {
	if strings.IndexByte(k.RegistrationID, 0) >= 0 {
		return "", transaction.Errorf(transaction.EINVALID, "registrationId must not contain a NUL byte")
	}
	return k.RegistrationID + "\x00" + k.ReferenceID, nil
}

// countOnlyMark starts the value of a count-only transaction
// (recharge.Transaction.CountOnly): its counts, Enquiries then
// StateEnquiries, in decimal, each followed by a space, then its JSON
// document, whose own counts they override. enquiryCountScript counts an
// enquiry of it by rewriting them alone.
const countOnlyMark = '='

// encode is t's value in its generation's hash.
func encode(t recharge.Transaction) ([]byte, error) {
	doc, err := json.Marshal(t)
	if err != nil || !t.CountOnly() {
		return doc, err
	}
	out := make([]byte, 0, len(doc)+24)
	out = append(out, countOnlyMark)
	out = strconv.AppendInt(out, int64(t.Enquiries), 10)
	out = append(out, ' ')
	out = strconv.AppendInt(out, int64(t.StateEnquiries), 10)
	out = append(out, ' ')
	return append(out, doc...), nil
}

// decode reads a value encode wrote in field f.
func decode(f string, value string) (recharge.Transaction, error) {
	c, err := splitValue(value)
	if err != nil {
		return recharge.Transaction{}, valueError(f, err)
	}
	var t recharge.Transaction
	if err := json.Unmarshal([]byte(c.doc), &t); err != nil {
		return recharge.Transaction{}, valueError(f, err)
	}
	c.apply(&t)
	return t, nil
}

func valueError(f string, err error) error {
	return fmt.Errorf("stored transaction %q: %w", strings.ReplaceAll(f, "\x00", "/"), err)
}

// storedValue is a value encode wrote, its counts apart from its document
// when it is count-only.
type storedValue struct {
	doc                       string
	countOnly                 bool
	enquiries, stateEnquiries int
}

func splitValue(value string) (storedValue, error) {
	if len(value) == 0 || value[0] != countOnlyMark {
		return storedValue{doc: value}, nil
	}
	v := storedValue{countOnly: true}
	var err error
	if v.enquiries, v.doc, err = cutCount(value[1:]); err != nil {
		return v, err
	}
	v.stateEnquiries, v.doc, err = cutCount(v.doc)
	return v, err
}

// apply gives t the counts of a count-only value.
func (v storedValue) apply(t *recharge.Transaction) {
	if v.countOnly {
		t.Enquiries, t.StateEnquiries = v.enquiries, v.stateEnquiries
	}
}

// cutCount reads the decimal count that starts s up to its space.
func cutCount(s string) (n int, rest string, err error) {
	digits, rest, ok := strings.Cut(s, " ")
	if !ok {
		return 0, "", errors.New("count-only value without its counts")
	}
	n, err = strconv.Atoi(digits)
	return n, rest, err
}

// documentSlot keeps the count-only document last decoded among the
// fields of a slot (slotOf): counting an enquiry rewrites only the counts
// before it, so each enquiry of a transaction in demand does not decode
// the same document again.
type documentSlot struct {
	mu  sync.Mutex
	doc string
	t   recharge.Transaction
}

// decodeCounted is decode of a value of field f that enquiryCountScript
// wrote.
func (s *Store) decodeCounted(f, value string) (recharge.Transaction, error) {
	c, err := splitValue(value)
	if err != nil || !c.countOnly {
		return decode(f, value)
	}
	slot := &s.documents[slotOf(f)%uint32(len(s.documents))]
	slot.mu.Lock()
	t, hit := slot.t, slot.doc == c.doc
	slot.mu.Unlock()
	if !hit {
		// A fresh value: the document leaves empty fields out, which
		// decoding over the slot's transaction would keep from another.
		t = recharge.Transaction{}
		if err := json.Unmarshal([]byte(c.doc), &t); err != nil {
			return recharge.Transaction{}, valueError(f, err)
		}
		slot.mu.Lock()
		slot.doc, slot.t = c.doc, t
		slot.mu.Unlock()
	}
	// The slot's pointers stay its own.
	t.Resolve, t.Refund, t.DateRefunded = clone(t.Resolve), clone(t.Refund), clone(t.DateRefunded)
	c.apply(&t)
	return t, nil
}

func clone[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func notFound(k transaction.Key) error {
	return transaction.Errorf(transaction.ENOTFOUND, "no transaction %s", k)
}

// getScript reads the current generation and a field of its hash at once.
var getScript = redis.NewScript(`
local gen = redis.call('GET', KEYS[1]) or '0'
local v = redis.call('HGET', ARGV[1] .. gen, ARGV[2])
return {gen, v}
`)

// casScript writes (or, with an empty new value, deletes) a field of the
// current generation's hash when the generation is still ARGV[3] and the
// field still holds ARGV[4] (ARGV[5] "0": the field must be missing).
// It answers 1 when it wrote, 0 when the read is stale, 2 while a
// replacement holds the store (KEYS[2]). Having written, it counts a
// transaction less in state ARGV[7] and one more in state ARGV[8] (none
// when empty) in the generation's counts hash, when it has one.
var casScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
local gen = redis.call('GET', KEYS[1]) or '0'
if gen ~= ARGV[3] then return 0 end
local h = ARGV[1] .. gen
local cur = redis.call('HGET', h, ARGV[2])
if ARGV[5] == '0' then
  if cur then return 0 end
elseif cur ~= ARGV[4] then
  return 0
end
if ARGV[6] == '' then
  redis.call('HDEL', h, ARGV[2])
else
  redis.call('HSET', h, ARGV[2], ARGV[6])
end
local c = h .. ':counts'
if ARGV[7] ~= ARGV[8] and redis.call('EXISTS', c) == 1 then
  if ARGV[7] ~= '' then redis.call('HINCRBY', c, ARGV[7], -1) end
  if ARGV[8] ~= '' then redis.call('HINCRBY', c, ARGV[8], 1) end
end
return 1
`)

// read is a field of the current generation: its value, whether it exists,
// and the generation read.
func (s *Store) read(ctx context.Context, f string) (value string, found bool, gen string, err error) {
	res, err := getScript.Run(ctx, s.rdb, []string{s.genKey()}, s.prefix+"txs:", f).Slice()
	if err != nil {
		return "", false, "", s.failed(err)
	}
	s.health.succeeded()
	gen, _ = res[0].(string)
	value, found = res[1].(string)
	return value, found, gen, nil
}

// compareAndSet writes next ("" deletes) over the value read in generation
// gen; false when another writer came first. While a replacement holds the
// store it waits for it to end, then answers false, so the caller reads
// the new content.
// oldState and nextState are the states of old and next, "" for none.
func (s *Store) compareAndSet(ctx context.Context, f, gen, old string, found bool, next string, oldState, nextState transaction.State) (bool, error) {
	mustExist := "1"
	if !found {
		mustExist = "0"
	}
	n, err := casScript.Run(ctx, s.rdb, []string{s.genKey(), s.lockKey()}, s.prefix+"txs:", f, gen, old, mustExist, next, string(oldState), string(nextState)).Int()
	if err != nil {
		return false, s.failed(err)
	}
	s.health.succeeded()
	if n == 2 {
		return false, s.awaitReplacement(ctx)
	}
	return n == 1, nil
}

func (s *Store) lockKey() string { return s.prefix + "replacing" }

// replaceHold bounds how long a replacement may hold the store: a replica
// killed mid-replacement leaves a hold that lapses by itself.
const replaceHold = 60 * time.Second

// awaitReplacement waits until no replacement holds the store.
func (s *Store) awaitReplacement(ctx context.Context) error {
	wait := time.Millisecond
	deadline := time.Now().Add(replaceHold)
	for time.Now().Before(deadline) {
		n, err := s.rdb.Exists(ctx, s.lockKey()).Result()
		if err != nil {
			return s.failed(err)
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 20*time.Millisecond)
	}
	return errors.New("a reset of the store has held it longer than " + replaceHold.String())
}

func (s *Store) Get(ctx context.Context, key transaction.Key) (recharge.Transaction, error) {
	f, err := field(key)
	if err != nil {
		return recharge.Transaction{}, err
	}
	v, found, _, err := s.read(ctx, f)
	if err != nil {
		return recharge.Transaction{}, err
	}
	if !found {
		return recharge.Transaction{}, notFound(key)
	}
	return decode(f, v)
}

func (s *Store) Put(ctx context.Context, t recharge.Transaction) error {
	_, err := s.Update(ctx, t.Key, func(recharge.Transaction, bool) (recharge.Transaction, error) { return t, nil })
	return err
}

func (s *Store) Delete(ctx context.Context, key transaction.Key) error {
	deleted, err := s.DeleteIf(ctx, key, func(recharge.Transaction) bool { return true })
	if err == nil && !deleted {
		return notFound(key)
	}
	return err
}

// DeleteIf deletes the transaction at key if it exists and cond accepts it,
// atomically: a transaction changed after cond saw it is read again.
func (s *Store) DeleteIf(ctx context.Context, key transaction.Key, cond func(recharge.Transaction) bool) (bool, error) {
	f, err := field(key)
	if err != nil {
		return false, err
	}
	for range maxAttempts {
		v, found, gen, err := s.read(ctx, f)
		if err != nil || !found {
			return false, err
		}
		t, err := decode(f, v)
		if err != nil {
			return false, err
		}
		if !cond(t) {
			return false, nil
		}
		ok, err := s.compareAndSet(ctx, f, gen, v, true, "", t.State, "")
		if err != nil || ok {
			return ok, err
		}
	}
	return false, contended(key)
}

// slotOf spreads fields over the stripes and the document slots.
func slotOf(f string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(f))
	return h.Sum32()
}

// stripe is the lock of field f's updates in this process.
func (s *Store) stripe(f string) *sync.Mutex {
	return &s.stripes[slotOf(f)%uint32(len(s.stripes))]
}

func contended(key transaction.Key) error {
	return fmt.Errorf("transaction %s: %d concurrent writers in a row came first", key, maxAttempts)
}

// Update applies fn atomically: when another replica changes the
// transaction (or resets the store) between the read and the write, fn runs
// again on what it wrote. fn must therefore have no effect but its result.
func (s *Store) Update(ctx context.Context, key transaction.Key, fn recharge.UpdateFunc) (recharge.Transaction, error) {
	f, err := field(key)
	if err != nil {
		return recharge.Transaction{}, err
	}
	return s.update(ctx, key, f, fn, nil)
}

// enquiryCountScript counts an enquiry of field ARGV[2] of the current
// generation's hash when its value is count-only (countOnlyMark), and no
// replacement holds the store (KEYS[2]): {1, generation, new value}.
// Otherwise it changes nothing and answers {0, generation, value}, the
// value left out when there is none. Given a version in ARGV[3], it first
// answers {2} and changes nothing unless the store's version (KEYS[3]) is
// that one and the store has a generation.
var enquiryCountScript = redis.NewScript(`
local gen = redis.call('GET', KEYS[1])
if ARGV[3] ~= '' and (not gen or (redis.call('GET', KEYS[3]) or '0') ~= ARGV[3]) then return {2} end
gen = gen or '0'
local h = ARGV[1] .. gen
local v = redis.call('HGET', h, ARGV[2])
if not v then return {0, gen} end
local e, s, rest = string.match(v, '^=(%d+) (%d+) ()')
if not e or redis.call('EXISTS', KEYS[2]) == 1 then return {0, gen, v} end
v = '=' .. string.format('%d', e + 1) .. ' ' .. string.format('%d', s + 1) .. ' ' .. string.sub(v, rest)
redis.call('HSET', h, ARGV[2], v)
return {1, gen, v}
`)

// UpdateEnquiry counts an enquiry of a count-only transaction in one
// script, with neither this process's queue of the key's updates nor a
// compare-and-set; any other transaction, or none, is updated as Update
// does, starting from what the script read. The script checks the version
// ctx assumes (recharge.AssumedVersion), so that an enquiry answered on it
// reads no version before.
func (s *Store) UpdateEnquiry(ctx context.Context, key transaction.Key, fn recharge.UpdateFunc) (recharge.Transaction, error) {
	f, err := field(key)
	if err != nil {
		return recharge.Transaction{}, err
	}
	assumed := recharge.AssumedFrom(ctx)
	expected := ""
	if v, ok := assumed.Expected(); ok {
		expected = strconv.FormatInt(v, 10)
	}
	res, err := enquiryCountScript.Run(ctx, s.batched, []string{s.genKey(), s.lockKey(), s.versionKey()}, s.prefix+"txs:", f, expected).Slice()
	if err != nil {
		return recharge.Transaction{}, s.failed(err)
	}
	s.health.succeeded()
	var counted int64
	if len(res) > 0 {
		counted, _ = res[0].(int64)
	}
	switch {
	case counted == 2 && len(res) == 1:
		return recharge.Transaction{}, recharge.ErrStale
	case len(res) < 2:
		return recharge.Transaction{}, fmt.Errorf("enquiry count of %s: unexpected answer %v", key, res)
	}
	assumed.Confirmed()
	first := &snapshot{}
	first.gen, _ = res[1].(string)
	if len(res) > 2 {
		first.value, first.found = res[2].(string)
	}
	if counted == 1 {
		return s.decodeCounted(f, first.value)
	}
	return s.update(ctx, key, f, fn, first)
}

// snapshot is a field of the current generation as read: its value,
// whether it exists, and the generation.
type snapshot struct {
	value string
	found bool
	gen   string
}

// update is Update of field f, whose first attempt starts from first when
// it is not nil.
func (s *Store) update(ctx context.Context, key transaction.Key, f string, fn recharge.UpdateFunc, first *snapshot) (recharge.Transaction, error) {
	stripe := s.stripe(f)
	stripe.Lock()
	defer stripe.Unlock()
	for range maxAttempts {
		var v, gen string
		var found bool
		var err error
		if first != nil {
			v, found, gen = first.value, first.found, first.gen
			first = nil
		} else if v, found, gen, err = s.read(ctx, f); err != nil {
			return recharge.Transaction{}, err
		}
		var current recharge.Transaction
		if found {
			if current, err = decode(f, v); err != nil {
				return recharge.Transaction{}, err
			}
		}
		next, err := fn(current, found)
		if err != nil {
			return recharge.Transaction{}, err
		}
		next.Key = key
		encoded, err := encode(next)
		if err != nil {
			return recharge.Transaction{}, err
		}
		var currentState transaction.State
		if found {
			currentState = current.State
		}
		ok, err := s.compareAndSet(ctx, f, gen, v, found, string(encoded), currentState, next.State)
		if err != nil {
			return recharge.Transaction{}, err
		}
		if ok {
			return next, nil
		}
	}
	return recharge.Transaction{}, contended(key)
}

// currentHash is the current generation's hash key.
func (s *Store) currentHash(ctx context.Context) (string, error) {
	gen, err := s.rdb.Get(ctx, s.genKey()).Result()
	if errors.Is(err, redis.Nil) {
		gen, err = "0", nil
	}
	if err != nil {
		return "", s.failed(err)
	}
	return s.txsKey(gen), nil
}

func (s *Store) List(ctx context.Context, flt recharge.Filter) ([]recharge.Transaction, error) {
	h, err := s.currentHash(ctx)
	if err != nil {
		return nil, err
	}
	var out []recharge.Transaction
	err = s.scan(ctx, h, func(t recharge.Transaction) {
		if (flt.RegistrationID == "" || t.RegistrationID == flt.RegistrationID) && (flt.State == "" || t.State == flt.State) {
			out = append(out, t)
		}
	})
	if err != nil {
		return nil, err
	}
	recharge.SortTransactions(out)
	return out, nil
}

// scan decodes every transaction of the hash h, in no order, for each.
func (s *Store) scan(ctx context.Context, h string, each func(recharge.Transaction)) error {
	iter := s.rdb.HScan(ctx, h, 0, "", 1024).Iterator()
	for iter.Next(ctx) {
		f := iter.Val()
		if !iter.Next(ctx) {
			break
		}
		t, err := decode(f, iter.Val())
		if err != nil {
			return err
		}
		each(t)
	}
	if err := iter.Err(); err != nil {
		return s.failed(err)
	}
	return nil
}

func (s *Store) Count(ctx context.Context) (int, error) {
	n, err := countScript.Run(ctx, s.rdb, []string{s.genKey()}, s.prefix+"txs:").Int()
	if err != nil {
		return 0, s.failed(err)
	}
	s.health.succeeded()
	return int(n), nil
}

// swapScript makes generation ARGV[1] current when the current one is still
// ARGV[2] and the replacement's hold (KEYS[2]) is still ARGV[3]'s, writes
// the replacement's records and settings, and releases the hold, all at
// once; 0 when the hold was lost. The old generation's hash is left to
// expire after ARGV[4] seconds rather than removed: no write lands in it any
// more (every write checks the generation), and a listing that began before
// the swap reads it to its end.
//
// ARGV[5] onwards: the number of settings, then name and value of each;
// then the number of collections, then for each its key, its number of
// records, and key and value of each.
var swapScript = redis.NewScript(`
local gen = redis.call('GET', KEYS[1]) or '0'
if gen ~= ARGV[2] or redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('EXPIRE', ARGV[6] .. gen, ARGV[4])
redis.call('EXPIRE', ARGV[6] .. gen .. ':counts', ARGV[4])
local i = 7
local settings = tonumber(ARGV[5])
for _ = 1, settings do
  redis.call('SET', ARGV[i], ARGV[i + 1])
  i = i + 2
end
local collections = tonumber(ARGV[i])
i = i + 1
for _ = 1, collections do
  local key, n = ARGV[i], tonumber(ARGV[i + 1])
  i = i + 2
  redis.call('DEL', key)
  for _ = 1, n do
    redis.call('HSET', key, ARGV[i], ARGV[i + 1])
    i = i + 2
  end
end
redis.call('DEL', KEYS[2])
redis.call('INCR', KEYS[3])
return 1
`)

// oldGenerationTTL is how long a replaced generation stays readable.
const oldGenerationTTL = 5 * time.Minute

// countScript counts the current generation's transactions.
var countScript = redis.NewScript(`
local gen = redis.call('GET', KEYS[1]) or '0'
return redis.call('HLEN', ARGV[1] .. gen)
`)

// Replace changes the store as r says, at once for every replica: it holds
// the store against writes (reads go on, on the old content), builds the
// new generation aside, then makes it, the records and the settings current
// in one script. A replica killed midway leaves the old content and a hold
// that lapses after replaceHold.
func (s *Store) Replace(ctx context.Context, r recharge.Replacement) error {
	for _, records := range r.Records {
		for _, rec := range records {
			if rec.Key == "" {
				return transaction.Errorf(transaction.EINVALID, "a record needs a key")
			}
		}
	}
	for _, t := range r.Add {
		if _, err := field(t.Key); err != nil {
			return err
		}
	}
	token := fmt.Sprintf("%d", time.Now().UnixNano())
	if err := s.hold(ctx, token); err != nil {
		return err
	}
	release := func() { s.rdb.Del(context.WithoutCancel(ctx), s.lockKey()) }
	old, err := s.rdb.Get(ctx, s.genKey()).Result()
	if errors.Is(err, redis.Nil) {
		old, err = "0", nil
	}
	if err != nil {
		release()
		return s.failed(err)
	}
	content, err := s.replacementContent(ctx, s.txsKey(old), r)
	if err != nil {
		release()
		return err
	}
	next, err := s.rdb.Incr(ctx, s.prefix+"gen:next").Result()
	if err != nil {
		release()
		return s.failed(err)
	}
	gen := fmt.Sprint(next)
	// A store filled afresh (the first start, or after a loss) counts its
	// versions from a random base: a replica that slept through the loss
	// must not meet, after it, the version it last saw before it.
	if err := s.rdb.SetNX(ctx, s.versionKey(), rand.Int64N(1<<40)+1, 0).Err(); err != nil {
		release()
		return s.failed(err)
	}
	if err := s.fill(ctx, s.txsKey(gen), content); err != nil {
		s.rdb.Unlink(ctx, s.txsKey(gen), s.countsKey(gen))
		release()
		return err
	}
	args := s.swapArgs(gen, old, token, r)
	swapped, err := swapScript.Run(ctx, s.rdb, []string{s.genKey(), s.lockKey(), s.versionKey()}, args...).Int()
	if err != nil {
		s.rdb.Unlink(ctx, s.txsKey(gen), s.countsKey(gen))
		release()
		return s.failed(err)
	}
	if swapped != 1 {
		s.rdb.Unlink(ctx, s.txsKey(gen), s.countsKey(gen))
		return errors.New("reset: the store's hold lapsed before the reset was made; try again")
	}
	s.health.succeeded()
	if r.Made != nil {
		r.Made()
	}
	return nil
}

// swapArgs lays out swapScript's arguments.
func (s *Store) swapArgs(gen, old, token string, r recharge.Replacement) []any {
	args := []any{gen, old, token, int(oldGenerationTTL / time.Second), len(r.Settings), s.prefix + "txs:"}
	names := slices.Sorted(maps.Keys(r.Settings))
	for _, name := range names {
		args = append(args, s.settingKey(name), r.Settings[name])
	}
	collections := slices.Sorted(maps.Keys(r.Records))
	args = append(args, len(collections))
	for _, c := range collections {
		var kept []recharge.Record
		for _, rec := range r.Records[c] {
			if rec.Value != nil {
				kept = append(kept, rec)
			}
		}
		args = append(args, s.recordsKey(c), len(kept))
		for _, rec := range kept {
			args = append(args, rec.Key, rec.Value)
		}
	}
	return args
}

// hold takes the store's replacement hold, waiting for another
// replacement to end.
func (s *Store) hold(ctx context.Context, token string) error {
	for {
		ok, err := s.rdb.SetNX(ctx, s.lockKey(), token, replaceHold).Result()
		if err != nil {
			return s.failed(err)
		}
		if ok {
			return nil
		}
		if err := s.awaitReplacement(ctx); err != nil {
			return err
		}
	}
}

// replacementContent is what the new generation holds: the transactions of
// the hash h that r keeps, and r's additions where none was kept.
func (s *Store) replacementContent(ctx context.Context, h string, r recharge.Replacement) ([]recharge.Transaction, error) {
	var out []recharge.Transaction
	taken := map[transaction.Key]bool{}
	if r.Keep != nil {
		err := s.scan(ctx, h, func(t recharge.Transaction) {
			if r.Keep(t) {
				out = append(out, t)
				taken[t.Key] = true
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for _, t := range r.Add {
		// The first of a key given twice is put, as by every store.
		if !taken[t.Key] {
			out = append(out, t)
			taken[t.Key] = true
		}
	}
	return out, nil
}

// fill writes txs into the hash h, in batches.
func (s *Store) fill(ctx context.Context, h string, txs []recharge.Transaction) error {
	const batch = 1000
	for start := 0; start < len(txs); start += batch {
		values := make([]any, 0, 2*batch)
		for _, t := range txs[start:min(start+batch, len(txs))] {
			f, err := field(t.Key)
			if err != nil {
				return err
			}
			encoded, err := encode(t)
			if err != nil {
				return err
			}
			values = append(values, f, encoded)
		}
		if err := s.rdb.HSet(ctx, h, values...).Err(); err != nil {
			return s.failed(err)
		}
	}
	counts := []any{countsMarker, 1}
	for st, n := range countStates(txs) {
		counts = append(counts, string(st), n)
	}
	if err := s.rdb.HSet(ctx, h+":counts", counts...).Err(); err != nil {
		return s.failed(err)
	}
	return nil
}

func (s *Store) settingKey(name string) string { return s.prefix + "setting:" + name }

func (s *Store) versionKey() string { return s.prefix + "version" }

// Version changes whenever a replica changes a setting, a record
// collection, or replaces the store. It is read with the generation, which
// every replacement sets, in one command: with no generation the store
// holds nothing of the sandbox (the server restarted without persistence,
// or was emptied), and Version answers recharge.ErrLost.
func (s *Store) Version(ctx context.Context) (int64, error) {
	values, err := s.batched.MGet(ctx, s.versionKey(), s.genKey()).Result()
	if err != nil {
		return 0, s.failed(err)
	}
	s.health.succeeded()
	if values[1] == nil {
		return 0, recharge.ErrLost
	}
	version, _ := values[0].(string)
	if version == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(version, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stored version %q: %w", version, err)
	}
	return v, nil
}

// LoadSetting reads a setting saved by SaveSetting.
func (s *Store) LoadSetting(ctx context.Context, name string) ([]byte, bool, error) {
	v, err := s.rdb.Get(ctx, s.settingKey(name)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.failed(err)
	}
	return v, true, nil
}

// SaveSetting stores a setting.
func (s *Store) SaveSetting(ctx context.Context, name string, value []byte) error {
	if name == "" {
		return transaction.Errorf(transaction.EINVALID, "a setting needs a name")
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.settingKey(name), value, 0)
		p.Incr(ctx, s.versionKey())
		return nil
	})
	if err != nil {
		return s.failed(err)
	}
	s.health.succeeded()
	return nil
}

func (s *Store) recordsKey(collection string) string { return s.prefix + "records:" + collection }

// LoadRecords reads every record of collection, in key order.
func (s *Store) LoadRecords(ctx context.Context, collection string) ([]recharge.Record, error) {
	m, err := s.rdb.HGetAll(ctx, s.recordsKey(collection)).Result()
	if err != nil {
		return nil, s.failed(err)
	}
	out := make([]recharge.Record, 0, len(m))
	for k, v := range m {
		out = append(out, recharge.Record{Key: k, Value: []byte(v)})
	}
	sortRecords(out)
	return out, nil
}

// WriteRecords changes collection in one MULTI/EXEC, which Redis applies at
// once.
func (s *Store) WriteRecords(ctx context.Context, collection string, replace bool, changes []recharge.Record) error {
	for _, r := range changes {
		if r.Key == "" {
			return transaction.Errorf(transaction.EINVALID, "a record needs a key")
		}
	}
	h := s.recordsKey(collection)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if replace {
			p.Del(ctx, h)
		}
		for _, r := range changes {
			if r.Value == nil {
				p.HDel(ctx, h, r.Key)
			} else {
				p.HSet(ctx, h, r.Key, r.Value)
			}
		}
		p.Incr(ctx, s.versionKey())
		return nil
	})
	if err != nil {
		return s.failed(err)
	}
	s.health.succeeded()
	return nil
}

// recordCASScript sets (or, with ARGV[4] empty, removes) field ARGV[1] of
// hash KEYS[1] when it still holds ARGV[2] (ARGV[3] "0": must be missing),
// and moves the version on; 0 when another writer came first.
var recordCASScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[3] == '0' then
  if cur then return 0 end
elseif cur ~= ARGV[2] then
  return 0
end
if ARGV[4] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
end
redis.call('INCR', KEYS[2])
return 1
`)

// UpdateRecord changes one record atomically across replicas: a counted
// fault rule taken by two replicas at once is counted down twice, never
// once.
func (s *Store) UpdateRecord(ctx context.Context, collection, key string, fn func(current []byte) ([]byte, error)) error {
	h := s.recordsKey(collection)
	for range maxAttempts {
		cur, err := s.rdb.HGet(ctx, h, key).Result()
		found := true
		if errors.Is(err, redis.Nil) {
			found, err = false, nil
		}
		if err != nil {
			return s.failed(err)
		}
		var current []byte
		if found {
			current = []byte(cur)
		}
		next, err := fn(current)
		if err != nil {
			return err
		}
		mustExist := "1"
		if !found {
			mustExist = "0"
		}
		if next == nil && !found {
			return nil
		}
		n, err := recordCASScript.Run(ctx, s.rdb, []string{h, s.versionKey()}, key, cur, mustExist, string(next)).Int()
		if err != nil {
			return s.failed(err)
		}
		if n == 1 {
			s.health.succeeded()
			return nil
		}
	}
	return fmt.Errorf("record %s/%s: %d concurrent writers in a row came first", collection, key, maxAttempts)
}

func sortRecords(rs []recharge.Record) {
	slices.SortFunc(rs, func(a, b recharge.Record) int { return strings.Compare(a.Key, b.Key) })
}

// WriteError is the error of the latest operation when Redis could not be
// reached, nil once any succeeds again: with Redis, a read that succeeds
// shows the server is back as well as a write does.
func (s *Store) WriteError() error { return s.health.get() }

// failed classifies err: a Redis that cannot be reached makes an
// ErrUnavailable, remembered for WriteError; an answer of Redis's own (a
// script error) is returned as it is.
func (s *Store) failed(err error) error {
	var redisErr redis.Error
	if errors.As(err, &redisErr) && !errors.Is(err, redis.ErrClosed) {
		return err
	}
	wrapped := fmt.Errorf("%w: %v", ErrUnavailable, err)
	s.health.set(wrapped)
	return wrapped
}

// health remembers whether Redis answered the latest call, and logs an
// outage once as it begins and once as it ends, not once per request.
type health struct {
	mu  sync.Mutex
	err error
	log *slog.Logger
}

func (h *health) set(err error) {
	h.mu.Lock()
	began, ended := h.err == nil && err != nil, h.err != nil && err == nil
	h.err = err
	h.mu.Unlock()
	switch {
	case h.log == nil:
	case began:
		h.log.Error("redis is unreachable: the sandbox answers 503 until it is back", "err", err)
	case ended:
		h.log.Info("redis answers again")
	}
}

func (h *health) succeeded() { h.set(nil) }

func (h *health) get() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

func (s *Store) journalKey() string { return s.prefix + "journal" }

func (s *Store) journalEpochKey() string { return s.prefix + "journal:epoch" }

// DefaultJournalEntries bounds the shared journal's stream when Options
// leave it out.
const DefaultJournalEntries = 1000

// Publish adds a journal entry to the stream every replica reads, capped at
// about the journal's size, oldest first out.
func (s *Store) Publish(ctx context.Context, origin string, entry []byte) error {
	err := s.batched.XAdd(ctx, &redis.XAddArgs{
		Stream: s.journalKey(), MaxLen: s.journalEntries, Approx: true,
		Values: []any{"origin", origin, "entry", entry},
	}).Err()
	if err != nil {
		return s.failed(err)
	}
	return nil
}

// Since reads the stream after cursor ("" for all of it).
func (s *Store) Since(ctx context.Context, cursor string) ([]journal.FeedItem, string, int64, error) {
	start := "-"
	if cursor != "" {
		start = "(" + cursor
	}
	var rng *redis.XMessageSliceCmd
	var epoch *redis.StringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		rng = p.XRange(ctx, s.journalKey(), start, "+")
		epoch = p.Get(ctx, s.journalEpochKey())
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, cursor, 0, s.failed(err)
	}
	e, _ := epoch.Int64()
	msgs := rng.Val()
	items := make([]journal.FeedItem, 0, len(msgs))
	next := cursor
	for _, m := range msgs {
		origin, _ := m.Values["origin"].(string)
		entry, _ := m.Values["entry"].(string)
		items = append(items, journal.FeedItem{Origin: origin, Entry: []byte(entry)})
		next = m.ID
	}
	return items, next, e, nil
}

// Clear empties the stream and moves its epoch on, at once.
func (s *Store) Clear(ctx context.Context) (int64, error) {
	var epoch *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.journalKey())
		epoch = p.Incr(ctx, s.journalEpochKey())
		return nil
	})
	if err != nil {
		return 0, s.failed(err)
	}
	return epoch.Val(), nil
}
