package cli

import (
	"container/list"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// connGate is the listener the server accepts from. It holds the open
// connections to a limit without letting idle ones lock clients out, and at
// shutdown it ends the reads that wait on clients, so that neither a flood
// of idle keep-alive connections nor one slow sender can hold the server.
//
// A connection is accepted only while fewer than limit are open; past that,
// new ones wait in the kernel's backlog. Whenever every slot is taken and a
// connection is idle, the one idle longest is closed, so that a slot stays
// free for the next client, as Apache's event MPM closes keep-alive
// connections when it runs out of room. Only a server whose every
// connection is busy answering makes new clients wait. A client whose idle
// connection is closed reconnects, as it must after any idle timeout.
type connGate struct {
	net.Listener
	limit int // 0: no limit

	mu    sync.Mutex
	open  map[*gatedConn]struct{}
	idle  list.List // of *gatedConn, longest idle first
	slots int       // connections holding a slot, at most limit
	// changed wakes an Accept waiting for a slot.
	changed chan struct{}
	closed  chan struct{}
	closing sync.Once
	// shuttingDown makes reads that wait on a client end at once.
	shuttingDown atomic.Bool
}

func newConnGate(ln net.Listener, limit int) *connGate {
	return &connGate{
		Listener: ln,
		limit:    limit,
		open:     make(map[*gatedConn]struct{}),
		changed:  make(chan struct{}, 1),
		closed:   make(chan struct{}),
	}
}

// gatedConn is a connection accepted through a connGate.
type gatedConn struct {
	net.Conn
	gate      *connGate
	closeOnce sync.Once
	closeErr  error

	// Guarded by gate.mu.
	state    http.ConnState
	idleElem *list.Element

	// bodyPending is set while a request's body may still be arriving from
	// the client.
	bodyPending atomic.Bool
}

// Accept waits for a free slot, then for a connection.
func (g *connGate) Accept() (net.Conn, error) {
	if err := g.takeSlot(); err != nil {
		return nil, err
	}
	c, err := g.Listener.Accept()
	if err != nil {
		g.releaseSlot()
		return nil, err
	}
	gc := &gatedConn{Conn: c, gate: g}
	g.mu.Lock()
	g.open[gc] = struct{}{}
	victim := g.roomVictim()
	g.mu.Unlock()
	if victim != nil {
		victim.Close()
	}
	return gc, nil
}

// takeSlot waits until fewer than limit connections are open and counts
// one more.
func (g *connGate) takeSlot() error {
	if g.limit <= 0 {
		return nil
	}
	for {
		g.mu.Lock()
		if g.slots < g.limit {
			g.slots++
			g.mu.Unlock()
			return nil
		}
		g.mu.Unlock()
		select {
		case <-g.changed:
		case <-g.closed:
			return net.ErrClosed
		}
	}
}

func (g *connGate) releaseSlot() {
	if g.limit <= 0 {
		return
	}
	g.mu.Lock()
	g.slots--
	g.mu.Unlock()
	g.wake()
}

// roomVictim is the connection to close so that a slot is free for the next
// client: the one idle longest, when every slot is taken. g.mu must be held.
func (g *connGate) roomVictim() *gatedConn {
	if g.limit <= 0 || g.slots < g.limit {
		return nil
	}
	front := g.idle.Front()
	if front == nil {
		return nil
	}
	victim := front.Value.(*gatedConn)
	g.forgetIdle(victim)
	return victim
}

// Close stops accepting; open connections are the server's to close.
func (g *connGate) Close() error {
	g.closing.Do(func() { close(g.closed) })
	return g.Listener.Close()
}

func (g *connGate) wake() {
	select {
	case g.changed <- struct{}{}:
	default:
	}
}

// forgetIdle takes c off the idle list; g.mu must be held.
func (g *connGate) forgetIdle(c *gatedConn) {
	if c.idleElem != nil {
		g.idle.Remove(c.idleElem)
		c.idleElem = nil
	}
}

// connState is the http.Server's ConnState hook: it keeps the idle list.
func (g *connGate) connState(c net.Conn, state http.ConnState) {
	gc, ok := c.(*gatedConn)
	if !ok {
		return
	}
	var victim *gatedConn
	g.mu.Lock()
	gc.state = state
	g.forgetIdle(gc)
	if state == http.StateIdle {
		gc.idleElem = g.idle.PushBack(gc)
		gc.bodyPending.Store(false)
		victim = g.roomVictim()
	}
	g.mu.Unlock()
	if victim != nil {
		victim.Close()
	}
	if state == http.StateNew && g.shuttingDown.Load() {
		gc.interruptRead()
	}
}

func (c *gatedConn) Close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.Conn.Close()
		g := c.gate
		g.mu.Lock()
		g.forgetIdle(c)
		delete(g.open, c)
		g.mu.Unlock()
		g.releaseSlot()
	})
	return c.closeErr
}

// interruptRead makes a read waiting on the client fail now; writes go on.
func (c *gatedConn) interruptRead() { _ = c.SetReadDeadline(time.Now()) }

// interruptReads is called as shutdown begins. Connections that have not
// sent a request yet, and requests whose body is still arriving, would hold
// the shutdown for as long as their client pleases: their reads end now, so
// they get an answer (or, before any request, are closed). Requests already
// received run to the end.
func (g *connGate) interruptReads() {
	g.shuttingDown.Store(true)
	g.mu.Lock()
	var waiting []*gatedConn
	for c := range g.open {
		if c.state == http.StateNew || c.bodyPending.Load() {
			waiting = append(waiting, c)
		}
	}
	g.mu.Unlock()
	for _, c := range waiting {
		c.interruptRead()
	}
}

// SetLinger reaches the TCP connection beneath, so that a reset fault still
// resets through the gate.
func (c *gatedConn) SetLinger(sec int) error {
	tcp, ok := c.Conn.(*net.TCPConn)
	if !ok {
		return errors.ErrUnsupported
	}
	return tcp.SetLinger(sec)
}

type gatedConnKey struct{}

// connContext is the http.Server's ConnContext hook: it lets a request find
// its connection.
func (g *connGate) connContext(ctx context.Context, c net.Conn) context.Context {
	if gc, ok := c.(*gatedConn); ok {
		return context.WithValue(ctx, gatedConnKey{}, gc)
	}
	return ctx
}

// trackBodies marks a connection's request body pending until it has been
// read to its end, so that shutdown can tell a client still sending.
func (g *connGate) trackBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gc, _ := r.Context().Value(gatedConnKey{}).(*gatedConn)
		if gc == nil || r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		gc.bodyPending.Store(true)
		// Checked after marking the body, as interruptReads marks
		// shutdown before looking at bodies: one of the two sees the other.
		if g.shuttingDown.Load() {
			gc.interruptRead()
		}
		r.Body = &trackedBody{ReadCloser: r.Body, conn: gc}
		next.ServeHTTP(w, r)
	})
}

type trackedBody struct {
	io.ReadCloser
	conn *gatedConn
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.conn.bodyPending.Store(false)
	}
	return n, err
}

// serveGated wires hs to the gate: its hooks, and the body tracking around
// its handler. Hooks hs already has still run.
func (g *connGate) serveGated(hs *http.Server) {
	prevState, prevContext := hs.ConnState, hs.ConnContext
	hs.ConnState = func(c net.Conn, s http.ConnState) {
		g.connState(c, s)
		if prevState != nil {
			prevState(c, s)
		}
	}
	hs.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if prevContext != nil {
			ctx = prevContext(ctx, c)
		}
		return g.connContext(ctx, c)
	}
	hs.Handler = g.trackBodies(hs.Handler)
}
