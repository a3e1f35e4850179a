// Package hostcheck decides which Host names a sandbox without an admin
// token answers. A web page can point a name of its own at 127.0.0.1 (DNS
// rebinding) and then read and drive a sandbox on the visitor's machine as
// if it were its own origin; the browser still sends the page's name as the
// Host, so answering only loopback names and the names an operator allows
// shuts that door, as webpack-dev-server, Vite and Django's ALLOWED_HOSTS
// do.
package hostcheck

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Hosts is the set of Host names answered: localhost, loopback addresses
// (127.0.0.0/8, ::1) and the names allowed. The zero value allows loopback
// alone.
type Hosts struct {
	names    map[string]bool
	suffixes []string
	any      bool
}

// New allows, beside loopback, each of allowed: a host name or address
// (`mock`, `sandbox.internal`, `10.0.0.5`, `fd00::5`), a name with a
// leading dot for a domain and every name under it (`.example.test`), or
// `*` for any Host at all. Letter case and a final dot do not matter; a
// port is refused, since the Host's port is never compared.
func New(allowed []string) (Hosts, error) {
	h := Hosts{names: make(map[string]bool, len(allowed))}
	for _, entry := range allowed {
		name := strings.TrimSpace(entry)
		switch {
		case name == "*":
			h.any = true
			continue
		case name == "" || name == ".":
			return Hosts{}, fmt.Errorf("allowed host %q is empty", entry)
		}
		suffix := strings.HasPrefix(name, ".")
		name = normalize(strings.TrimPrefix(name, "."))
		if _, err := netip.ParseAddr(name); err != nil && strings.ContainsAny(name, ":/[] ") {
			return Hosts{}, fmt.Errorf("allowed host %q: give a host name or address alone, without a scheme or port", entry)
		}
		if suffix {
			h.suffixes = append(h.suffixes, "."+name)
			h.names[name] = true
			continue
		}
		h.names[name] = true
	}
	return h, nil
}

// Allows reports whether a request with this Host header is answered. The
// port, if any, is not compared.
func (h Hosts) Allows(host string) bool {
	if h.any {
		return true
	}
	// A loopback address first, without spelling it again: most requests
	// to a sandbox come from the machine itself.
	if addr, err := netip.ParseAddr(strings.TrimSuffix(stripPort(host), ".")); err == nil && addr.Unmap().IsLoopback() {
		return true
	}
	name := normalize(stripPort(host))
	if name == "" {
		return false
	}
	if name == "localhost" || h.names[name] {
		return true
	}
	for _, s := range h.suffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// stripPort is host without its port; an IPv6 address loses its brackets.
func stripPort(host string) string {
	if name, _, err := net.SplitHostPort(host); err == nil {
		return name
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}

func normalize(name string) string {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if addr, err := netip.ParseAddr(name); err == nil {
		// One spelling of an address, as the request may write it.
		return addr.WithZone("").String()
	}
	return name
}
