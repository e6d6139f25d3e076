package redis

import "strconv"

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// slotTags returns n hash tags whose slots are spread evenly over the
// cluster's slots: tag i falls in the i-th of n equal slot ranges, so the
// shards spread over the masters whatever their number (as long as slot
// ranges are split evenly, as redis-cli --cluster create does).
func slotTags(n int) []string {
	tags := make([]string, n)
	for i := range tags {
		lo, hi := i*clusterSlots/n, (i+1)*clusterSlots/n
		for k := 0; ; k++ {
			tag := "s" + strconv.Itoa(i) + "." + strconv.Itoa(k)
			if s := int(crc16(tag)) % clusterSlots; s >= lo && s < hi {
				tags[i] = tag
				break
			}
		}
	}
	return tags
}

// shardOf returns the shard of a channel: stable across nodes and restarts.
func shardOf(channel string, n int) int {
	// FNV-1a, inline so that publishing allocates nothing for it.
	h := uint32(2166136261)
	for i := 0; i < len(channel); i++ {
		h ^= uint32(channel[i])
		h *= 16777619
	}
	return int(h % uint32(n))
}

// crc16 is CRC-16/XMODEM, the checksum Redis Cluster maps keys to slots with.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
