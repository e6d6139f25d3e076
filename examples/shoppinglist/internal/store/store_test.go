package store

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newUser(t *testing.T, s *Store, name string) User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), name+"@example.com", "hash", name)
	require.NoError(t, err)
	return u
}

func TestMigrationsApplyOnceAndUsersAreUnique(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		require.NoError(t, s.migrate(ctx), "migrating again is a no-op")
		newUser(t, s, "ann")
		_, err := s.CreateUser(ctx, "ann@example.com", "h", "Ann 2")
		assert.ErrorIs(t, err, ErrDuplicate)
		u, hash, err := s.UserByEmail(ctx, "ann@example.com")
		require.NoError(t, err)
		assert.Equal(t, "hash", hash)
		assert.Equal(t, "ann", u.DisplayName)
		_, _, err = s.UserByEmail(ctx, "nobody@example.com")
		assert.ErrorIs(t, err, ErrNotFound)
	})
}

func TestPermissionsAreReadOnEveryOperation(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ann, bob, eve := newUser(t, s, "ann"), newUser(t, s, "bob"), newUser(t, s, "eve")
		l, err := s.CreateList(ctx, ann.ID, "Food", "")
		require.NoError(t, err)
		_, err = s.AddCollaborator(ctx, l.ID, ann.ID, "bob@example.com", Viewer)
		require.NoError(t, err)

		_, err = s.AddItem(ctx, l.ID, bob.ID, NewItem{Name: "x", Quantity: 1})
		assert.ErrorIs(t, err, ErrForbidden, "a Viewer cannot add")
		_, err = s.AddItem(ctx, l.ID, eve.ID, NewItem{Name: "x", Quantity: 1})
		assert.ErrorIs(t, err, ErrNotFound, "a stranger does not learn the list exists")

		_, err = s.SetPermission(ctx, l.ID, ann.ID, bob.ID, Editor)
		require.NoError(t, err)
		_, err = s.AddItem(ctx, l.ID, bob.ID, NewItem{Name: "x", Quantity: 1})
		assert.NoError(t, err, "the new permission holds at once")

		require.NoError(t, s.RemoveCollaborator(ctx, l.ID, ann.ID, bob.ID))
		_, _, err = s.Items(ctx, l.ID, bob.ID)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.ErrorIs(t, s.RemoveCollaborator(ctx, l.ID, ann.ID, ann.ID), ErrOwner)
	})
}

func TestEveryChangeWritesItsEventWithTheNextSeq(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ann := newUser(t, s, "ann")
		newUser(t, s, "bob")
		l, err := s.CreateList(ctx, ann.ID, "Food", "")
		require.NoError(t, err)
		it, err := s.AddItem(ctx, l.ID, ann.ID, NewItem{Name: "Milk", Quantity: 1})
		require.NoError(t, err)
		name := "Oat milk"
		_, err = s.UpdateItem(ctx, l.ID, it.ID, ann.ID, ItemPatch{Name: &name})
		require.NoError(t, err)
		_, err = s.UpdateItem(ctx, l.ID, it.ID, ann.ID, ItemPatch{Name: &name})
		require.NoError(t, err, "a patch that changes nothing writes no event")
		_, err = s.SetPurchased(ctx, l.ID, it.ID, ann.ID, true)
		require.NoError(t, err)
		_, err = s.AddCollaborator(ctx, l.ID, ann.ID, "bob@example.com", Editor)
		require.NoError(t, err)
		require.NoError(t, s.DeleteItem(ctx, l.ID, it.ID, ann.ID))

		events, err := s.Unsent(ctx, 100)
		require.NoError(t, err)
		var got []string
		for i, e := range events {
			assert.Equal(t, int64(i+1), e.Seq)
			got = append(got, e.Type)
			var p map[string]any
			require.NoError(t, json.Unmarshal(e.Payload, &p))
			assert.Equal(t, e.Type, p["eventType"])
			assert.Equal(t, l.ID, p["listId"])
			assert.EqualValues(t, e.Seq, p["seq"])
		}
		assert.Equal(t, []string{"ItemAdded", "ItemUpdated", "ItemPurchasedStatusChanged", "CollaboratorAdded", "ItemDeleted"}, got)
		seq, err := s.ListSeq(ctx, l.ID)
		require.NoError(t, err)
		assert.Equal(t, int64(5), seq)
	})
}

func TestAFailedChangeWritesNoEvent(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ann := newUser(t, s, "ann")
		l, err := s.CreateList(ctx, ann.ID, "Food", "")
		require.NoError(t, err)
		it, err := s.AddItem(ctx, l.ID, ann.ID, NewItem{Name: "Milk", Quantity: 1})
		require.NoError(t, err)
		stale, name := int64(7), "Beer"
		_, err = s.UpdateItem(ctx, l.ID, it.ID, ann.ID, ItemPatch{Name: &name, ExpectedVersion: &stale})
		var vc *VersionConflictError
		require.ErrorAs(t, err, &vc)
		assert.Equal(t, "Milk", vc.Item.Name)
		assert.Equal(t, int64(1), vc.Item.Version)
		events, err := s.Unsent(ctx, 100)
		require.NoError(t, err)
		assert.Len(t, events, 1)
	})
}

// Concurrent writers of one list get distinct, gapless seqs.
func TestConcurrentChangesGetGaplessSeqs(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ann := newUser(t, s, "ann")
		l, err := s.CreateList(ctx, ann.ID, "Food", "")
		require.NoError(t, err)
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Go(func() {
				_, err := s.AddItem(ctx, l.ID, ann.ID, NewItem{Name: "x", Quantity: 1})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		events, err := s.Unsent(ctx, 100)
		require.NoError(t, err)
		require.Len(t, events, 20)
		for i, e := range events {
			assert.Equal(t, int64(i+1), e.Seq)
		}
	})
}

func TestCatchUpKeepsTheLastEventsAndSaysWhenSomeAreGone(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ann := newUser(t, s, "ann")
		l, err := s.CreateList(ctx, ann.ID, "Food", "")
		require.NoError(t, err)
		const n = KeepEvents + 5
		for range n {
			_, err := s.AddItem(ctx, l.ID, ann.ID, NewItem{Name: "x", Quantity: 1})
			require.NoError(t, err)
		}
		for {
			events, err := s.Unsent(ctx, 500)
			require.NoError(t, err)
			if len(events) == 0 {
				break
			}
			for _, e := range events {
				require.NoError(t, s.MarkSent(ctx, e.ListID, e.Seq))
			}
		}
		tests := []struct {
			after      int64
			wantFirst  int64
			wantCount  int
			wantReload bool
		}{
			{after: n - 3, wantFirst: n - 2, wantCount: 3},
			{after: n - KeepEvents, wantFirst: n - KeepEvents + 1, wantCount: KeepEvents},
			{after: 0, wantFirst: n - KeepEvents + 1, wantCount: KeepEvents, wantReload: true},
			{after: n, wantCount: 0},
		}
		for _, tt := range tests {
			events, reload, err := s.EventsAfter(ctx, l.ID, tt.after, n)
			require.NoError(t, err)
			assert.Equal(t, tt.wantReload, reload, "after %d", tt.after)
			require.Len(t, events, tt.wantCount, "after %d", tt.after)
			if tt.wantCount > 0 {
				assert.Equal(t, tt.wantFirst, events[0].Seq)
				assert.Equal(t, int64(n), events[len(events)-1].Seq)
			}
		}
	})
}

func TestDeletingAListRevokesEveryMember(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
		l, err := s.CreateList(ctx, ann.ID, "Food", "")
		require.NoError(t, err)
		_, err = s.AddCollaborator(ctx, l.ID, ann.ID, "bob@example.com", Editor)
		require.NoError(t, err)
		assert.ErrorIs(t, s.DeleteList(ctx, l.ID, bob.ID), ErrForbidden)
		require.NoError(t, s.DeleteList(ctx, l.ID, ann.ID))
		events, err := s.Unsent(ctx, 100)
		require.NoError(t, err)
		last := events[len(events)-1]
		assert.Equal(t, "ListDeleted", last.Type)
		assert.ElementsMatch(t, []string{ann.ID, bob.ID}, last.Revoke)
		_, err = s.ListDetail(ctx, l.ID, ann.ID)
		assert.True(t, errors.Is(err, ErrNotFound))
		lists, err := s.Lists(ctx, bob.ID)
		require.NoError(t, err)
		assert.Empty(t, lists)
	})
}

// Events committed but never published (a crash before publishing) are
// still unsent when the database is opened again.
func TestUnsentEventsSurviveAReopen(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/crash.db"
	s, err := Open(ctx, path)
	require.NoError(t, err)
	ann := newUser(t, s, "ann")
	l, err := s.CreateList(ctx, ann.ID, "Food", "")
	require.NoError(t, err)
	for range 3 {
		_, err := s.AddItem(ctx, l.ID, ann.ID, NewItem{Name: "x", Quantity: 1})
		require.NoError(t, err)
	}
	require.NoError(t, s.MarkSent(ctx, l.ID, 1))
	require.NoError(t, s.Close())

	s, err = Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	events, err := s.Unsent(ctx, 100)
	require.NoError(t, err)
	require.Len(t, events, 2)
	assert.Equal(t, []int64{2, 3}, []int64{events[0].Seq, events[1].Seq})
}

// Nodes sharing the database publish each list's events one at a time, in
// seq order: only the lowest unsent event can be claimed, by one node, until
// its claim goes stale.
func TestClaimsSerializeEachListsPublishing(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ann := newUser(t, s, "ann")
		l, err := s.CreateList(ctx, ann.ID, "Food", "")
		require.NoError(t, err)
		for range 2 {
			_, err := s.AddItem(ctx, l.ID, ann.ID, NewItem{Name: "x", Quantity: 1})
			require.NoError(t, err)
		}
		fresh := s.Now().Add(-time.Hour) // claims newer than this hold
		claim := func(seq int64, node string, staleBefore time.Time) bool {
			ok, err := s.Claim(ctx, l.ID, seq, node, staleBefore)
			require.NoError(t, err)
			return ok
		}
		assert.False(t, claim(2, "a", fresh), "not while seq 1 is unsent")
		assert.True(t, claim(1, "a", fresh))
		assert.True(t, claim(1, "a", fresh), "a node may claim again what it holds")
		assert.False(t, claim(1, "b", fresh), "another node's fresh claim holds")
		assert.True(t, claim(1, "b", s.Now().Add(time.Hour)), "a stale claim is taken over")
		require.NoError(t, s.MarkSent(ctx, l.ID, 1))
		assert.False(t, claim(1, "a", fresh), "sent events are not claimed")
		assert.True(t, claim(2, "a", fresh))
	})
}
