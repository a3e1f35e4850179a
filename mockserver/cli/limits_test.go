package cli

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

func TestMaxTransactionsFlag(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    int
		wantErr bool
	}{
		{name: "default", want: recharge.DefaultMaxAutoCreated},
		{name: "flag", args: []string{"--max-transactions", "500"}, want: 500},
		{name: "environment", env: map[string]string{"AOPAY_MOCK_MAX_TRANSACTIONS": "42"}, want: 42},
		{name: "zero is no limit", args: []string{"--max-transactions", "0"}, want: -1},
		{name: "negative", args: []string{"--max-transactions", "-3"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, cfg, err := configOf(t, tt.args, tt.env)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("accepted, MaxTransactions %d", cfg.MaxTransactions)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MaxTransactions != tt.want {
				t.Fatalf("MaxTransactions %d, want %d", cfg.MaxTransactions, tt.want)
			}
		})
	}
}

func TestMaxConnsHoldsBackConnectionsPastTheLimit(t *testing.T) {
	base, _ := startMock(t, []string{"--max-conns", "1", "--log-level", "warn"}, nil)
	addr := strings.TrimPrefix(base, "http://")
	holder, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	// The holder's connection is accepted first; the probe waits behind it.
	enquire := func(timeout time.Duration) error {
		client := &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
		return enquirePageExample(client, base)
	}
	if err := enquire(300 * time.Millisecond); err == nil {
		t.Fatal("answered while the only connection slot was taken")
	}
	holder.Close()
	if err := enquire(5 * time.Second); err != nil {
		t.Fatalf("once the slot was free: %v", err)
	}
}

func TestMaxConnsMustNotBeNegative(t *testing.T) {
	o, err := parseFlags([]string{"--max-conns", "-1"}, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.config(nil); err == nil || !strings.Contains(err.Error(), "max-conns") {
		t.Fatalf("config: %v", err)
	}
}
