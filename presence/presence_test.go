package presence_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/listhub/listhub/presence"
	"github.com/listhub/listhub/presence/presencetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestMemoryStore(t *testing.T) {
	presencetest.Run(t, func(t *testing.T, n int) []presence.Store {
		s := presence.NewMemoryStore()
		stores := make([]presence.Store, n)
		for i := range stores {
			stores[i] = s
		}
		return stores
	})
}
