package server

import "time"

// Config is a whole hub. The zero value of every optional field means its default.
type Config struct {
	// Listen is the address to listen on (host:port; port 0 picks a free one).
	Listen string `yaml:"listen"`
	// BaseURL is the public URL of the hub, used in TAXII discovery (default: from requests).
	BaseURL string `yaml:"base_url"`
	// Title names the hub in the TAXII discovery resource.
	Title string `yaml:"title"`
	// Store selects the storage engine.
	Store StoreConfig `yaml:"store"`
	// HTTP holds the listener's limits, TLS and CORS.
	HTTP HTTPConfig `yaml:"http"`
	// Observability configures metrics, pprof and logging.
	Observability ObservabilityConfig `yaml:"observability"`
	// Access lists organizations, groups, users and the public clearance.
	Access AccessConfig `yaml:"access"`
	// Feeds are what the hub serves.
	Feeds FeedsConfig `yaml:"feeds"`
	// Ingest are the sources the hub takes objects from.
	Ingest []SourceConfig `yaml:"ingest"`
}

// StoreConfig selects the storage engine.
type StoreConfig struct {
	// Engine is "memory" (default). Durable engines plug in through [Engines].
	Engine string `yaml:"engine"`
	// Path is the engine's data location (a directory or a connection string), if it has one.
	Path string `yaml:"path"`
	// MaxEvents bounds the in-memory change log (0: the engine's default).
	MaxEvents int `yaml:"max_events"`
}

// HTTPConfig holds the listener's limits, TLS and CORS.
type HTTPConfig struct {
	// ReadHeaderTimeout bounds reading a request's headers (default 10s).
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// BodyTimeout bounds reading a request's body, per request (default 30s). A trickled
	// body is cut when it expires.
	BodyTimeout time.Duration `yaml:"body_timeout"`
	// WriteTimeout bounds writing an ordinary response (default 60s); live streams are
	// exempt (they have their own per-write timeout).
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout closes keep-alive connections idle that long (default 60s).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxConnections caps open connections; more are answered 503 with Retry-After and
	// closed (default 1024; -1: no cap).
	MaxConnections int `yaml:"max_connections"`
	// MaxStreamsPerPrincipal caps concurrent live-stream subscriptions of one user (or, for
	// anonymous callers, one client address); more are answered 429 with Retry-After
	// (default 8; -1: no cap).
	MaxStreamsPerPrincipal int `yaml:"max_streams_per_principal"`
	// StreamMaxLag cuts a live-stream consumer that reads slower than the log grows once
	// it is further behind than this, in the log's time (stream.HandlerOptions.MaxLag: the
	// consumer is told why in an SSE comment and resumes losslessly with its last id;
	// counted by ctifeed_stream_cuts_total). Zero: never.
	StreamMaxLag time.Duration `yaml:"stream_max_lag"`
	// RetryAfter is the Retry-After given with 503 and 429 answers (default 5s).
	RetryAfter time.Duration `yaml:"retry_after"`
	// CORSOrigins lists the origins browsers may call from ("*": any).
	CORSOrigins []string `yaml:"cors_origins"`
	// AuthFailures throttles failed authentications per client address.
	AuthFailures ThrottleConfig `yaml:"auth_failures"`
	// TLS, when both files are set, serves HTTPS. The files are re-read when they change.
	TLS TLSConfig `yaml:"tls"`
}

// ThrottleConfig is a token bucket: Burst failures at once, then PerMinute per minute.
type ThrottleConfig struct {
	// PerMinute is the sustained rate of failed authentications allowed per address (default 30).
	PerMinute float64 `yaml:"per_minute"`
	// Burst is how many may fail at once (default 10).
	Burst int `yaml:"burst"`
}

// TLSConfig names the certificate and key files.
type TLSConfig struct {
	// CertFile is the PEM certificate chain; KeyFile its private key.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// ObservabilityConfig configures metrics, pprof and logging.
type ObservabilityConfig struct {
	// MetricsPath is where Prometheus metrics are served (default /metrics; "-": off).
	MetricsPath string `yaml:"metrics_path"`
	// Pprof serves net/http/pprof under /debug/pprof/ when true.
	Pprof bool `yaml:"pprof"`
	// LogLevel is debug, info (default), warn or error.
	LogLevel string `yaml:"log_level"`
	// AccessLog logs every request when true.
	AccessLog bool `yaml:"access_log"`
}

// AccessConfig lists who may use the hub and what they see.
type AccessConfig struct {
	// Organizations are referred to by name in users; ID is the organization's STIX
	// identity id, the value objects carry in granted_refs.
	Organizations []OrganizationConfig `yaml:"organizations"`
	// EnforceOrganizations turns on organization segregation (objects granted to
	// organizations are seen by their members only; ungranted ones by everyone).
	EnforceOrganizations bool `yaml:"enforce_organizations"`
	// Groups give their members capabilities and clearances.
	Groups []GroupConfig `yaml:"groups"`
	// Users are the accounts; secrets are stored hashed.
	Users []UserConfig `yaml:"users"`
	// Public is the clearance of anonymous callers of public feeds (default TLP:CLEAR).
	Public []string `yaml:"public_clearance"`
	// Markings adds marking definitions (other families, statements) to the built-in TLP.
	Markings []MarkingConfig `yaml:"markings"`
}

// OrganizationConfig is one organization.
type OrganizationConfig struct {
	// Name is how users refer to it; ID its STIX identity id (identity--…).
	Name string `yaml:"name"`
	ID   string `yaml:"id"`
}

// MarkingConfig is a marking definition the hub knows beyond TLP.
type MarkingConfig struct {
	// ID is the marking definition's STIX id; Name how clearances may refer to it.
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Family groups comparable markings ordered by Rank (a clearance up to one allows the
	// lower ranks); empty is a statement, allowed only when a clearance lists it.
	Family string `yaml:"family"`
	Rank   int    `yaml:"rank"`
}

// GroupConfig gives its members capabilities and a clearance.
type GroupConfig struct {
	// Name is how users refer to the group, and the group id authorized_members name.
	Name string `yaml:"name"`
	// Capabilities are OpenCTI capability names (TAXIIAPI for data sharing, BYPASS…).
	Capabilities []string `yaml:"capabilities"`
	// Clearance lists markings: a TLP name ("TLP:AMBER") allows up to it, a marking id or
	// a configured marking name allows that marking.
	Clearance []string `yaml:"clearance"`
}

// UserConfig is one account. Secrets are given hashed, never in clear.
type UserConfig struct {
	// Name is the login (Basic) and the user id authorized_members name.
	Name string `yaml:"name"`
	// PasswordBcrypt is the bcrypt hash of the password (ctifeed hash-password prints it);
	// empty: no password login.
	PasswordBcrypt string `yaml:"password_bcrypt"`
	// TokenSHA256 are the hex SHA-256 digests of the user's API tokens (random tokens,
	// accepted as Bearer, Token, or x-apikey).
	TokenSHA256 []string `yaml:"token_sha256"`
	// Groups and Organizations name configured groups and organizations.
	Groups        []string `yaml:"groups"`
	Organizations []string `yaml:"organizations"`
}

// FeedsConfig are the feeds the hub serves. Each definition is OpenCTI's JSON.
type FeedsConfig struct {
	// Streams are live stream definitions (OpenCTI's stream JSON: id, name, filters,
	// stream_live, stream_public…), served under /stream/.
	Streams []Definition `yaml:"streams"`
	// TAXII is the TAXII 2.1 server, served under /taxii2/ and its API roots.
	TAXII *TAXIIConfig `yaml:"taxii"`
	// CSV are CSV feed definitions (OpenCTI's feed JSON), served under /feeds/.
	CSV []Definition `yaml:"csv"`
	// IoCStream serves the VirusTotal-style IoC stream under /api/v3/.
	IoCStream *IoCStreamConfig `yaml:"ioc_stream"`
}

// TAXIIConfig is the TAXII server's API roots.
type TAXIIConfig struct {
	APIRoots []APIRootConfig `yaml:"api_roots"`
}

// APIRootConfig is one TAXII API root.
type APIRootConfig struct {
	// Path is where the root is served ("api1" for /api1/); Title is required.
	Path        string `yaml:"path"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	// Collections are OpenCTI's TAXII collection JSON (id, name, description, filters,
	// taxii_public, authorized_members) plus alias, can_read and can_write.
	Collections []Definition `yaml:"collections"`
}

// IoCStreamConfig configures the IoC stream.
type IoCStreamConfig struct {
	// Writable accepts notifications over HTTP; the banner says which.
	Writable bool `yaml:"writable"`
}

// SourceConfig is one ingestion source: exactly one of Files, TAXII and Stream is set.
type SourceConfig struct {
	// Name identifies the source in metrics, logs and its saved position.
	Name string `yaml:"name"`
	// Files are STIX bundle files or directories of *.json bundles.
	Files []string `yaml:"files"`
	// Watch re-reads Files at this interval when positive; zero reads them once.
	Watch time.Duration `yaml:"watch"`
	// TAXII polls a remote TAXII 2.1 collection.
	TAXII *RemoteTAXIIConfig `yaml:"taxii"`
	// Stream mirrors another platform's live stream.
	Stream *RemoteStreamConfig `yaml:"stream"`
}

// RemoteTAXIIConfig is a remote TAXII collection, polled with added_after.
type RemoteTAXIIConfig struct {
	// URL is the server's base URL; APIRoot the root's URL or path under it; Collection
	// the collection's id.
	URL        string `yaml:"url"`
	APIRoot    string `yaml:"api_root"`
	Collection string `yaml:"collection"`
	// Interval is the time between polls (default 5m).
	Interval time.Duration `yaml:"interval"`
	// Username logs in with Basic, with the password from PasswordEnv.
	Username string `yaml:"username"`
	// PasswordEnv and TokenEnv name environment variables holding the secrets, so that
	// they are not written in the configuration.
	PasswordEnv string `yaml:"password_env"`
	TokenEnv    string `yaml:"token_env"`
}

// RemoteStreamConfig is another platform's live stream (this SDK's or OpenCTI's).
type RemoteStreamConfig struct {
	// URL is the stream's address, https://host/stream/{id}.
	URL string `yaml:"url"`
	// TokenEnv names the environment variable holding the Bearer token.
	TokenEnv string `yaml:"token_env"`
}
