package mocktest_test

import (
	"testing"

	"github.com/aopay-sandbox/rechargestatus/mocktest"
)

// BenchmarkNew is what a mock per test costs once the process has built
// its first: the spec, its router and validators are shared, so a test
// pays for its own store, journal, metrics and listener alone.
//
//	go test -run='^$' -bench=New -benchmem ./mocktest
func BenchmarkNew(b *testing.B) {
	mocktest.New(b).Close()
	b.ReportAllocs()
	for b.Loop() {
		m, err := mocktest.Start()
		if err != nil {
			b.Fatal(err)
		}
		m.Close()
	}
}
