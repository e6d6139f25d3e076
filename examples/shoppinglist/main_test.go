package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlagsAndEnvironment(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want func(*testing.T, options)
		err  bool
	}{
		{"defaults", nil, nil, func(t *testing.T, o options) {
			assert.Equal(t, "127.0.0.1:8080", o.addr)
			assert.Equal(t, "shoppinglist.db", o.db)
			assert.Equal(t, 24*time.Hour, o.tokenTTL)
			assert.Equal(t, 45*time.Second, o.presenceTimeout)
			assert.Equal(t, "info", o.logLevel)
		}, false},
		{"environment", map[string]string{"SHOPPINGLIST_JWT_SECRET": "s", "SHOPPINGLIST_PRESENCE_TIMEOUT": "5s", "SHOPPINGLIST_CORS_ORIGINS": "https://a"}, nil, func(t *testing.T, o options) {
			assert.Equal(t, "s", o.jwtSecret)
			assert.Equal(t, 5*time.Second, o.presenceTimeout)
			assert.Equal(t, "https://a", o.corsOrigins)
		}, false},
		{"a flag wins over the environment", map[string]string{"SHOPPINGLIST_ADDR": "127.0.0.1:1"}, []string{"-addr", "127.0.0.1:2"}, func(t *testing.T, o options) {
			assert.Equal(t, "127.0.0.1:2", o.addr)
		}, false},
		{"bad environment value", map[string]string{"SHOPPINGLIST_TOKEN_TTL": "forever"}, nil, nil, true},
		{"unknown flag", nil, []string{"-nope"}, nil, true},
		{"stray argument", nil, []string{"extra"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			o, err := parseFlags(tt.args, io.Discard)
			if tt.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			tt.want(t, o)
		})
	}
}
