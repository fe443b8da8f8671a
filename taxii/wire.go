package taxii

import (
	"time"
)

// MediaType is the TAXII 2.1 media type: every response this package writes carries it,
// and the client sends it in Accept and Content-Type.
const MediaType = "application/taxii+json;version=2.1"

// STIXMediaType is the media type of STIX 2.1 content, the default of a collection's
// media_types and every manifest record's media_type.
const STIXMediaType = "application/stix+json;version=2.1"

// timeLayout writes TAXII timestamps with the microsecond precision the standard requires
// of date_added and request_timestamp.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime formats t in UTC with microsecond precision, as TAXII timestamps are written
// (finer precision is truncated).
func FormatTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(timeLayout)
}

// Discovery is the discovery resource (GET /taxii2/).
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRootResource is the API root resource (GET {root}/).
type APIRootResource struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// CollectionResource is the collection resource (GET {root}/collections/{id}/).
type CollectionResource struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// collectionsResource is GET {root}/collections/: {} when there are none.
type collectionsResource struct {
	Collections []CollectionResource `json:"collections,omitempty"`
}

// ManifestRecord is one entry of a manifest: a version of an object and when it was added.
type ManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type,omitempty"`
}

// manifestResource is GET {collection}/manifest/.
type manifestResource struct {
	More    bool             `json:"more"`
	Next    string           `json:"next,omitempty"`
	Objects []ManifestRecord `json:"objects,omitempty"`
}

// versionsResource is GET {collection}/objects/{id}/versions/.
type versionsResource struct {
	More     bool     `json:"more"`
	Next     string   `json:"next,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// Status is the status resource of a POST to objects (GET {root}/status/{id}/).
// SuccessCount + FailureCount + PendingCount = TotalCount.
type Status struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"` // StatusComplete or StatusPending
	RequestTimestamp string         `json:"request_timestamp,omitempty"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []StatusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []StatusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []StatusDetail `json:"pendings,omitempty"`
}

// The values of [Status.Status].
const (
	StatusComplete = "complete"
	StatusPending  = "pending"
)

// StatusDetail names one object of a POST and, for failures, why it was refused.
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version,omitempty"`
	Message string `json:"message,omitempty"`
}
