// Package redis is a backplane.Backplane on Redis pub/sub, through
// github.com/redis/go-redis/v9: the nodes of a listhub cluster that share a
// Redis (a single server, Sentinel or a Cluster) reach each other through it.
// It is the only package of the library that imports go-redis.
//
// Full documentation of the layout and guarantees follows in this file.
package redis
