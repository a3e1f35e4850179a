package journal

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
)

func TestJournalHeadersAreRedactedAndBounded(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("v", 3<<10)
	tests := []struct {
		name         string
		header       http.Header
		wantSame     bool
		wantRedacted []string
		wantMaxBytes int
	}{
		{name: "plain and small, kept as is", header: http.Header{"Content-Type": {"application/json"}}, wantSame: true},
		{name: "Set-Cookie of an upstream", header: http.Header{"Set-Cookie": {"session=s3cr3t; HttpOnly"}, "Content-Type": {"application/json"}}, wantRedacted: []string{"Set-Cookie"}},
		{name: "request secrets", header: http.Header{"Token": {"t"}, "Authorisedkey": {"k"}, "Proxy-Authorization": {"Basic eA=="}}, wantRedacted: []string{"Token", "Authorisedkey", "Proxy-Authorization"}},
		{name: "larger than the bound", header: http.Header{"A": {big, big}, "B": {big}, "C": {big}, "Token": {big}}, wantRedacted: []string{"Token"}, wantMaxBytes: headerLimit + 4*len("…[truncated]")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.header.Clone()
			got := Headers(tt.header)
			if !reflectEqualHeaders(tt.header, before) {
				t.Fatalf("journalHeaders changed its argument: %v", tt.header)
			}
			if tt.wantSame && !reflectEqualHeaders(got, before) {
				t.Fatalf("kept %v, want %v", got, before)
			}
			for _, name := range tt.wantRedacted {
				if v := got[name]; len(v) != 1 || v[0] != "[REDACTED]" {
					t.Fatalf("%s kept as %q", name, v)
				}
			}
			size := 0
			for k, v := range got {
				size += len(k)
				for _, s := range v {
					size += len(s)
				}
			}
			if tt.wantMaxBytes > 0 && size > tt.wantMaxBytes {
				t.Fatalf("kept %d bytes of headers, want at most %d", size, tt.wantMaxBytes)
			}
		})
	}
}

func reflectEqualHeaders(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") || len(v) != len(b[k]) {
			return false
		}
	}
	return true
}

// addEntries journals n requests of reference ref with a body of size
// bytes each.
func addEntries(j *Journal, n int, ref string, size int) {
	body := []byte(strings.Repeat("b", size))
	for range n {
		j.Add(admin.JournalEntry{Method: http.MethodPost, Path: "/api/AOP/RechargeStatus", ReferenceID: ref}, body, nil)
	}
}

func ids(entries []admin.JournalEntry) []uint64 {
	out := make([]uint64, len(entries))
	for i, e := range entries {
		out[i] = e.ID
	}
	return out
}

func idRange(from, to uint64) []uint64 {
	var out []uint64
	for id := from; id <= to; id++ {
		out = append(out, id)
	}
	return out
}

// TestJournalIsBoundedByBytes fills a journal whose byte bound is reached
// long before its entry bound: it holds no more than the bound, forgets the
// oldest first, and always keeps the latest entry, however large.
func TestJournalIsBoundedByBytes(t *testing.T) {
	t.Parallel()
	const maxBytes = 256 << 10
	j := New(10_000, maxBytes)
	addEntries(j, 500, "BIG", BodyLimit)
	if b := j.Bytes(); b > maxBytes {
		t.Fatalf("the journal holds %d bytes, bound %d", b, maxBytes)
	}
	n := j.Len()
	if n < 10 || n >= 500 {
		t.Fatalf("the journal holds %d of 500 entries of %d bytes under a %d-byte bound", n, BodyLimit, maxBytes)
	}
	if got := ids(j.Entries(admin.JournalQuery{})); !slices.Equal(got, idRange(uint64(501-n), 500)) {
		t.Fatalf("kept ids %v…, want the latest %d", got[:3], n)
	}
	tiny := New(10, 1)
	addEntries(tiny, 3, "X", 100)
	if got := ids(tiny.Entries(admin.JournalQuery{})); !slices.Equal(got, []uint64{3}) {
		t.Fatalf("a journal bounded below one entry keeps %v, want the latest alone", got)
	}
	tiny.Clear()
	if tiny.Bytes() != 0 || tiny.Len() != 0 {
		t.Fatalf("after Clear: %d entries, %d bytes", tiny.Len(), tiny.Bytes())
	}
}

// TestJournalPages reads a journal page by page, forwards from a cursor
// and as its latest page, filtered, across forgotten entries, and with
// pages cut by their bytes.
func TestJournalPages(t *testing.T) {
	t.Parallel()
	j := New(300, DefaultBytes)
	addEntries(j, 200, "A", 10)
	addEntries(j, 150, "B", 10) // ids 1..50 are forgotten
	type want struct {
		ids       []uint64
		nextAfter uint64
		hasMore   bool
	}
	tests := []struct {
		name string
		q    admin.JournalQuery
		want want
	}{
		{"from the start", admin.JournalQuery{After: admin.AfterID(0), Limit: 100}, want{idRange(51, 150), 150, true}},
		{"next page", admin.JournalQuery{After: admin.AfterID(150), Limit: 100}, want{idRange(151, 250), 250, true}},
		{"last page", admin.JournalQuery{After: admin.AfterID(300), Limit: 100}, want{idRange(301, 350), 350, false}},
		{"nothing new", admin.JournalQuery{After: admin.AfterID(350), Limit: 100}, want{[]uint64{}, 350, false}},
		{"latest", admin.JournalQuery{Limit: 10}, want{idRange(341, 350), 350, false}},
		{"filtered from the start", admin.JournalQuery{ReferenceID: "B", After: admin.AfterID(0), Limit: 100}, want{idRange(201, 300), 300, true}},
		{"filtered latest", admin.JournalQuery{ReferenceID: "A", Limit: 5}, want{idRange(196, 200), 200, false}},
		{"latest of nothing", admin.JournalQuery{ReferenceID: "C", Limit: 5}, want{[]uint64{}, 350, false}},
	}
	for _, tt := range tests {
		page := j.Page(tt.q)
		got := want{ids(page.Requests), page.NextAfter, page.HasMore}
		if !slices.Equal(got.ids, tt.want.ids) || got.nextAfter != tt.want.nextAfter || got.hasMore != tt.want.hasMore {
			t.Errorf("%s: ids %v nextAfter %d hasMore %v; want %v %d %v", tt.name, got.ids, got.nextAfter, got.hasMore, tt.want.ids, tt.want.nextAfter, tt.want.hasMore)
		}
	}
	if n := j.Count(admin.JournalQuery{After: admin.AfterID(300)}); n != 50 {
		t.Errorf("count after 300: %d, want 50", n)
	}

	big := New(admin.MaxJournalPage, DefaultBytes)
	addEntries(big, admin.MaxJournalPage, "BIG", BodyLimit)
	read := 0
	for after := uint64(0); ; {
		page := big.Page(admin.JournalQuery{After: admin.AfterID(after), Limit: admin.MaxJournalPage})
		var bytes int
		for _, e := range page.Requests {
			bytes += len(e.RequestBody)
		}
		if bytes > MaxPageBytes {
			t.Fatalf("a page holds %d bytes of bodies, more than %d", bytes, MaxPageBytes)
		}
		read += len(page.Requests)
		if !page.HasMore {
			break
		}
		after = page.NextAfter
	}
	if read != admin.MaxJournalPage {
		t.Fatalf("paging read %d entries, want %d", read, admin.MaxJournalPage)
	}
}

// TestScanReadsWhatFollowsAnID: Scan visits the entries after an ID with
// their answers' bodies, and says which is the oldest the journal holds.
func TestScanReadsWhatFollowsAnID(t *testing.T) {
	j := New(2, 0)
	for _, body := range []string{"a", "b", "c"} {
		j.Add(admin.JournalEntry{ReferenceID: body}, nil, []byte(body))
	}
	if j.LastID() != 3 {
		t.Fatalf("LastID %d, want 3", j.LastID())
	}
	var seen []string
	oldest := j.Scan(0, func(e *admin.JournalEntry, body []byte) { seen = append(seen, e.ReferenceID+string(body)) })
	if oldest != 2 || strings.Join(seen, ",") != "bb,cc" {
		t.Errorf("Scan(0) saw %v, oldest %d; want bb,cc and 2", seen, oldest)
	}
	seen = nil
	j.Scan(2, func(e *admin.JournalEntry, _ []byte) { seen = append(seen, e.ReferenceID) })
	if strings.Join(seen, ",") != "c" {
		t.Errorf("Scan(2) saw %v, want c", seen)
	}
	j.Clear()
	if oldest := j.Scan(0, func(*admin.JournalEntry, []byte) { t.Error("a cleared journal visited an entry") }); oldest != 4 {
		t.Errorf("a cleared journal's oldest is %d, want 4", oldest)
	}
}

// TestTokenDigest: the same Token gives the same digest, another Token
// another, and the digest does not show the Token.
func TestTokenDigest(t *testing.T) {
	a, b := TokenDigest("header.payload.signature"), TokenDigest("header.payload.other")
	if a == "" || a != TokenDigest("header.payload.signature") || a == b || strings.Contains(a, "signature") || TokenDigest("") != "" {
		t.Errorf("digests %q and %q", a, b)
	}
}
