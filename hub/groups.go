package hub

import (
	"context"

	"github.com/listhub/listhub/internal/nodemsg"
)

// Groups adds connections to and removes them from named groups. Groups are
// created on first use and disappear with their last member; a connection
// leaves all its groups when it disconnects.
//
// A connection may be on any node. For a connection of another node, the
// node that owns it applies the change and answers; Add and Remove return
// after that answer, so a message sent to the group right after Add
// returns reaches the connection. The changes of one connection made on one
// node are applied in the order they were made.
type Groups struct {
	srv *Server
}

// Add puts a connection into a group. It returns ErrConnectionNotFound when
// no node has the connection (at once when the backplane knows every node,
// as Memory does), ErrAccessDenied when the Authorizer refuses, ErrNodeTimeout
// when the owner does not answer within Config.RemoteCommandTimeout, and
// ctx's error, changing nothing, when ctx is done before it starts. When the
// backplane subscription of the group's first member on a node fails, the
// connection is not added and the error is returned.
func (g *Groups) Add(ctx context.Context, connID, group string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if h := g.srv.local.get(connID); h != nil {
		return g.srv.local.join(ctx, h, group)
	}
	return g.srv.peers.command(ctx, nodemsg.OpGroupAdd, connID, group)
}

// RemoveUser takes every connection of a user, on every node, out of a
// group: call it when a user's access to the group is revoked, so the user
// receives nothing more from it. It returns when every live node has
// applied it (or is gone). Later joins are asked of the Authorizer as
// always.
func (g *Groups) RemoveUser(ctx context.Context, userID, group string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, h := range g.srv.local.userConns(userID) {
		if err := g.srv.local.leave(ctx, h, group); err != nil {
			return err
		}
	}
	return g.srv.peers.command(ctx, nodemsg.OpUserLeave, userID, group)
}

// Remove takes a connection out of a group; once Remove has returned, the
// connection receives nothing more sent to the group. Its errors are
// Add's.
func (g *Groups) Remove(ctx context.Context, connID, group string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if h := g.srv.local.get(connID); h != nil {
		return g.srv.local.leave(ctx, h, group)
	}
	return g.srv.peers.command(ctx, nodemsg.OpGroupRemove, connID, group)
}
