package redisstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/presence"
	"github.com/listhub/listhub/presence/redisstore"
)

func t0() time.Time { return time.Unix(1_800_000_000, 0) }

const (
	killedUsers  = 1000
	killedTopics = 100
	nodeEnv      = "LISTHUB_PRESENCE_NODE" // "addr prefix": run as the node to kill
)

func killedTopic(i int) string { return "list-" + strconv.Itoa(i%killedTopics) }

// alsoOnSurvivor says which users of the killed node also have a connection
// on a survivor: every fifth.
func alsoOnSurvivor(i int) bool { return i%5 == 0 }

// runNode is the node that TestNodeKilled kills: a tracker on the given
// Redis with 1,000 users in 100 topics (every tenth with two tabs). It says
// "ready" on stdout and runs until killed.
func runNode() bool {
	spec := os.Getenv(nodeEnv)
	if spec == "" {
		return false
	}
	var addr, prefix string
	if _, err := fmt.Sscan(spec, &addr, &prefix); err != nil {
		fmt.Fprintln(os.Stderr, "bad", nodeEnv, err)
		os.Exit(2)
	}
	store, err := redisstore.New(redis.NewClient(&redis.Options{Addr: addr}), redisstore.Options{Prefix: prefix})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	tr, err := presence.NewTracker(store, presence.Options{NodeID: "victim"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := context.Background()
	for i := range killedUsers {
		user := "u" + strconv.Itoa(i)
		if err := tr.Join(ctx, killedTopic(i), user, "k"+strconv.Itoa(i), nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if i%10 == 1 {
			if err := tr.Join(ctx, killedTopic(i), user, "k2-"+strconv.Itoa(i), nil); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
	}
	fmt.Println("ready")
	select {} // until kill -9
}

// TestNodeKilled: three trackers on one Redis, one of them a separate
// process holding 1,000 users in 100 topics; it is killed with SIGKILL. Every
// user whose last connection was there is announced left, with reason
// NodeDied, within 5 s and exactly once across the two survivors; the users
// who are also on a survivor are not.
func TestNodeKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node process for a few seconds")
	}
	ctx := t.Context()
	srv := startRedis(t)
	prefix := newPrefix()

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), nodeEnv+"="+srv.Addr()+" "+prefix)
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, child.Start())
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "the node process did not start")
	require.Equal(t, "ready\n", line)

	type left struct {
		ev presence.Event
		at time.Time
	}
	var mu sync.Mutex
	var lefts []left
	onEvent := func(ev presence.Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Kind == presence.Left {
			lefts = append(lefts, left{ev, time.Now()})
		}
	}
	survivors := make([]*presence.Tracker, 2)
	for i := range survivors {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		store, err := redisstore.New(c, redisstore.Options{Prefix: prefix})
		require.NoError(t, err)
		survivors[i], err = presence.NewTracker(store, presence.Options{NodeID: "survivor" + strconv.Itoa(i), OnEvent: onEvent})
		require.NoError(t, err)
		tr := survivors[i]
		t.Cleanup(func() { assert.NoError(t, tr.Close(context.Background())) })
	}
	stay := 0
	for i := range killedUsers {
		if alsoOnSurvivor(i) {
			require.NoError(t, survivors[i%2].Join(ctx, killedTopic(i), "u"+strconv.Itoa(i), "s"+strconv.Itoa(i), nil))
			stay++
		}
	}

	require.NoError(t, child.Process.Kill()) // SIGKILL
	killed := time.Now()
	want := killedUsers - stay
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(lefts) >= want
	}, 20*time.Second, 10*time.Millisecond, "the survivors announce the dead node's users")
	// Nothing more may come: no duplicate, no false leave. Wait through
	// three more reap rounds.
	assert.Never(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(lefts) > want
	}, 3*time.Second, 50*time.Millisecond, "a leave too many")

	mu.Lock()
	defer mu.Unlock()
	count := map[string]int{}
	var latest time.Duration
	for _, l := range lefts {
		count[l.ev.Topic+"/"+l.ev.Member.UserID]++
		assert.Equal(t, presence.NodeDied, l.ev.Reason)
		latest = max(latest, l.at.Sub(killed))
	}
	for i := range killedUsers {
		key := killedTopic(i) + "/u" + strconv.Itoa(i)
		if alsoOnSurvivor(i) {
			assert.Zero(t, count[key], "%s is still on a survivor", key)
		} else {
			assert.Equal(t, 1, count[key], "%s left exactly once", key)
		}
	}
	assert.LessOrEqual(t, latest, 5*time.Second, "from kill -9 to the last Left")
	t.Logf("kill -9 → last of %d Left events after %v", len(lefts), latest.Round(time.Millisecond))

	for i := range killedTopics {
		snap, err := survivors[1].Snapshot(ctx, killedTopic(i))
		require.NoError(t, err)
		want := 0
		if alsoOnSurvivor(i) { // topic i holds users i, i+100, ...: all or none stay
			want = killedUsers / killedTopics
		}
		assert.Len(t, snap.Members, want, "%s keeps exactly its users on survivors", killedTopic(i))
	}
}
