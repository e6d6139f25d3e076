package main

import "github.com/listhub/listhub/hub"

// TaggedItem is not part of the upstream app: a type with only json tags,
// as Go applications write them, to check that both protocols carry it
// with the same keys ({name, qty, note?}; Secret never leaves the server).
type TaggedItem struct {
	Name   string `json:"name"`
	Qty    int    `json:"qty"`
	Note   string `json:"note,omitempty"`
	Secret string `json:"-"`
}

// EchoTaggedItem returns item with Qty doubled, and sends it to the caller
// as "TaggedItem" first, so a test sees a json-tagged struct arrive both
// as a result and as a client method's argument. It sets Secret, which must
// not reach the client, and fails when the client managed to set it.
func (testHub) EchoTaggedItem(c *hub.Context, item TaggedItem) (TaggedItem, error) {
	if item.Secret != "" {
		return TaggedItem{}, hub.Errorf("Secret was bound from the wire")
	}
	item.Qty *= 2
	item.Secret = "server only"
	if err := c.Clients().Caller().Send(c, "TaggedItem", item); err != nil {
		return TaggedItem{}, err
	}
	return item, nil
}
