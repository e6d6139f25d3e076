package connection

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A POST body trickling slower than MinPostDataRate after the grace period
// is answered 408 and its connection closed; it was held forever.
func TestPostBelowMinimumDataRate(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{MinPostDataRateGrace: 100 * time.Millisecond})
	_, token := startLongPolling(t, app, ts)

	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	_, err = io.WriteString(conn, "POST /hub?id="+token+" HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\nabc")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "the trickling POST is answered")
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	assert.True(t, resp.Close, "the connection is closed")
}

// A POST body at the minimum rate or faster is read in full.
func TestPostAtTheDataRateIsRead(t *testing.T) {
	app := newTestApp()
	app.keepInput = true
	_, ts := newTestServer(t, app, Options{})
	sess, token := startLongPolling(t, app, ts)
	resp, _ := doBody(t, ts, http.MethodPost, "/hub?id="+token, nil, "hello")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	eventually(t, func() bool { return sess.inputString() == "hello" }, "the body is delivered")
}

// The buffer grows with the bytes that arrive, not with the length a
// request declares (500 trickling POSTs declaring 64 KiB held 32 MB).
func TestPostBufferGrowsAsDataArrives(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/hub", strings.NewReader("ten bytes!"))
	r.ContentLength = 60_000
	body, err := readPost(r, &bodyDeadline{}, nil, DefaultMaxPostBytes)
	require.NoError(t, err)
	assert.Equal(t, "ten bytes!", string(body))
	assert.LessOrEqual(t, cap(body), 4096)
}
