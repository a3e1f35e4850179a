package mockserver

import (
	"net/http"
	"sync/atomic"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
)

// dialects choose the dialect each request is answered in: the one its
// X-Mock-Dialect header names, else its registration's, else the server's.
// The chosen one is handed to every handler that answers the request, and
// its name goes in the X-Mock-Dialect answer header.
type dialects struct {
	server named
	// header honours the X-Mock-Dialect request header.
	header bool
	// registrations are those of the fixtures in force.
	registrations atomic.Pointer[registrationDialects]
}

// named is a dialect and the value of the answer header naming it, made
// once so that choosing it costs a request nothing.
type named struct {
	d    *dialect.Dialect
	name []string
}

func nameOf(d dialect.Dialect) named { return named{d: &d, name: []string{d.String()}} }

// isZero reports whether n names no dialect.
func (n named) isZero() bool { return n.d == nil }

// registrationDialects is what the fixtures in force say of dialects.
type registrationDialects struct {
	// own holds the registrations that name a dialect of their own.
	own map[string]named
	// partners finds the registration a Token's partnerId claim stands for,
	// for dialects that let a Token name the partner; "" when several
	// registrations share the partnerId.
	partners map[string]string
}

func newDialects(server dialect.Dialect, header bool) *dialects {
	ds := &dialects{server: nameOf(server), header: header}
	ds.registrations.Store(&registrationDialects{})
	return ds
}

// setRegistrations puts the dialects of set's registrations in force; the
// set has been checked (control.Control.Load), so each one it names parses.
func (ds *dialects) setRegistrations(set fixtures.Set) {
	next := &registrationDialects{own: map[string]named{}, partners: map[string]string{}}
	for _, r := range set.Registrations {
		if d, err := r.ParseDialect(); err == nil && !d.IsZero() {
			next.own[r.ID] = nameOf(d)
		}
		partner := r.PartnerID
		if partner == "" {
			partner = r.ID
		}
		if _, shared := next.partners[partner]; shared {
			next.partners[partner] = ""
			continue
		}
		next.partners[partner] = r.ID
	}
	ds.registrations.Store(next)
}

// registrationFor is the registration a Token's partnerId claim names.
func (ds *dialects) registrationFor(partnerID string) (string, bool) {
	id := ds.registrations.Load().partners[partnerID]
	return id, id != ""
}

// ofRegistration is the dialect of the registration an enquiry body is for,
// found before the body is read under any dialect's rules; the zero named
// when the registration names none. Reading the body costs only servers
// whose registrations name dialects.
func (ds *dialects) ofRegistration(body []byte, token string) named {
	regs := ds.registrations.Load()
	if len(regs.own) == 0 {
		return named{}
	}
	req := dialect.PeekRegistration(body, token)
	id := req.RegistrationID
	if id == "" && req.TokenPartner != "" {
		id = regs.partners[req.TokenPartner]
	}
	return regs.own[id]
}

// choose returns the dialect of r and names it in the answer header. An
// X-Mock-Dialect header that names no dialect is refused, in the dialect
// that would have applied without it, which choose returns with false.
// body is r's when r is an enquiry whose body could be read, else nil.
func (ds *dialects) choose(w http.ResponseWriter, r *http.Request, body []byte) (*dialect.Dialect, bool) {
	chosen := ds.server
	var registration dialect.Dialect
	if body != nil {
		if reg := ds.ofRegistration(body, r.Header.Get(rechargestatus.TokenHeader)); !reg.isZero() {
			chosen, registration = reg, *reg.d
		}
	}
	header := ""
	if ds.header {
		header = r.Header.Get(dialect.Header)
	}
	d, err := dialect.Choose(header, registration, *ds.server.d)
	if err == nil && header != "" {
		chosen = nameOf(d)
	}
	// A refused header leaves the dialect that applies without it.
	w.Header()[dialect.Header] = chosen.name
	if err != nil {
		envelope.WriteFailure(w, *chosen.d, dialect.Validation, err.Error(), "")
		return chosen.d, false
	}
	return chosen.d, true
}
