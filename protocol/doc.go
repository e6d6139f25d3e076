// Package protocol is the wire format of ASP.NET Core SignalR hubs: the nine
// hub message types, the handshake, and the two hub protocols the official
// clients speak, JSON ("json", text) and MessagePack ("messagepack", binary).
//
// The package is pure: it starts no goroutines, touches no network and imports
// no other listhub package. Encoders append to a caller's buffer
// (AppendMessage), so a broadcast is encoded once per protocol and the same
// bytes are shared by every recipient. Parsers are incremental: ParseMessages
// takes whatever bytes have arrived, returns every whole message in them and
// reports how many bytes it consumed; the rest waits for more input.
//
// Arguments, stream items and results arrive as RawValue: the undecoded wire
// bytes of that one value. They are bound to a Go type later with
// Codec.Bind, once the receiver knows the parameter type, exactly as the
// official server buffers raw tokens until it has resolved the hub method.
//
// Every decoder enforces a maximum message size (DefaultMaxMessageSize,
// 32 KiB, like ASP.NET Core's MaximumReceiveMessageSize) and reports a larger
// message with ErrMessageTooLarge.
package protocol
