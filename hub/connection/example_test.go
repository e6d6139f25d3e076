package connection_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/listhub/listhub/hub/connection"
)

// echoApp echoes every message back as its own WebSocket message.
type echoApp struct{}

func (echoApp) Connect(c *connection.Conn) (connection.Session, error) {
	return &echoSession{c: c}, nil
}

type echoSession struct{ c *connection.Conn }

func (s *echoSession) Receive(data []byte) error {
	// data is only valid during the call, and Write keeps the slice.
	return s.c.Write(bytes.Clone(data), false)
}

func (s *echoSession) Tick(time.Time) {}

func (s *echoSession) Closed(error) {}

// A raw echo endpoint, as the SignalR functional tests use one.
func Example_echo() {
	srv, err := connection.NewServer(echoApp{}, connection.Options{PreserveUnits: true})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Without negotiate: the server creates the connection on the spot.
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/echo", nil)
	if err != nil {
		panic(err)
	}
	defer ws.CloseNow()
	_ = ws.Write(ctx, websocket.MessageText, []byte("hello"))
	_, msg, _ := ws.Read(ctx)
	fmt.Println(string(msg))
	fmt.Println(ws.Close(websocket.StatusNormalClosure, ""))
	// Output:
	// hello
	// <nil>
}
