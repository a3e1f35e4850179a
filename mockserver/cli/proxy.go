package cli

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

// proxyOptions are the flags of proxy mode and recording.
type proxyOptions struct {
	upstream string
	timeout  time.Duration
	record   string
}

func (p *proxyOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&p.upstream, "proxy-upstream", "", "forward RechargeStatus enquiries to this base URL (the real provider) and relay its answers, judged against the contract (default: the mock answers itself)")
	fs.DurationVar(&p.timeout, "proxy-timeout", mockserver.DefaultProxyTimeout, "longest an upstream exchange may take, connection to last byte, before the client gets 504")
	fs.StringVar(&p.record, "record", "", "with --proxy-upstream, write the transactions the upstream answers into this directory as fixtures, for --fixtures to replay")
}

func (p proxyOptions) apply(cfg *mockserver.Config) error {
	if p.timeout <= 0 || p.timeout >= mockserver.WriteTimeout {
		return fmt.Errorf("proxy-timeout %s: want a positive duration under the server's write timeout, %s", p.timeout, mockserver.WriteTimeout)
	}
	if p.upstream == "" {
		if p.record != "" {
			return errors.New("record: recording needs --proxy-upstream, whose answers it records")
		}
		return nil
	}
	if _, err := mockserver.ParseUpstream(p.upstream); err != nil {
		return err
	}
	cfg.ProxyUpstream, cfg.ProxyTimeout, cfg.RecordDir = p.upstream, p.timeout, p.record
	return nil
}

func (p proxyOptions) announce(logger *slog.Logger) {
	if p.upstream == "" {
		return
	}
	u, _ := mockserver.ParseUpstream(p.upstream)
	attrs := []any{"upstream", mockserver.DisplayURL(u), "timeout", p.timeout.String()}
	if p.record != "" {
		attrs = append(attrs, "record", p.record)
	}
	logger.Warn("proxy mode: RechargeStatus enquiries go to the upstream, answers are judged against the contract", attrs...)
}
