package presence_test

import (
	"testing"

	"github.com/listhub/listhub/presence"
	"github.com/listhub/listhub/presence/presencetest"
)

// go test -run '^$' -bench . -benchmem ./presence
func BenchmarkMemoryStore(b *testing.B) {
	presencetest.Benchmark(b, func(*testing.B) presence.Store { return presence.NewMemoryStore() }, nil)
}
