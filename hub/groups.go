package hub

import (
	"context"
)

// Groups adds connections to and removes them from named groups. Groups are
// created on first use and disappear with their last member; a connection
// leaves all its groups when it disconnects.
type Groups struct {
	srv *Server
}

// Add puts a connection into a group. A connection of another node is asked
// to join through the backplane.
func (g *Groups) Add(ctx context.Context, connID, group string) error {
	if h := g.srv.local.get(connID); h != nil {
		return g.srv.local.join(ctx, h, group)
	}
	return g.srv.bp.Publish(ctx, g.srv.channelConn(connID), appendGroupEnvelope(nil, envGroupAdd, connID, group))
}

// RemoveUser takes every connection of a user, on every node, out of a
// group: call it when a user's access to the group is revoked, so the user
// receives nothing more from it. Connections of this node have left when it
// returns; other nodes act on it as their backplane delivers it. Later
// joins are asked of the Authorizer as always.
func (g *Groups) RemoveUser(ctx context.Context, userID, group string) error {
	for _, h := range g.srv.local.userConns(userID) {
		if err := g.srv.local.leave(ctx, h, group); err != nil {
			return err
		}
	}
	return g.srv.bp.Publish(ctx, g.srv.channelUser(userID), appendGroupEnvelope(nil, envUserLeave, userID, group))
}

// Remove takes a connection out of a group; it receives nothing more sent to
// the group once Remove has returned (for a connection of this node).
func (g *Groups) Remove(ctx context.Context, connID, group string) error {
	if h := g.srv.local.get(connID); h != nil {
		return g.srv.local.leave(ctx, h, group)
	}
	return g.srv.bp.Publish(ctx, g.srv.channelConn(connID), appendGroupEnvelope(nil, envGroupRemove, connID, group))
}
