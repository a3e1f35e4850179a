package adminhttp

import (
	"net/http"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/hostcheck"
)

// HostRefusal is why a sandbox without an admin token refuses a Host: the
// message of its refusals, in the admin API's format and in the provider's
// envelope alike.
func HostRefusal(host string) string {
	return "Host " + quote(host) + " is not answered: a sandbox without an admin token answers only localhost, " +
		"loopback addresses and the names of --allowed-hosts, so that no web page can reach it through a name of its own (DNS rebinding)"
}

func quote(s string) string {
	if s == "" {
		return "(none)"
	}
	const most = 128
	if len(s) > most {
		s = s[:most] + "…"
	}
	return `"` + s + `"`
}

// allowHosts refuses, in the admin error format, a request whose Host hosts
// does not allow; nil hosts allows every Host.
func allowHosts(hosts *hostcheck.Hosts) guard {
	if hosts == nil {
		return nil
	}
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !hosts.Allows(r.Host) {
			writeError(w, admin.Errorf(http.StatusForbidden, admin.CodeForbidden, "%s", HostRefusal(r.Host)))
			return false
		}
		return true
	}
}

// sameOrigin refuses, in the admin error format, a state-changing request
// that a browser sent from a page of another origin: net/http's
// CrossOriginProtection judges it by Sec-Fetch-Site, or by Origin against
// Host in a browser too old for the former. Clients that are no browser
// (curl, the admin Client, the contract suite) send neither header and pass.
func sameOrigin() guard {
	protection := http.NewCrossOriginProtection()
	return func(w http.ResponseWriter, r *http.Request) bool {
		if err := protection.Check(r); err != nil {
			writeError(w, admin.Errorf(http.StatusForbidden, admin.CodeForbidden,
				"cross-origin %s refused (%s): a web page of another origin cannot change the sandbox; call the admin API from curl, a test or the admin client",
				r.Method, err.Error()))
			return false
		}
		return true
	}
}
