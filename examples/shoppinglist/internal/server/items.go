package server

import (
	"net/http"

	"github.com/listhub/listhub/examples/shoppinglist/internal/store"
)

type itemsResponse struct {
	Items []store.Item `json:"items"`
	Seq   int64        `json:"seq"`
}

func (s *Server) items(w http.ResponseWriter, r *http.Request) {
	items, seq, err := s.store.Items(r.Context(), r.PathValue("listId"), userID(r))
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	writeJSON(w, http.StatusOK, itemsResponse{Items: items, Seq: seq})
}

// itemFields are the fields of POST and PATCH; validate checks those that
// are present.
type itemFields struct {
	Name       *string  `json:"name"`
	Quantity   *float64 `json:"quantity"`
	Unit       *string  `json:"unit"`
	CategoryID *string  `json:"categoryId"`
	Notes      *string  `json:"notes"`
	ImageURL   *string  `json:"imageUrl"`
}

func (in *itemFields) validate(f fieldErrors) {
	validName(f, "name", in.Name, 200)
	validQuantity(f, in.Quantity)
	validMax(f, "unit", in.Unit, 32)
	validMax(f, "categoryId", in.CategoryID, 100)
	validMax(f, "notes", in.Notes, 2000)
	validURL(f, "imageUrl", in.ImageURL)
}

func (s *Server) addItem(w http.ResponseWriter, r *http.Request) {
	var in itemFields
	if !decode(w, r, &in) {
		return
	}
	f := fieldErrors{}
	f.check(in.Name != nil, "name", "must be 1 to 200 characters")
	in.validate(f)
	if f.answer(w) {
		return
	}
	it := store.NewItem{Name: *in.Name, Quantity: 1, CategoryID: in.CategoryID}
	if in.Quantity != nil {
		it.Quantity = *in.Quantity
	}
	if in.CategoryID != nil && *in.CategoryID == "" {
		it.CategoryID = nil
	}
	for dst, src := range map[*string]*string{&it.Unit: in.Unit, &it.Notes: in.Notes, &it.ImageURL: in.ImageURL} {
		if src != nil {
			*dst = *src
		}
	}
	item, err := s.store.AddItem(r.Context(), r.PathValue("listId"), userID(r), it)
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	writeJSON(w, http.StatusCreated, item)
}

func (s *Server) updateItem(w http.ResponseWriter, r *http.Request) {
	var in struct {
		itemFields
		Position        *int64 `json:"position"`
		ExpectedVersion *int64 `json:"expectedVersion"`
	}
	if !decode(w, r, &in) {
		return
	}
	f := fieldErrors{}
	in.validate(f)
	f.check(in.Position == nil || *in.Position >= 0 && *in.Position <= 1<<40, "position", "must be a whole number from 0")
	if f.answer(w) {
		return
	}
	item, err := s.store.UpdateItem(r.Context(), r.PathValue("listId"), r.PathValue("itemId"), userID(r), store.ItemPatch{
		Name: in.Name, Quantity: in.Quantity, Unit: in.Unit, CategoryID: in.CategoryID, Notes: in.Notes,
		ImageURL: in.ImageURL, Position: in.Position, ExpectedVersion: in.ExpectedVersion,
	})
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	writeJSON(w, http.StatusOK, item)
}

func (s *Server) deleteItem(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteItem(r.Context(), r.PathValue("listId"), r.PathValue("itemId"), userID(r)); err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) purchase(w http.ResponseWriter, r *http.Request) {
	var in struct {
		IsPurchased *bool `json:"isPurchased"`
	}
	if !decode(w, r, &in) {
		return
	}
	f := fieldErrors{}
	f.check(in.IsPurchased != nil, "isPurchased", "required: true or false")
	if f.answer(w) {
		return
	}
	item, err := s.store.SetPurchased(r.Context(), r.PathValue("listId"), r.PathValue("itemId"), userID(r), *in.IsPurchased)
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	writeJSON(w, http.StatusOK, item)
}
