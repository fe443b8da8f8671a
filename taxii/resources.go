package taxii

import (
	"errors"
	"net/http"
)

// discovery serves GET /taxii2/. API roots are listed as absolute URLs; the first is the
// default.
func (h *Handler) discovery(q *request) {
	base := h.baseURL
	if base == "" {
		scheme := "http"
		if q.r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + q.r.Host
	}
	d := Discovery{Title: h.title, Description: h.description, Contact: h.contact}
	for _, rt := range h.roots {
		d.APIRoots = append(d.APIRoots, base+rt.path+"/")
	}
	if len(d.APIRoots) > 0 {
		d.Default = d.APIRoots[0]
	}
	h.writeJSON(q.w, http.StatusOK, d)
}

// apiRoot serves GET {root}/.
func (h *Handler) apiRoot(q *request) {
	rt := q.root
	h.writeJSON(q.w, http.StatusOK, APIRootResource{Title: rt.Title, Description: rt.Description,
		Versions: []string{MediaType}, MaxContentLength: rt.MaxContentLength})
}

// collections serves GET {root}/collections/: the collections the caller may use.
func (h *Handler) collections(q *request) {
	var out collectionsResource
	for _, c := range q.root.colls {
		if _, d := c.Access.Authorize(q.principal); d.Status() == http.StatusOK {
			out.Collections = append(out.Collections, c.resource())
		}
	}
	h.writeJSON(q.w, http.StatusOK, out)
}

// collectionInfo serves GET {root}/collections/{id}/.
func (h *Handler) collectionInfo(q *request, c *collection) {
	h.writeJSON(q.w, http.StatusOK, c.resource())
}

func (c *collection) resource() CollectionResource {
	return CollectionResource{ID: c.ID, Title: c.Title, Description: c.Description, Alias: c.Alias,
		CanRead: c.CanRead, CanWrite: c.CanWrite, MediaTypes: c.MediaTypes}
}

// status serves GET {root}/status/{id}/: only to whom made the request (by user id;
// anonymous requests share one owner), to others it does not exist.
func (h *Handler) status(q *request, id string) {
	rec, err := h.statuses.GetStatus(q.r.Context(), q.root.path, id, h.clock())
	switch {
	case errors.Is(err, ErrStatusNotFound) || err == nil && rec.Owner != owner(q):
		h.fail(q.w, errNotFound("no such status"))
	case err != nil:
		h.storeFailed(q, err)
	default:
		h.writeJSON(q.w, http.StatusOK, rec.Status)
	}
}

func owner(q *request) string {
	if q.principal == nil {
		return ""
	}
	return "u:" + q.principal.UserID
}
