package protocol_test

import (
	"fmt"
	"log"

	"github.com/listhub/listhub/protocol"
)

type item struct {
	Name string `json:"name"`
	Qty  int    `json:"qty"`
}

// Encode messages with a codec, parse them back as they arrive, and bind
// the raw arguments to Go types once the receiver knows them.
func Example() {
	for _, codec := range []protocol.Codec{protocol.JSON{}, protocol.MessagePack{}} {
		var wire []byte
		wire, err := codec.AppendMessage(wire, &protocol.Invocation{
			InvocationID: "1", Target: "Add", Arguments: []any{"groceries", item{Name: "milk", Qty: 2}},
		})
		if err != nil {
			log.Fatal(err)
		}
		wire, err = codec.AppendMessage(wire, &protocol.Ping{})
		if err != nil {
			log.Fatal(err)
		}

		// The first 10 bytes alone are not a whole message: nothing is consumed.
		msgs, n, err := codec.ParseMessages(nil, wire[:10])
		fmt.Println(codec.Name(), len(msgs), n, err)

		msgs, n, err = codec.ParseMessages(nil, wire)
		if err != nil {
			log.Fatal(err)
		}
		inv := msgs[0].(*protocol.Invocation)
		var list string
		var it item
		if err := codec.Bind(inv.Arguments[0].(protocol.RawValue), &list); err != nil {
			log.Fatal(err)
		}
		if err := codec.Bind(inv.Arguments[1].(protocol.RawValue), &it); err != nil {
			log.Fatal(err)
		}
		fmt.Println(codec.Name(), len(msgs), n == len(wire), inv.Target, list, it, msgs[1].Type())
	}
	// Output:
	// json 0 0 <nil>
	// json 2 true Add groceries {milk 2} Ping
	// messagepack 0 0 <nil>
	// messagepack 2 true Add groceries {milk 2} Ping
}

// JSON writes a message as the official clients read it; json tags name
// the fields, in MessagePack too.
func ExampleJSON_AppendMessage() {
	b, err := protocol.JSON{}.AppendMessage(nil, &protocol.Completion{
		InvocationID: "7", HasResult: true, Result: item{Name: "milk", Qty: 2},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", b)
	// Output:
	// "{\"type\":3,\"invocationId\":\"7\",\"result\":{\"name\":\"milk\",\"qty\":2}}\x1e"
}

// MessagePack frames each message with a length prefix; a struct becomes a
// map keyed by its json names.
func ExampleMessagePack_AppendMessage() {
	b, err := protocol.MessagePack{}.AppendMessage(nil, &protocol.Completion{
		InvocationID: "7", HasResult: true, Result: item{Name: "milk", Qty: 2},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("% x\n", b)
	// Output:
	// 16 95 03 80 a1 37 03 82 a4 6e 61 6d 65 a4 6d 69 6c 6b a3 71 74 79 02
}

// A handshake opens every connection: the client names its protocol, the
// server answers with an empty object or an error.
func ExampleParseHandshakeRequest() {
	req, n, err := protocol.ParseHandshakeRequest([]byte("{\"protocol\":\"messagepack\",\"version\":1}\x1e"), 0)
	fmt.Println(req.Protocol, req.Version, n, err)
	fmt.Printf("%q\n", protocol.AppendHandshakeResponse(nil, ""))
	// Output:
	// messagepack 1 39 <nil>
	// "{}\x1e"
}
