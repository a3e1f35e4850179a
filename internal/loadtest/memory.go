package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// MemoryOptions bounds a memory run.
type MemoryOptions struct {
	// Enquiries of existing transactions, over which the heap must stay flat.
	Enquiries int
	// Existing is how many transactions are created before those enquiries
	// and enquired in turn, beside the page's example.
	Existing int
	// Creations is how many auto-created transactions are weighed.
	Creations int
	// MaxTransactions is the cap checked at the end by creating three times
	// as many transactions; 0 skips the check.
	MaxTransactions int
}

// DefaultMemoryOptions: a million enquiries, 50,000 creations.
var DefaultMemoryOptions = MemoryOptions{
	Enquiries:       1_000_000,
	Existing:        1_000,
	Creations:       50_000,
	MaxTransactions: 10_000,
}

// MemoryReport is what a memory run measured. Heap figures are HeapInuse
// after a collection; RSS is the process's resident set, 0 where /proc is
// missing.
type MemoryReport struct {
	Enquiries             int
	EnquiryTime           time.Duration
	HeapBefore, HeapAfter uint64
	RSSBefore, RSSAfter   uint64
	JournalLen            int

	Creations           int
	CreationHeapGrowth  int64
	BytesPerTransaction float64

	Cap, CapCreated, CapHeld int
}

// inProcess sends enquiries straight to a handler: the memory the mock holds
// does not depend on the network, and the run is faster without it.
type inProcess struct {
	handler http.Handler
	req     *http.Request
	w       discardWriter
	reader  bytes.Reader
}

func newInProcess(h http.Handler) (*inProcess, error) {
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1"+rechargestatus.EnquiryPath, http.NoBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "127.0.0.1:40000"
	return &inProcess{handler: h, req: req, w: discardWriter{header: http.Header{}}}, nil
}

func (p *inProcess) enquire(body []byte) error {
	p.reader.Reset(body)
	p.req.Body = io.NopCloser(&p.reader)
	p.req.ContentLength = int64(len(body))
	p.w.reset()
	p.handler.ServeHTTP(&p.w, p.req)
	if p.w.status != http.StatusOK {
		return fmt.Errorf("enquiry %s answered %d", body, p.w.status)
	}
	return nil
}

type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
func (w *discardWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}
func (w *discardWriter) reset() {
	clear(w.header)
	w.status = 0
}

func enquiryBody(referenceID string) []byte {
	return []byte(`{"referenceid":"` + referenceID + `","RegistrationID":"AOP-554"}`)
}

// heapInuse collects garbage until the heap settles and reports what is in use.
func heapInuse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// residentSetSize reads VmRSS from /proc/self/status.
func residentSetSize() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// MeasureMemory runs the enquiries and creations of opts against mocks built
// in this process.
func MeasureMemory(ctx context.Context, opts MemoryOptions) (*MemoryReport, error) {
	if opts.Enquiries <= 0 || opts.Existing < 0 || opts.Creations <= 0 || opts.MaxTransactions < 0 {
		return nil, errors.New("enquiries and creations must be positive")
	}
	r := &MemoryReport{Enquiries: opts.Enquiries, Creations: opts.Creations}
	s, err := mockserver.New(mockserver.Config{MaxTransactions: -1})
	if err != nil {
		return nil, err
	}
	p, err := newInProcess(s)
	if err != nil {
		return nil, err
	}
	bodies, err := warmUp(p, opts.Existing)
	if err != nil {
		return nil, err
	}
	r.HeapBefore, r.RSSBefore = heapInuse(), residentSetSize()
	start := time.Now()
	for i := range opts.Enquiries {
		if i%10_000 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err := p.enquire(bodies[i%len(bodies)]); err != nil {
			return nil, err
		}
	}
	r.EnquiryTime = time.Since(start)
	r.HeapAfter, r.RSSAfter = heapInuse(), residentSetSize()
	health, err := s.Admin().Health(ctx)
	if err != nil {
		return nil, err
	}
	r.JournalLen = health.JournalLength

	before := heapInuse()
	for i := range opts.Creations {
		if err := p.enquire(enquiryBody("NEW-" + strconv.Itoa(i))); err != nil {
			return nil, err
		}
	}
	r.CreationHeapGrowth = int64(heapInuse()) - int64(before)
	r.BytesPerTransaction = float64(r.CreationHeapGrowth) / float64(opts.Creations)
	runtime.KeepAlive(s)

	if opts.MaxTransactions > 0 {
		if err := measureCap(ctx, opts.MaxTransactions, r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// warmUp creates existing transactions besides the page's example and fills
// the journal, which leaves only what the enquiries themselves might keep.
// It returns the bodies of enquiries of those transactions.
func warmUp(p *inProcess, existing int) ([][]byte, error) {
	bodies := [][]byte{PageExampleRequest}
	for i := range existing {
		bodies = append(bodies, enquiryBody(fmt.Sprintf("MEM-%d", i)))
	}
	for range 2 {
		for _, b := range bodies {
			if err := p.enquire(b); err != nil {
				return nil, err
			}
		}
	}
	for range mockserver.DefaultJournalSize {
		if err := p.enquire(PageExampleRequest); err != nil {
			return nil, err
		}
	}
	return bodies, nil
}

func measureCap(ctx context.Context, limit int, r *MemoryReport) error {
	store := recharge.NewMemoryStore()
	s, err := mockserver.New(mockserver.Config{MaxTransactions: limit, Store: store})
	if err != nil {
		return err
	}
	p, err := newInProcess(s)
	if err != nil {
		return err
	}
	r.Cap, r.CapCreated = limit, 3*limit
	for i := range r.CapCreated {
		if err := p.enquire(enquiryBody("CAP-" + strconv.Itoa(i))); err != nil {
			return err
		}
	}
	auto, err := store.List(ctx, recharge.Filter{})
	if err != nil {
		return err
	}
	for _, t := range auto {
		if t.Origin == transaction.OriginAuto {
			r.CapHeld++
		}
	}
	return nil
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// WriteMemoryReport prints r.
func WriteMemoryReport(w io.Writer, r *MemoryReport) {
	fmt.Fprintf(w, "%d enquiries of existing transactions in %s (%.0f/s, in process)\n",
		r.Enquiries, r.EnquiryTime.Round(time.Millisecond), float64(r.Enquiries)/r.EnquiryTime.Seconds())
	fmt.Fprintf(w, "  heap in use: %s before, %s after (%+.1f%%)\n", mib(r.HeapBefore), mib(r.HeapAfter),
		100*(float64(r.HeapAfter)-float64(r.HeapBefore))/float64(r.HeapBefore))
	if r.RSSBefore > 0 {
		fmt.Fprintf(w, "  RSS: %s before, %s after\n", mib(r.RSSBefore), mib(r.RSSAfter))
	}
	fmt.Fprintf(w, "  journal: %d entries held\n", r.JournalLen)
	fmt.Fprintf(w, "%d auto-created transactions: heap +%s, %.0f bytes each (target < 2048)\n",
		r.Creations, mib(uint64(max(0, r.CreationHeapGrowth))), r.BytesPerTransaction)
	if r.Cap > 0 {
		fmt.Fprintf(w, "cap %d: %d created, %d auto-created transactions held\n", r.Cap, r.CapCreated, r.CapHeld)
	}
}
