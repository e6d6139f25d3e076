package auth_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/auth"
)

func TestActionKindString(t *testing.T) {
	tests := []struct {
		kind auth.ActionKind
		want string
	}{
		{auth.Connect, "Connect"},
		{auth.Invoke, "Invoke"},
		{auth.JoinGroup, "JoinGroup"},
		{0, "ActionKind(0)"},
		{42, "ActionKind(42)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.kind.String())
	}
}

func TestAuthorizerFunc(t *testing.T) {
	var calls []auth.Action
	var a auth.Authorizer = auth.AuthorizerFunc(func(ctx context.Context, id *auth.Identity, act auth.Action) error {
		calls = append(calls, act)
		if id == nil {
			return fmt.Errorf("%w: anonymous", auth.ErrForbidden)
		}
		if act.Kind == auth.JoinGroup && act.Group != "team:"+id.UserID {
			return fmt.Errorf("%w: %s may not join %s", auth.ErrForbidden, id.UserID, act.Group)
		}
		return nil
	})
	ctx := t.Context()
	alice := &auth.Identity{UserID: "alice"}

	tests := []struct {
		name   string
		id     *auth.Identity
		action auth.Action
		denied bool
	}{
		{"anonymous connect", nil, auth.Action{Kind: auth.Connect}, true},
		{"connect", alice, auth.Action{Kind: auth.Connect}, false},
		{"invoke", alice, auth.Action{Kind: auth.Invoke, Method: "Send", Args: []any{"x"}}, false},
		{"own group", alice, auth.Action{Kind: auth.JoinGroup, Group: "team:alice"}, false},
		{"other group", alice, auth.Action{Kind: auth.JoinGroup, Group: "team:bob"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Authorize(ctx, tt.id, tt.action)
			if tt.denied {
				require.ErrorIs(t, err, auth.ErrForbidden)
			} else {
				require.NoError(t, err)
			}
		})
	}
	// Each call reaches the function: nothing is cached.
	require.NoError(t, a.Authorize(ctx, alice, auth.Action{Kind: auth.Connect}))
	assert.Len(t, calls, len(tests)+1)
	assert.Equal(t, []any{"x"}, calls[2].Args)
}

func TestAllowAll(t *testing.T) {
	for _, kind := range []auth.ActionKind{auth.Connect, auth.Invoke, auth.JoinGroup} {
		assert.NoError(t, auth.AllowAll.Authorize(t.Context(), nil, auth.Action{Kind: kind}))
		assert.NoError(t, auth.AllowAll.Authorize(t.Context(), &auth.Identity{UserID: "u"}, auth.Action{Kind: kind}))
	}
}

func TestErrForbiddenWrapping(t *testing.T) {
	err := fmt.Errorf("%w: not a member", auth.ErrForbidden)
	assert.True(t, errors.Is(err, auth.ErrForbidden))
	assert.Equal(t, "auth: access denied: not a member", err.Error())
}
