package server

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/examples/shoppinglist/internal/store"
)

// Events committed by a process that died before publishing them are
// published, in order, by the next one.
func TestDispatcherPublishesWhatACrashLeft(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crash.db")
	st, err := store.Open(ctx, path)
	require.NoError(t, err)
	u, err := st.CreateUser(ctx, "ann@example.com", "h", "Ann")
	require.NoError(t, err)
	l, err := st.CreateList(ctx, u.ID, "Food", "")
	require.NoError(t, err)
	for range 5 {
		_, err := st.AddItem(ctx, l.ID, u.ID, store.NewItem{Name: "x", Quantity: 1})
		require.NoError(t, err)
	}
	require.NoError(t, st.Close()) // the "crash": nothing was published

	reopened, err := store.Open(ctx, path)
	require.NoError(t, err)
	e := newEnv(t, func(c *Config) { c.Store = reopened })
	published := e.srv.metrics.eventsPublished.WithLabelValues("ItemAdded")
	require.Eventually(t, func() bool { return testutil.ToFloat64(published) == 5 }, 30*time.Second, 10*time.Millisecond)
	left, err := reopened.Unsent(ctx, 10)
	require.NoError(t, err)
	assert.Empty(t, left, "every event is marked sent")
	events, reload, err := reopened.EventsAfter(ctx, l.ID, 0, 5)
	require.NoError(t, err)
	assert.False(t, reload)
	assert.Len(t, events, 5, "and kept for catch-up")
}
