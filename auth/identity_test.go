package auth_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/listhub/listhub/auth"
)

func TestIdentityContext(t *testing.T) {
	ctx := t.Context()

	id, ok := auth.IdentityFrom(ctx)
	assert.False(t, ok)
	assert.Nil(t, id)

	alice := &auth.Identity{UserID: "alice", Name: "Alice"}
	ctx = auth.WithIdentity(ctx, alice)
	id, ok = auth.IdentityFrom(ctx)
	assert.True(t, ok)
	assert.Same(t, alice, id)

	// Derived contexts keep the identity; a nested one overrides it.
	child, cancel := context.WithCancel(ctx)
	defer cancel()
	id, _ = auth.IdentityFrom(child)
	assert.Same(t, alice, id)
	bob := &auth.Identity{UserID: "bob"}
	id, _ = auth.IdentityFrom(auth.WithIdentity(child, bob))
	assert.Same(t, bob, id)

	// A nil identity counts as none.
	id, ok = auth.IdentityFrom(auth.WithIdentity(ctx, nil))
	assert.False(t, ok)
	assert.Nil(t, id)
}
