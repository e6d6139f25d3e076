package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRunDeliversEveryItem runs a small load against the real server and
// checks that the viewers' client received every ItemAdded.
func TestRunDeliversEveryItem(t *testing.T) {
	res, err := run(5, 2, 20, 500*time.Millisecond, 0, "", profiles{})
	http.DefaultClient.CloseIdleConnections()
	require.NoError(t, err)
	require.Equal(t, int64(5*10), res.expected)
	require.Equal(t, res.expected, res.delivered)
}

func TestParseDigits(t *testing.T) {
	n, ok := parseDigits([]byte(`1764300000123456789"`))
	require.True(t, ok)
	require.Equal(t, int64(1764300000123456789), n)
	_, ok = parseDigits([]byte(`"x`))
	require.False(t, ok)
}
