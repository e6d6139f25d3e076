package server

import (
	"net/http"

	"github.com/listhub/listhub/examples/shoppinglist/internal/store"
)

func (s *Server) lists(w http.ResponseWriter, r *http.Request) {
	ls, err := s.store.Lists(r.Context(), userID(r))
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	writeJSON(w, http.StatusOK, ls)
}

func (s *Server) createList(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if !decode(w, r, &in) {
		return
	}
	f := fieldErrors{}
	f.check(in.Name != nil, "name", "must be 1 to 200 characters")
	validName(f, "name", in.Name, 200)
	validMax(f, "description", in.Description, 2000)
	if f.answer(w) {
		return
	}
	desc := ""
	if in.Description != nil {
		desc = *in.Description
	}
	l, err := s.store.CreateList(r.Context(), userID(r), *in.Name, desc)
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	writeJSON(w, http.StatusCreated, l)
}

func (s *Server) getList(w http.ResponseWriter, r *http.Request) {
	d, err := s.store.ListDetail(r.Context(), r.PathValue("listId"), userID(r))
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) updateList(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if !decode(w, r, &in) {
		return
	}
	f := fieldErrors{}
	validName(f, "name", in.Name, 200)
	validMax(f, "description", in.Description, 2000)
	if f.answer(w) {
		return
	}
	l, err := s.store.UpdateList(r.Context(), r.PathValue("listId"), userID(r), in.Name, in.Description)
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *Server) deleteList(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteList(r.Context(), r.PathValue("listId"), userID(r)); err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func validPermission(f fieldErrors, p *string) {
	f.check(p != nil && (*p == store.Editor || *p == store.Viewer), "permission", `must be "Editor" or "Viewer"`)
}

func (s *Server) addCollaborator(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email      *string `json:"email"`
		Permission *string `json:"permission"`
	}
	if !decode(w, r, &in) {
		return
	}
	f := fieldErrors{}
	email := normaliseEmail(in.Email)
	f.check(validEmail(email), "email", "must be an email address")
	validPermission(f, in.Permission)
	if f.answer(w) {
		return
	}
	c, err := s.store.AddCollaborator(r.Context(), r.PathValue("listId"), userID(r), email, *in.Permission)
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) updateCollaborator(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Permission *string `json:"permission"`
	}
	if !decode(w, r, &in) {
		return
	}
	f := fieldErrors{}
	validPermission(f, in.Permission)
	if f.answer(w) {
		return
	}
	c, err := s.store.SetPermission(r.Context(), r.PathValue("listId"), userID(r), r.PathValue("userId"), *in.Permission)
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) removeCollaborator(w http.ResponseWriter, r *http.Request) {
	if err := s.store.RemoveCollaborator(r.Context(), r.PathValue("listId"), userID(r), r.PathValue("userId")); err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
