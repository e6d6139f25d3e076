package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/listhub/listhub/auth"
)

// A JWT issues a token, and authenticates requests that carry it in the
// Authorization header (negotiate, POST, long polling) or in the
// access_token query parameter (browser WebSockets and Server-Sent Events).
func ExampleJWT() {
	tokens, err := auth.NewJWT(auth.JWTConfig{
		HMACKey: []byte("a secret of at least 32 bytes..."),
		Issuer:  "shoppinglist",
	})
	if err != nil {
		panic(err)
	}
	token, err := tokens.Issue("alice", 15*time.Minute, map[string]any{"name": "Alice"})
	if err != nil {
		panic(err)
	}

	negotiate := httptest.NewRequest(http.MethodPost, "/hubs/list/negotiate?negotiateVersion=1", nil)
	negotiate.Header.Set("Authorization", "Bearer "+token)
	id, err := tokens.Authenticate(negotiate)
	if err != nil {
		panic(err)
	}
	fmt.Println(id.UserID, id.Name)

	websocket := httptest.NewRequest(http.MethodGet, "/hubs/list?id=abc&access_token="+token, nil)
	id, err = tokens.Authenticate(websocket)
	if err != nil {
		panic(err)
	}
	fmt.Println(id.UserID, "via the query string")

	_, err = tokens.Authenticate(httptest.NewRequest(http.MethodGet, "/hubs/list", nil))
	fmt.Println(errors.Is(err, auth.ErrNoToken))

	_, err = tokens.Authenticate(httptest.NewRequest(http.MethodGet, "/hubs/list?access_token="+token+"x", nil))
	fmt.Println(errors.Is(err, auth.ErrInvalidToken))
	// Output:
	// alice Alice
	// alice via the query string
	// true
	// true
}

// An Authorizer for a shopping list app: everyone signed in may connect,
// only members of a list may join its group, and only admins may delete a
// list. It runs on every call, so removing a member takes effect at once.
func ExampleAuthorizerFunc() {
	members := map[string][]string{"kitchen": {"alice", "bob"}}
	isMember := func(list, user string) bool {
		for _, m := range members[list] {
			if m == user {
				return true
			}
		}
		return false
	}

	authz := auth.AuthorizerFunc(func(ctx context.Context, id *auth.Identity, a auth.Action) error {
		if id == nil {
			return fmt.Errorf("%w: sign in first", auth.ErrForbidden)
		}
		switch a.Kind {
		case auth.JoinGroup:
			if !isMember(a.Group, id.UserID) {
				return fmt.Errorf("%w: %s is not on list %s", auth.ErrForbidden, id.UserID, a.Group)
			}
		case auth.Invoke:
			if a.Method == "DeleteList" && id.Claims["role"] != "admin" {
				return fmt.Errorf("%w: only admins delete lists", auth.ErrForbidden)
			}
		}
		return nil
	})

	ctx := context.Background()
	alice := &auth.Identity{UserID: "alice"}
	carol := &auth.Identity{UserID: "carol", Claims: map[string]any{"role": "admin"}}

	fmt.Println(authz.Authorize(ctx, alice, auth.Action{Kind: auth.Connect}))
	fmt.Println(authz.Authorize(ctx, alice, auth.Action{Kind: auth.JoinGroup, Group: "kitchen"}))
	fmt.Println(authz.Authorize(ctx, carol, auth.Action{Kind: auth.JoinGroup, Group: "kitchen"}))
	fmt.Println(authz.Authorize(ctx, alice, auth.Action{Kind: auth.Invoke, Method: "DeleteList"}))
	fmt.Println(authz.Authorize(ctx, carol, auth.Action{Kind: auth.Invoke, Method: "DeleteList"}))

	members["kitchen"] = []string{"bob"} // alice leaves: her next join fails
	err := authz.Authorize(ctx, alice, auth.Action{Kind: auth.JoinGroup, Group: "kitchen"})
	fmt.Println(errors.Is(err, auth.ErrForbidden))
	// Output:
	// <nil>
	// <nil>
	// auth: access denied: carol is not on list kitchen
	// auth: access denied: only admins delete lists
	// <nil>
	// true
}

// The hub puts the identity of a connection into the context of its hub
// method calls.
func ExampleIdentityFrom() {
	ctx := auth.WithIdentity(context.Background(), &auth.Identity{UserID: "alice"})
	if id, ok := auth.IdentityFrom(ctx); ok {
		fmt.Println("called by", id.UserID)
	}
	// Output: called by alice
}

func ExampleTokenFromRequest() {
	r := httptest.NewRequest(http.MethodGet, "/hubs/list?id=abc&access_token=from-query", nil)
	fmt.Println(auth.TokenFromRequest(r))
	r.Header.Set("Authorization", "Bearer from-header")
	fmt.Println(auth.TokenFromRequest(r))
	// Output:
	// from-query
	// from-header
}
