package hub

import (
	"errors"
	"fmt"
)

// Error is an error whose message always reaches the client, like ASP.NET
// Core's HubException. Return it (or wrap it) from a hub method to tell the
// caller what went wrong; any other error's text is shown only when
// Config.EnableDetailedErrors is on.
type Error struct {
	Message string
	cause   error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the error this one stands for, if any (ErrAccessDenied
// stands for auth.ErrForbidden).
func (e *Error) Unwrap() error { return e.cause }

// TypeName implements TypeNamer: the client sees "HubException: <message>".
func (e *Error) TypeName() string { return "HubException" }

// Errorf returns an *Error with a formatted message.
func Errorf(format string, args ...any) error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

// TypeNamer is implemented by errors that carry the exception type name a
// detailed error message shows before the text, e.g.
// "InvalidOperationException". Errors without it are shown as "Exception".
type TypeNamer interface {
	TypeName() string
}

// WithTypeName returns err with the given exception type name for detailed
// error messages, so a Go hub can produce the texts the official server
// sends, e.g. "InvalidOperationException: An error occurred.".
func WithTypeName(typeName string, err error) error {
	return &namedError{name: typeName, err: err}
}

type namedError struct {
	name string
	err  error
}

func (e *namedError) Error() string    { return e.err.Error() }
func (e *namedError) Unwrap() error    { return e.err }
func (e *namedError) TypeName() string { return e.name }

// Sentinel errors of the hub.
var (
	// ErrConnectionNotFound is returned for a connection id that is not connected.
	ErrConnectionNotFound = errors.New("hub: connection not found")
	// ErrServerClosed is returned after Shutdown or Close.
	ErrServerClosed = errors.New("hub: server closed")
)

// errorMessage builds the text the client sees, as ASP.NET Core's
// ErrorMessageHelper.BuildErrorMessage does: the prefix alone, or the prefix
// followed by " <TypeName>: <message>" when detailed errors are on or the
// error is an *Error.
func errorMessage(prefix string, err error, detailed bool) string {
	if err == nil {
		return prefix
	}
	var hubErr *Error
	if errors.As(err, &hubErr) {
		return prefix + " HubException: " + hubErr.Message
	}
	if !detailed {
		return prefix
	}
	name := "Exception"
	var namer TypeNamer
	if errors.As(err, &namer) {
		name = namer.TypeName()
	}
	return prefix + " " + name + ": " + err.Error()
}

// invalidData marks argument and protocol problems, shown in detailed mode as
// InvalidDataException like the official server.
func invalidData(format string, args ...any) error {
	return WithTypeName("InvalidDataException", fmt.Errorf(format, args...))
}
