package cli

import (
	"io"
	"testing"

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
			o, err := parseFlags(tt.args, envOf(tt.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := o.config(nil)
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
