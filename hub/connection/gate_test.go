package connection

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gateApp admits up to room negotiated connections at a time and records
// what its Gate hears.
type gateApp struct {
	*testApp
	mu      sync.Mutex
	room    int
	dropped []string
}

func (g *gateApp) Negotiated(c *Conn, r *http.Request) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.room == 0 {
		return false
	}
	g.room--
	return true
}

func (g *gateApp) Dropped(c *Conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.room++
	g.dropped = append(g.dropped, c.ID())
}

func (g *gateApp) Connect(c *Conn) (Session, error) {
	g.mu.Lock()
	g.room++ // Connect takes over: the gate's place is free again
	g.mu.Unlock()
	return g.testApp.Connect(c)
}

func TestGate(t *testing.T) {
	app := &gateApp{testApp: newTestApp(), room: 2}
	_, ts := newTestServer(t, app, Options{DisconnectTimeout: 100 * time.Millisecond, tickInterval: 20 * time.Millisecond})

	idA, _ := negotiate(t, ts)
	_, tokenB := negotiate(t, ts)
	resp, body := do(t, ts, http.MethodPost, "/hub/negotiate?negotiateVersion=1", nil)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the gate refuses a third")
	assert.Empty(t, body)

	dial(t, ts, "id="+tokenB) // B starts: Connect, not Dropped
	app.next(t)
	eventually(t, func() bool {
		app.mu.Lock()
		defer app.mu.Unlock()
		return len(app.dropped) == 1
	}, "A expires unstarted and is dropped")
	app.mu.Lock()
	defer app.mu.Unlock()
	require.Equal(t, []string{idA}, app.dropped)
	assert.Equal(t, 2, app.room)
}
