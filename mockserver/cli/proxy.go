package cli

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/proxy"
)

// proxyOptions are the flags of proxy mode and recording.
type proxyOptions struct {
	upstream string
	timeout  time.Duration
	record   string
	accept   dialect.Accept
	// recordRoot is where recordings the admin API starts may be written.
	recordRoot string
}

func (p *proxyOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&p.upstream, "proxy-upstream", "", "forward RechargeStatus enquiries to this base URL (the real provider) and relay its answers, judged against the contract (default: the mock answers itself)")
	fs.DurationVar(&p.timeout, "proxy-timeout", proxy.DefaultTimeout, "with --proxy-upstream, longest an upstream exchange may take, connection to last byte, before the client gets 504; positive, under the server's write timeout")
	fs.StringVar(&p.record, "record", "", "with --proxy-upstream, write the transactions the upstream answers into this directory as fixtures, for --fixtures to replay")
	fs.StringVar(&p.recordRoot, "record-root", "", "directory under which a recording started through the admin API (POST /__admin/recordings/start) may be written; without it such recordings are kept in memory, for snapshots")
	fs.Var(&p.accept, dialect.FlagAcceptDialect, fmt.Sprintf("with --proxy-upstream, known dialects (%s, comma-separated) an upstream answer is held to besides the page: an answer in one is judged in the page form it stands for instead of listed as violations (default: none; violations name the dialect they match either way)", strings.Join(dialect.Names(), ", ")))
}

// apply sets proxy mode up in cfg for a server listening on listen.
func (p proxyOptions) apply(cfg *mockserver.Config, listen string) error {
	cfg.RecordRoot = p.recordRoot
	if p.upstream == "" {
		if p.record != "" {
			return errors.New("record: recording needs --proxy-upstream, whose answers it records")
		}
		if len(p.accept) > 0 {
			return errors.New("accept-dialect: judging an upstream's answers needs --proxy-upstream")
		}
		// Without an upstream the timeout means nothing, so no value of it
		// stops a plain mock from starting.
		return nil
	}
	if p.timeout <= 0 || p.timeout >= mockserver.WriteTimeout {
		return fmt.Errorf("proxy-timeout %s: want a positive duration under the server's write timeout, %s", p.timeout, mockserver.WriteTimeout)
	}
	u, err := proxy.ParseUpstream(p.upstream)
	if err != nil {
		return err
	}
	if sameAddress(u, listen) {
		return fmt.Errorf("proxy upstream %s is the sandbox's own address %s: it would forward every enquiry to itself", proxy.DisplayURL(u), listen)
	}
	cfg.ProxyUpstream, cfg.ProxyTimeout, cfg.RecordDir, cfg.ProxyAcceptDialects = p.upstream, p.timeout, p.record, p.accept
	return nil
}

// sameAddress reports whether the upstream u is the address the sandbox
// listens on, as far as can be told without resolving names.
func sameAddress(u *url.URL, listen string) bool {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	upstreamPort := u.Port()
	if upstreamPort == "" {
		upstreamPort = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if port != upstreamPort {
		return false
	}
	upstreamHost := u.Hostname()
	if strings.EqualFold(host, upstreamHost) {
		return true
	}
	if host == "" || isUnspecified(host) {
		// The sandbox listens on every address of this machine.
		return isThisMachine(upstreamHost)
	}
	return isThisMachine(host) && isThisMachine(upstreamHost)
}

func isUnspecified(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// isThisMachine reports whether host names this machine without a lookup.
func isThisMachine(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

func (p proxyOptions) announce(logger *slog.Logger) {
	if p.upstream == "" {
		return
	}
	u, _ := proxy.ParseUpstream(p.upstream)
	attrs := []any{"upstream", proxy.DisplayURL(u), "timeout", p.timeout.String()}
	if p.record != "" {
		attrs = append(attrs, "record", p.record)
	}
	logger.Warn("proxy mode: RechargeStatus enquiries go to the upstream, answers are judged against the contract", attrs...)
}
