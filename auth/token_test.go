package auth_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/auth"
)

func TestTokenFromRequest(t *testing.T) {
	tests := []struct {
		name   string
		target string
		header string
		want   string
	}{
		{name: "nothing", target: "/hub", want: ""},
		{name: "header", target: "/hub", header: "Bearer abc.def.ghi", want: "abc.def.ghi"},
		{name: "lowercase scheme", target: "/hub", header: "bearer abc", want: "abc"},
		{name: "uppercase scheme", target: "/hub", header: "BEARER abc", want: "abc"},
		{name: "spaces around token", target: "/hub", header: "Bearer   abc  ", want: "abc"},
		{name: "query", target: "/hub?id=x&access_token=q.r.s", want: "q.r.s"},
		{name: "query percent-encoded", target: "/hub?access_token=q%2Er%2Es", want: "q.r.s"},
		{name: "header wins over query", target: "/hub?access_token=query", header: "Bearer header", want: "header"},
		{name: "other scheme falls back to query", target: "/hub?access_token=query", header: "Basic dXNlcjpwdw==", want: "query"},
		{name: "other scheme alone", target: "/hub", header: "Basic dXNlcjpwdw==", want: ""},
		{name: "empty bearer falls back to query", target: "/hub?access_token=query", header: "Bearer ", want: "query"},
		{name: "scheme without token", target: "/hub", header: "Bearer", want: ""},
		{name: "scheme as prefix of a word", target: "/hub", header: "Bearerabc", want: ""},
		{name: "empty query value", target: "/hub?access_token=", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			assert.Equal(t, tt.want, auth.TokenFromRequest(r))
		})
	}
}

func TestTokenFromRequestLeavesBodyAlone(t *testing.T) {
	const body = "access_token=from-body"
	r := httptest.NewRequest(http.MethodPost, "/hub?id=1", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	assert.Empty(t, auth.TokenFromRequest(r))
	got, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.Equal(t, body, string(got))
}

func TestTokenFromRequestWithoutURL(t *testing.T) {
	assert.Empty(t, auth.TokenFromRequest(&http.Request{Header: http.Header{}}))
}

func TestAuthenticatorFunc(t *testing.T) {
	want := &auth.Identity{UserID: "alice"}
	var a auth.Authenticator = auth.AuthenticatorFunc(func(r *http.Request) (*auth.Identity, error) {
		if auth.TokenFromRequest(r) == "" {
			return nil, auth.ErrNoToken
		}
		return want, nil
	})

	r := httptest.NewRequest(http.MethodGet, "/hub?access_token=t", nil)
	got, err := a.Authenticate(r)
	require.NoError(t, err)
	assert.Same(t, want, got)

	_, err = a.Authenticate(httptest.NewRequest(http.MethodGet, "/hub", nil))
	assert.ErrorIs(t, err, auth.ErrNoToken)
}

func TestErrorsAreDistinct(t *testing.T) {
	errs := []error{auth.ErrNoToken, auth.ErrInvalidToken, auth.ErrTokenExpired, auth.ErrForbidden}
	for i, a := range errs {
		assert.True(t, strings.HasPrefix(a.Error(), "auth: "), a.Error())
		for j, b := range errs {
			assert.Equal(t, i == j, errors.Is(a, b), "%v vs %v", a, b)
		}
	}
}
