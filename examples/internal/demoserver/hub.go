package demoserver

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctifeed/ctifeed/examples/internal/demodata"
	"github.com/ctifeed/ctifeed/server"
)

// hubConfig is the demo platform as a configuration of package server: its users, token,
// organizations, feeds and store engine. Seeding, the simulation and the banner are what
// the demo adds around it.
func hubConfig(cfg Config) (*server.Config, error) {
	sc, _, err := storeConfig(cfg)
	if err != nil {
		return nil, err
	}
	users := []server.UserConfig{
		{Name: AnalystUser, Groups: []string{"analysts"}, Organizations: []string{"red"}, TokenSHA256: []string{tokenDigest(AnalystToken)}},
		{Name: PartnerUser, Groups: []string{"partners"}, Organizations: []string{"blue"}},
	}
	for i, pw := range []string{AnalystPassword, PartnerPassword} {
		// The demo passwords are printed in the banner: the lowest cost is enough.
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		users[i].PasswordBcrypt = string(h)
	}
	orgs := demodata.Orgs()
	c := &server.Config{
		Listen: cfg.Addr,
		Title:  "ctifeed demo TAXII server",
		Store:  sc,
		Access: server.AccessConfig{
			Organizations:        []server.OrganizationConfig{{Name: "red", ID: string(orgs.Red)}, {Name: "blue", ID: string(orgs.Blue)}},
			EnforceOrganizations: true,
			Groups: []server.GroupConfig{
				{Name: "analysts", Capabilities: []string{"TAXIIAPI"}, Clearance: []string{"TLP:AMBER"}},
				{Name: "partners", Capabilities: []string{"TAXIIAPI"}, Clearance: []string{"TLP:GREEN"}},
			},
			Users: users,
		},
		Feeds: server.FeedsConfig{
			Streams: definitions(streamDefinitions),
			TAXII: &server.TAXIIConfig{APIRoots: []server.APIRootConfig{{Path: "taxii2/demo", Title: "Demo API root",
				Collections: definitions(collectionDefinitions)}}},
			CSV:       definitions(csvDefinitions),
			IoCStream: &server.IoCStreamConfig{},
		},
		Observability: server.ObservabilityConfig{MetricsPath: "/metrics"},
	}
	return c, c.Validate()
}

func tokenDigest(tok string) string {
	d := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(d[:])
}

func definitions(js []string) []server.Definition {
	out := make([]server.Definition, len(js))
	for i, j := range js {
		out[i] = server.Definition{JSON: json.RawMessage(j)}
	}
	return out
}
